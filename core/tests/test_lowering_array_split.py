"""A core's systolic arrays share one output tile: one A load feeds every array's part, and every GEMM of
an accumulation (K steps, conv window positions) stays on one array."""
import pytest
from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.lowering.gemm import split_sizes
from npusim.tog import Compute, Dma

TPU = {"dram.impl": "simple", "mapper.impl": "fixed"}  # tpuv3 core: 2 x 128x128 arrays


def tpu(**ov):
    return load_config("tpuv3", overrides={**TPU, **ov})


def gemm_tog(m, n, k, tm, tn, tk, mc):
    return lower(KernelSpec("gemm", {"M": m, "N": n, "K": k}), Mapping({"M": tm, "N": tn, "K": tk}, ("M", "N", "K")), mc)


@pytest.mark.parametrize("n_tile, m_tile, arrays, want", [
    (512, 512, 2, ("N", 2, 256)),   # N spans 4 array columns: two halves
    (384, 512, 2, ("N", 2, 256)),   # 3 column blocks: 2 + 1
    (128, 512, 2, ("M", 2, 256)),   # one column block: split the streamed rows instead
    (128, 128, 2, ("N", 1, 128)),   # one array's worth: not split
    (512, 512, 1, ("N", 1, 512)),   # one array per core
    (512, 512, 4, ("N", 4, 128)),
])
def test_split_sizes(n_tile, m_tile, arrays, want):
    assert split_sizes(n_tile, m_tile, tpu(**{"core.num_systolic_arrays": arrays})) == want


def test_one_a_load_feeds_both_arrays():
    mc = tpu()
    tog = gemm_tog(512, 512, 512, 512, 512, 512, mc)
    gemms = [n for n in tog.nodes.values() if isinstance(n, Compute) and n.unit == "gemm"]
    loads = [n for n in tog.nodes.values() if isinstance(n, Dma) and n.direction == "load"]
    assert [(g.dims[1].offset, g.dims[1].size) for g in gemms] == [(0, 256), (256, 256)]
    assert len(loads) == 2  # A and B slices, each loaded once per K step
    res = Simulator(mc).run([tog])
    core = res.cores[0]
    assert [a["tiles"] for a in core["arrays"]] == [4, 4]  # 4 K steps x one part per array
    assert core["instructions"]["MOVIN"] == 8
    elem = 4
    assert res.cores[0]["bytes_read"] == elem * (512 * 512 + 512 * 512)  # A and B read exactly once


def test_border_parts_are_empty_and_cost_nothing():
    mc = tpu()
    # N = 300 in one 300-wide tile: parts 256 + 44; with N = 200 the second part has nothing to do
    for n, sizes in ((300, [256, 44]), (200, [256, 44])):
        tog = gemm_tog(128, n, 128, 128, 300 if n == 300 else 200, 128, mc)
        gemms = [g for g in tog.nodes.values() if isinstance(g, Compute) and g.unit == "gemm"]
        want = sizes if n == 300 else [128, 72]
        assert [g.dims[1].size for g in gemms] == want
        res = Simulator(mc).run([tog])
        assert res.total_cycles > 0
        assert res.cores[0]["bytes_written"] == 4 * 128 * n


def test_conv_window_positions_accumulate_on_one_array():
    mc = tpu()
    order = ("N", "H", "W", "O", "KH", "KW", "C")
    one = KernelSpec("conv", {"N": 1, "H": 8, "W": 16, "C": 64, "O": 64, "KH": 3, "KW": 3}, params={"pad": 1})
    tog = lower(one, Mapping({"N": 1, "H": 8, "W": 16, "O": 64, "C": 64, "KH": 3, "KW": 3}, order), mc)
    assert tog.meta["array_split"]["parts"] == 1  # one 128-pixel x 64-channel tile: one chain
    res = Simulator(mc).run([tog])
    # the tile's 9 window-position GEMMs accumulate in one array's accumulators
    assert [a["tiles"] for a in res.cores[0]["arrays"]] == [9, 0]
    two = KernelSpec("conv", {"N": 1, "H": 16, "W": 16, "C": 64, "O": 64, "KH": 3, "KW": 3}, params={"pad": 1})
    tog = lower(two, Mapping({"N": 1, "H": 8, "W": 16, "O": 64, "C": 64, "KH": 3, "KW": 3}, order), mc)
    res = Simulator(mc).run([tog])
    assert [a["tiles"] for a in res.cores[0]["arrays"]] == [9, 9]  # two tiles: one chain per array
