"""GEMM reduction epilogue (KernelSpec.reduce "N" / "M"): per-tile reduce ops, per-row finishing ops after
the reduced loop, and the M x 1 (1 x N) result stores are all in the TOG; wrong loop orders are refused."""
import attrs
import numpy as np
import pytest
from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.testing.tog_walk import elements, instances
from npusim.tog import Compute, Dma, Loop

M, N, K = 256, 512, 128
TILES = {"M": 64, "N": 128, "K": K}  # 4 M tiles x 4 N tiles
PER_TILE = ("add", "fma", "reduce_sum")  # bias, then var_mean's per-element work
FINISH = ("fma", "fma")  # var_mean's per-row finishing ops (mean's scale, the variance correction)
FUSED = KernelSpec("gemm", {"M": M, "N": N, "K": K}, epilogue=(*PER_TILE, *FINISH), reduce="N",
                   params={"reduce_outputs": 2})
PLAIN = attrs.evolve(FUSED, epilogue=PER_TILE, reduce="", params={})


def machine():
    return load_config("tpuv3", overrides={"dram.impl": "simple", "mapper.impl": "fixed"})


def simulate(kernel, order=("M", "N", "K")):
    mc = machine()
    res = Simulator(mc).run([lower(kernel, Mapping(TILES, order), mc)])
    return res, res.cores[0]


def test_finish_ops_and_result_stores_are_timed():
    plain, pc = simulate(PLAIN)
    fused, fc = simulate(FUSED)
    m_tiles = M // TILES["M"]
    # per M tile: the two finishing ops on the 64 x 1 partial and one store per result (var, mean)
    assert fc["instructions"]["COMP_VECTOR"] - pc["instructions"]["COMP_VECTOR"] == m_tiles * len(FINISH)
    assert fc["instructions"]["MOVOUT"] - pc["instructions"]["MOVOUT"] == m_tiles * 2
    assert fc["bytes_written"] - pc["bytes_written"] == 2 * M * 4
    assert fc["bytes_read"] == pc["bytes_read"]
    assert fused.total_cycles >= plain.total_cycles


def test_result_stores_cover_each_row_once_after_the_reduced_loop():
    tog = lower(FUSED, Mapping(TILES, ("M", "N", "K")), machine())
    n_loop = next(n for n, _ in tog.walk() if isinstance(n, Loop) and n.var == "n")
    assert n_loop.kind == "inner"  # the reduced dimension runs on the core holding the partial
    for name in ("R0", "R1"):
        seen = np.concatenate([elements(d, env) for d, env in instances(tog)
                               if isinstance(d, Dma) and d.tensor == name])
        assert sorted(seen.tolist()) == list(range(M))
    finish = [(c, env) for c, env in instances(tog) if isinstance(c, Compute) and "n" not in env]
    assert [c.op for c, _ in finish][:2] == list(FINISH)
    assert all(c.dims[1].size == 1 for c, _ in finish)


def test_row_reduction_of_a_2d_gemm_keeps_n_outer():
    k = attrs.evolve(FUSED, reduce="M", params={"reduce_outputs": 1})
    tog = lower(k, Mapping(TILES, ("N", "M", "K")), machine())
    seen = np.concatenate([elements(d, env) for d, env in instances(tog) if isinstance(d, Dma) and d.tensor == "R0"])
    assert sorted(seen.tolist()) == list(range(N))
    assert tog.tensors["R0"].shape == (1, N)


def test_bmm_column_reduction_stores_every_batch_row():
    k = KernelSpec("bmm", {"B": 3, "M": 40, "N": 64, "K": 32}, epilogue=("reduce_max",), reduce="N")
    tog = lower(k, Mapping({"B": 1, "M": 16, "N": 32, "K": 32}, ("B", "M", "N", "K")), machine())
    seen = np.concatenate([elements(d, env) for d, env in instances(tog) if isinstance(d, Dma) and d.tensor == "R0"])
    assert sorted(seen.tolist()) == list(range(3 * 40))


