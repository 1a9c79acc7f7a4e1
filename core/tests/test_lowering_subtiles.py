"""Sub-tiles (PyTorchSim SUB_TILE_*) stream a tile's accumulation dimension: GEMM K, conv C, a vector
kernel's reduced dimension; each slice is one DMA and the compute on it can start when it has arrived."""
import pytest
from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.tog import Compute, Dma

MC = load_config("tpuv3", overrides={"dram.impl": "simple"})
CONV = KernelSpec("conv", {"N": 2, "H": 8, "W": 8, "C": 256, "O": 128, "KH": 3, "KW": 3}, params={"pad": 1})
CONV_ORDER = ("N", "H", "W", "O", "KH", "KW", "C")
CONV_TILES = {"N": 2, "H": 8, "W": 8, "O": 128, "C": 256, "KH": 3, "KW": 3}


def _counts(tog):
    loads = [n for n in tog.nodes.values() if isinstance(n, Dma) and n.direction == "load"]
    gemms = [n for n in tog.nodes.values() if isinstance(n, Compute) and n.unit == "gemm"]
    return loads, gemms


@pytest.mark.parametrize("sub, steps", [({}, 1), ({"C": 128}, 2), ({"C": 64}, 4)])
def test_conv_channel_subtiles_stream_the_window(sub, steps):
    tog = lower(CONV, Mapping(CONV_TILES, CONV_ORDER, sub), MC)
    loads, gemms = _counts(tog)
    c_loop = next(lp for n, loops in tog.walk() if n in gemms for lp in loops if lp.var == "c")
    assert c_loop.step == 256 // steps and gemms[0].dims[2].size == 256 // steps
    res = Simulator(MC).run([tog])
    assert res.cores[0]["instructions"]["MOVIN"] == 2 * steps  # window + weights per channel slice


def test_vector_reduction_streams_its_reduced_dimension():
    v = KernelSpec("vector", {"R": 256, "C": 4096}, epilogue=("exp", "reduce_sum"), reduce="C")
    whole = Simulator(MC).run([lower(v, Mapping({"R": 128, "C": 4096}, ("R", "C")), MC)])
    sliced = Simulator(MC).run([lower(v, Mapping({"R": 128, "C": 4096}, ("R", "C"), {"C": 512}), MC)])
    assert (whole.cores[0]["instructions"]["MOVIN"], sliced.cores[0]["instructions"]["MOVIN"]) == (2, 16)
    assert sliced.cores[0]["bytes_read"] == whole.cores[0]["bytes_read"]  # same data, finer DMAs


def test_output_dimension_subtiles_do_not_change_the_tog():
    g = KernelSpec("gemm", {"M": 256, "N": 256, "K": 256})
    plain = lower(g, Mapping({"M": 256, "N": 256, "K": 256}, ("M", "N", "K")), MC)
    subbed = lower(g, Mapping({"M": 256, "N": 256, "K": 256}, ("M", "N", "K"), {"M": 64, "N": 128}), MC)
    assert len(plain.nodes) == len(subbed.nodes)


def test_bad_subtile_is_an_error():
    with pytest.raises(MappingError, match="sub-tile C=-4"):
        lower(CONV, Mapping(CONV_TILES, CONV_ORDER, {"C": -4}), MC)
