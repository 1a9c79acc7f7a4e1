"""Conv lowering: every output stored once, each output tile loads its whole receptive field (exactly, for
stride 1), weights per tile, bounds, params/tile errors. Checked by enumerating the TOG's DMA addresses."""
from __future__ import annotations

import itertools

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.lowering.conv import conv_geometry
from npusim.testing.tog_walk import elements, instances
from npusim.tog import Compute, Dma

ORDER = ("N", "H", "W", "O", "KH", "KW", "C")




def conv_kernel(n, h, w, c, o, kh, kw, stride=1, pad=0, dil=1, groups=1):
    return KernelSpec("conv", {"N": n, "H": h, "W": w, "C": c, "O": o, "KH": kh, "KW": kw},
                      params={"stride": stride, "pad": pad, "dilation": dil, "groups": groups})


def check_conv(kernel, tiles):
    """Enumerate the TOG and check coverage and receptive fields against the conv definition."""
    g = conv_geometry(kernel)
    tog = lower(kernel, Mapping(tiles, ORDER), None)
    X, W, Y = (tog.tensors[n] for n in ("X", "W", "Y"))
    nx, ny, nw = np.prod(X.shape), np.prod(Y.shape), np.prod(W.shape)
    stored = np.zeros(ny, int)
    tile_x: set = set()
    tile_w: set = set()
    s, dil, Cg, Og = g["stride"], g["dil"], g["Cg"], g["Og"]
    KH, KW = kernel.dims["KH"], kernel.dims["KW"]
    for node, env in instances(tog):
        if isinstance(node, Dma) and node.direction == "load":
            e = elements(node, env)
            assert e.min() >= 0 and e.max() < (nx if node.tensor == "X" else nw)
            (tile_x if node.tensor == "X" else tile_w).update(e.tolist())
        elif isinstance(node, Dma):
            out = elements(node, env)
            np.add.at(stored, out, 1)
            # every output of this tile needs its receptive field and weights loaded in this tile
            n, oh, ow, o = np.unravel_index(out, Y.shape)
            grp = o // Og
            need_x, need_w = set(), set()
            for kh, kw, c in itertools.product(range(KH), range(KW), range(Cg)):
                xi = np.ravel_multi_index((n, oh * s + kh * dil, ow * s + kw * dil, grp * Cg + c), X.shape)
                need_x.update(xi.tolist())
                need_w.update(np.ravel_multi_index((np.full_like(o, kh), np.full_like(o, kw), np.full_like(o, c), o),
                                                   W.shape).tolist())
            assert need_x <= tile_x and need_w <= tile_w
            if s == 1 and dil == 1 and g["groups"] == 1:
                assert tile_x == need_x  # dense window: the DMAs read exactly the receptive field
            tile_x, tile_w = set(), set()
    assert (stored == 1).all()
    return tog


def test_resnet_like_3x3():
    k = conv_kernel(2, 8, 8, 4, 6, 3, 3, pad=1)
    tog = check_conv(k, {"N": 1, "H": 3, "W": 8, "O": 4, "C": 4, "KH": 3, "KW": 3})
    assert tog.meta["out"] == [2, 8, 8, 6] and tog.tensors["X"].shape == (2, 10, 10, 4)
    gemms = [n for n in tog.nodes.values() if isinstance(n, Compute) and n.unit == "gemm"]
    assert len(gemms) == 1 and gemms[0].dims[2].size == 3 * 3 * 4  # implicit im2col: k = KH*KW*C


def test_channel_tiles_split_window_into_gemms():
    k = conv_kernel(1, 6, 6, 10, 4, 3, 3, pad=1)
    tog = check_conv(k, {"N": 1, "H": 6, "W": 6, "O": 4, "C": 4, "KH": 1, "KW": 3})
    gemms = [(n, loops) for n, loops in tog.walk() if isinstance(n, Compute) and n.unit == "gemm"]
    assert len(gemms) == 1 and gemms[0][0].dims[2].var == "c"  # k shrinks at the C border
    kp = gemms[0][1][-1]  # one GEMM per window position, all accumulating on one array
    assert (kp.var, kp.kind, kp.trips) == ("kp", "accum", 3)