@pytest.mark.parametrize("kernel, order, words", [
    (FUSED, ("N", "M", "K"), "reduction epilogue over N needs N as the inner output loop"),
    (attrs.evolve(FUSED, reduce="M"), ("M", "N", "K"), "reduction epilogue over M needs M"),
    (attrs.evolve(FUSED, reduce="K"), ("M", "N", "K"), "GEMM reduce must be"),
    (attrs.evolve(FUSED, epilogue=("add",)), ("M", "N", "K"), "needs a reduce_\\* op"),
    (KernelSpec("bmm", {"B": 2, "M": 8, "N": 8, "K": 8}, epilogue=("reduce_sum",), reduce="M"),
     ("B", "N", "M", "K"), "2-D GEMM only"),
])
def test_bad_reduction_epilogue_is_a_one_line_error(kernel, order, words):
    tiles = {d: min(TILES.get(d, 1), kernel.dims[d]) for d in kernel.dims}
    with pytest.raises(MappingError, match=words):
        lower(kernel, Mapping(tiles, order), machine())


def test_vector_reduction_stores_every_result():
    """A var_mean (or fused sibling reductions) vector kernel stores each R x 1 result (Y, Y1, ...)."""
    one = KernelSpec("vector", {"R": 96, "C": 256}, epilogue=("fma", "reduce_sum", "fma", "fma"), reduce="C")
    two = attrs.evolve(one, params={"reduce_outputs": 2})
    mapping = Mapping({"R": 32, "C": 128}, ("R", "C"))
    tog = lower(two, mapping, machine())
    for name in ("Y", "Y1"):
        seen = np.concatenate([elements(d, env) for d, env in instances(tog) if isinstance(d, Dma) and d.tensor == name])
        assert sorted(seen.tolist()) == list(range(96))
    mc = machine()
    c1, c2 = (Simulator(mc).run([lower(k, mapping, mc)]).cores[0] for k in (one, two))
    assert c2["instructions"]["MOVOUT"] - c1["instructions"]["MOVOUT"] == 3
    assert c2["bytes_written"] - c1["bytes_written"] == 96 * 4


def test_resident_a_panel_and_reduction_share_the_inner_n_loop():
    """Resident A (order MNK, TILE_K = K) keeps its panel and the row partial across the same N loop."""
    mapping = Mapping(TILES, ("M", "N", "K"), resident="A")
    tog = lower(FUSED, mapping, machine())
    a_loads = [env for d, env in instances(tog) if isinstance(d, Dma) and d.tensor == "A"]
    assert len(a_loads) == M // TILES["M"]  # one panel per M tile
    seen = np.concatenate([elements(d, env) for d, env in instances(tog) if isinstance(d, Dma) and d.tensor == "R1"])
    assert sorted(seen.tolist()) == list(range(M))
    mc = machine()
    res = Simulator(mc).run([tog])
    assert res.cores[0]["bytes_written"] == 4 * (M * N + 2 * M)


@pytest.mark.parametrize("kernel", [KernelSpec("gemm", {"M": M, "N": N, "K": K}, epilogue=("add", "add", "fma")),
                                    KernelSpec("bmm", {"B": 2, "M": M, "N": N, "K": K}, epilogue=("add", "add", "fma"))])
def test_epilogue_side_inputs_are_loaded_per_output_tile(kernel):
    """A residual (full tile), a bias (per column) and a per-row scale: read once per output tile each."""
    sided = attrs.evolve(kernel, params={"side_full": 1, "side_row": 1, "side_col": 1})
    tiles = {**TILES, "B": 1} if kernel.op == "bmm" else TILES
    order = ("B", "M", "N", "K") if kernel.op == "bmm" else ("M", "N", "K")
    mc = machine()
    plain, side = (Simulator(mc).run([lower(k, Mapping(tiles, order), mc)]).cores[0] for k in (kernel, sided))
    nb = kernel.dims.get("B", 1)
    m_tiles, n_tiles = M // TILES["M"], N // TILES["N"]
    assert side["instructions"]["MOVIN"] - plain["instructions"]["MOVIN"] == 3 * nb * m_tiles * n_tiles
    assert side["bytes_read"] - plain["bytes_read"] == 4 * nb * (M * N + M * n_tiles + N * m_tiles)
    tog = lower(sided, Mapping(tiles, order), mc)
    first = next(c for c in tog.nodes.values() if isinstance(c, Compute) and c.name == "epilogue_add")
    side_loads = {d.id for d in tog.nodes.values() if isinstance(d, Dma) and d.tensor.startswith("E")}
    assert side_loads <= set(first.deps) and len(side_loads) == 3
