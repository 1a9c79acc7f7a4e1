"""PyTorchSim tile_graph.onnx interop: import a PyTorchSim-shaped graph, export + re-import round trip."""
import onnx
import pytest

from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.errors import TogError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.tog.onnx_io import load_onnx_tog, save_onnx_tog


def machine():
    return load_config("small-8x8", overrides={"mapper.impl": "fixed"})


def pytorchsim_graph(path, cycle=100):
    """A 4-iteration outer loop: load two 8x8 fp32 tiles, a 100-cycle matmul, store (PyTorchSim attributes only)."""
    h = onnx.helper
    mem = dict(torchsim_tile_size=[8, 8], torchsim_tile_stride=[8, 1], torchsim_element_size=4,
               torchsim_loop_idx_list=["i"], torchsim_loop_stride_list=[64], torchsim_is_async=1,
               torchsim_indirect_mode=0)
    nodes = [
        h.make_node("loop_index_node", [], ["loop0_output"], name="loop0", torchsim_loop_idx="i", torchsim_start=0,
                    torchsim_end=4, torchsim_stride=1, torchsim_loop_type="outer_loop"),
        h.make_node("load_node", [], ["load1_output"], name="load1", torchsim_base_addr=0, **mem),
        h.make_node("load_node", [], ["load2_output"], name="load2", torchsim_base_addr=4096, **mem),
        h.make_node("memory_wait_node", [], ["wait3_output"], name="wait3", torchsim_base_addr=0),
        h.make_node("compute_node", ["load1_output", "load2_output"], ["compute4_output"], name="compute4",
                    torchsim_cycle=cycle, torchsim_overlapping_cycle=0, torchsim_compute_type=0),
        h.make_node("store_node", ["compute4_output"], ["store5_output"], name="store5", torchsim_base_addr=8192,
                    **mem),
        h.make_node("loop_end_node", [], [], name="loop0_end", torchsim_loop_idx="i"),
    ]
    model = h.make_model(h.make_graph(nodes, "dummy_tile_graph", [], []), producer_name="PyTorchSim")
    onnx.save(model, str(path))


def test_pytorchsim_onnx_runs_with_its_compute_cycles(tmp_path):
    pytorchsim_graph(tmp_path / "tile_graph.onnx", cycle=100)
    tog = load_onnx_tog(tmp_path / "tile_graph.onnx")
    res = Simulator(machine()).run([tog])
    ins = res.cores[0]["instructions"]
    assert ins["MOVIN"] == 8 and ins["MOVOUT"] == 4 and ins["COMP_GEMM"] == 4
    assert res.cores[0]["arrays"][0]["busy_cycles"] == 400  # the graph's own cycles, not our timing model
    assert res.cores[0]["bytes_read"] == 8 * 256 and res.cores[0]["bytes_written"] == 4 * 256
    pytorchsim_graph(tmp_path / "slow.onnx", cycle=1000)
    slow = Simulator(machine()).run([load_onnx_tog(tmp_path / "slow.onnx")])
    assert slow.total_cycles > res.total_cycles + 3000


def test_export_round_trip_same_cycles(tmp_path):
    m = machine()
    tog = lower(KernelSpec("gemm", {"M": 40, "N": 24, "K": 33}), Mapping({"M": 16, "N": 8, "K": 16}, ("M", "N", "K")), m)
    save_onnx_tog(tog, tmp_path / "t.onnx")
    again = load_onnx_tog(tmp_path / "t.onnx")
    assert Simulator(m).run([tog]).total_cycles == Simulator(m).run([again]).total_cycles
    kinds = {n.op_type for n in onnx.load(str(tmp_path / "t.onnx")).graph.node}
    assert {"loop_index_node", "loop_end_node", "load_node", "store_node", "compute_node"} <= kinds


def test_bad_files(tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"not onnx")
    with pytest.raises(TogError, match="junk.onnx"):
        load_onnx_tog(tmp_path / "junk.onnx")
    h = onnx.helper
    g = h.make_graph([h.make_node("mystery_node", [], [], name="m")], "g", [], [])
    onnx.save(h.make_model(g), str(tmp_path / "m.onnx"))
    with pytest.raises(TogError, match="unsupported tile-graph node type 'mystery_node'"):
        load_onnx_tog(tmp_path / "m.onnx")