def test_window_positions_are_separate_folds_unless_few_channels():
    """k = tC per window position (array rows idle with few channels); packed k = KH*KW*C below lanes/8."""
    from npusim.config import load_config
    mc = load_config("tpuv3")
    tiles = {"N": 1, "H": 8, "W": 8, "O": 64, "KH": 3, "KW": 3}
    for c, packed in ((64, False), (16, False), (8, True), (3, True)):
        tog = lower(conv_kernel(1, 8, 8, c, 64, 3, 3, pad=1), Mapping({**tiles, "C": c}, ORDER), mc)
        (gemm, loops), = [(n, lp) for n, lp in tog.walk() if isinstance(n, Compute) and n.unit == "gemm"]
        assert tog.meta["variant"] == ("multi_tile" if packed else "base")
        assert gemm.dims[2].size == (9 * c if packed else c)
        assert (loops[-1].var == "kp") is not packed
    # the variant follows PyTorchSim's switch: without multi_tile_conv even 3 channels run per position
    off = load_config("tpuv3", overrides={"sim.compiler_optimization": ["fusion"]})
    tog = lower(conv_kernel(1, 8, 8, 3, 64, 3, 3, pad=1), Mapping({**tiles, "C": 3}, ORDER), off)
    assert tog.meta["variant"] == "base"


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 2), st.integers(3, 9), st.integers(1, 5), st.sampled_from([1, 2, 4]),
       st.sampled_from([1, 3]), st.sampled_from([1, 2, 3]), st.sampled_from([0, 1, 2]), st.sampled_from([1, 2]),
       st.data())
def test_random_convs(n, hw, c, o, k, stride, pad, dil, data):
    if hw + 2 * pad < dil * (k - 1) + 1:
        return
    groups = data.draw(st.sampled_from([gr for gr in (1, 2) if c % gr == 0 and o % gr == 0]))
    kernel = conv_kernel(n, hw, hw + 1, c, o, k, k, stride, pad, dil, groups)
    g = conv_geometry(kernel)
    tiles = {"N": data.draw(st.integers(1, n)), "H": data.draw(st.integers(1, g["OH"])),
             "W": data.draw(st.integers(1, g["OW"])), "O": data.draw(st.integers(1, g["Og"])),
             "C": data.draw(st.integers(1, g["Cg"])), "KH": data.draw(st.sampled_from([1, k])),
             "KW": data.draw(st.sampled_from([1, k]))}
    check_conv(kernel, tiles)


def test_batch1_few_channels_first_layer():
    """ResNet stem: batch 1, 3 input channels, 7x7 stride 2 -- whole window folded into k."""
    k = conv_kernel(1, 32, 32, 3, 8, 7, 7, stride=2, pad=3)
    check_conv(k, {"N": 1, "H": 4, "W": 16, "O": 8, "C": 3, "KH": 7, "KW": 7})


def test_spad_declared():
    class M:
        class core:
            spad_bytes = 1 << 20
            vector_lanes = 128
            num_systolic_arrays = 1

    tog = lower(conv_kernel(1, 8, 8, 4, 4, 3, 3, pad=1),
                Mapping({"N": 1, "H": 8, "W": 8, "O": 4, "C": 4, "KH": 3, "KW": 3}, ORDER), M)
    assert tog.spad_bytes == 1 << 20


@pytest.mark.parametrize("kernel, tiles, order, words", [
    (conv_kernel(1, 8, 8, 4, 4, 3, 3), {"KH": 2}, ORDER, "KH=2 must divide"),
    (conv_kernel(1, 8, 8, 4, 4, 3, 3), {"H": 7}, ORDER, "tile H=7 outside 1..6"),
    (conv_kernel(1, 8, 8, 4, 4, 3, 3), {}, ("KH", "N", "H", "W", "O", "KW", "C"), "before the accumulation"),
    (conv_kernel(1, 8, 8, 4, 6, 3, 3, groups=4), {}, ORDER, "groups=4 must divide"),
    (conv_kernel(1, 2, 2, 4, 4, 5, 5), {}, ORDER, "larger than the padded input"),
])
def test_errors(kernel, tiles, order, words):
    with pytest.raises(MappingError, match=words):
        lower(kernel, Mapping(tiles, order), None)


@pytest.mark.parametrize("groups", [1, 2])
def test_epilogue_side_inputs_load_the_output_tiles_slices(groups):
    """A residual (output-shaped), a per-pixel and a per-channel side input (params side_full / side_row /
    side_col): each output tile loads exactly its slice of each before the first epilogue op, which waits."""
    kernel = attrs.evolve(conv_kernel(2, 6, 6, 8, 8, 3, 3, pad=1, groups=groups), epilogue=("fma", "add", "cmp"),
                          params={"stride": 1, "pad": 1, "dilation": 1, "groups": groups,
                                  "side_full": 1, "side_row": 1, "side_col": 1})
    tog = lower(kernel, Mapping({"N": 1, "H": 4, "W": 6, "O": 4 // groups, "C": 8 // groups, "KH": 3, "KW": 3},
                                ORDER), None)
    Y = tog.tensors["Y"]
    assert tog.tensors["E0"].shape == Y.shape and tog.tensors["E1"].shape == (*Y.shape[:3], 1)
    assert tog.tensors["E2"].shape == (1, Y.shape[3])
    first = next(c for c in tog.nodes.values() if isinstance(c, Compute) and c.name == "epilogue_fma")
    side_ids = {d.id for d in tog.nodes.values() if isinstance(d, Dma) and d.tensor.startswith("E")}
    assert len(side_ids) == 3 and side_ids <= set(first.deps)
    loaded: dict[str, set] = {}
    tiles = 0
    for node, env in instances(tog):
        if isinstance(node, Dma) and node.tensor.startswith("E"):
            loaded[node.tensor] = set(elements(node, env).tolist())
        elif isinstance(node, Dma) and node.direction == "store":
            tiles += 1
            out = elements(node, env)
            n, oh, ow, o = np.unravel_index(out, Y.shape)
            assert loaded.pop("E0") == set(out.tolist())
            assert loaded.pop("E1") == set(np.ravel_multi_index((n, oh, ow, 0 * o), (*Y.shape[:3], 1)).tolist())
            assert loaded.pop("E2") == set(o.tolist())
    assert tiles == 2 * 2 * 2 * groups and not loaded  # N x H x O tiles, per group


def test_side_inputs_only_with_an_epilogue_and_counted_by_the_simulator():
    from npusim.config import load_config
    from npusim.engine.simulator import Simulator

    base = conv_kernel(1, 8, 8, 16, 16, 3, 3, pad=1)
    params = {**base.params, "side_full": 1, "side_col": 1}
    tiles = {"N": 1, "H": 4, "W": 8, "O": 16, "C": 16, "KH": 3, "KW": 3}
    mc = load_config("tpuv3", overrides={"dram.impl": "simple", "mapper.impl": "fixed"})
    runs = {}
    for name, k in {"plain": attrs.evolve(base, epilogue=("add",)),
                    "sided": attrs.evolve(base, epilogue=("add",), params=params),
                    "bare": base, "bare_sided": attrs.evolve(base, params=params)}.items():
        runs[name] = Simulator(mc).run([lower(k, Mapping(tiles, ORDER), mc)]).cores[0]
    # two output tiles (H 8 / 4), each loads its 4x8x16 residual slice and the 16 per-channel values
    assert runs["sided"]["instructions"]["MOVIN"] - runs["plain"]["instructions"]["MOVIN"] == 2 * 2
    assert runs["sided"]["bytes_read"] - runs["plain"]["bytes_read"] == 4 * (8 * 8 * 16 + 2 * 16)
    # without an epilogue nothing reads side inputs, so none are loaded
    assert runs["bare_sided"]["bytes_read"] == runs["bare"]["bytes_read"]
