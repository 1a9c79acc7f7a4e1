"""Tile-by-tile functional execution: odd tiles, every kernel class, wrong tilings caught by the check."""
import pytest
import torch
import torch.nn.functional as F
from npusim.kernels import Mapping
from torch.fx.experimental.proxy_tensor import make_fx

from npusim_frontends import execute
from npusim_frontends.backend import decompositions
from npusim_frontends.groups import FUSION_PASSES
from npusim_frontends.lowered import LoweredGraph, compare


def lower(fn, *args, passes=FUSION_PASSES):
    import transformers.integrations.moe  # noqa: F401  (registers torch.ops.transformers.grouped_mm_fallback)

    gm = make_fx(fn, decomposition_table=decompositions(), tracing_mode="fake")(*args)
    return LoweredGraph(gm, "t", set(passes))


def odd_mapping(kernel):
    """Tiles that do not divide the dims (edge tiles everywhere), outer loops reversed."""
    tiles = {d: max(1, (n + 2) // 3) for d, n in kernel.dims.items()}
    if kernel.op == "conv":
        tiles["KH"], tiles["KW"] = 1, kernel.dims["KW"]
    order = {"gemm": ("N", "M", "K"), "bmm": ("B", "N", "M", "K"), "vector": ("C", "R"),
             "conv": ("O", "W", "H", "N", "C", "KW", "KH")}[kernel.op]
    return Mapping(tiles, order)


def run_both(lg, args):
    rng = {}
    ref = lg.run_eager(args, rng)
    got = lg.run_tiled(args, [odd_mapping(k) for k in lg.kernels], rng)
    return got, ref


def _softmax_stats(s):
    m = s.amax(-1, keepdim=True)
    return m, (s - m).exp().sum(-1)


CASES = {
    "gemm_bias_gelu": (lambda x, w, b: F.gelu(F.linear(x, w, b)) + 1.0,
                       lambda: (torch.randn(7, 13), torch.randn(11, 13), torch.randn(11))),
    "bmm_scale": (lambda a, b: torch.bmm(a, b) * 0.5, lambda: (torch.randn(3, 5, 9), torch.randn(3, 9, 7))),
    "conv_stride_groups": (lambda x, w, b: F.relu(F.conv2d(x, w, b, stride=2, padding=1, dilation=1, groups=2)),
                           lambda: (torch.randn(2, 4, 9, 11), torch.randn(6, 2, 3, 3), torch.randn(6))),
    "conv_dilation": (lambda x, w: F.conv2d(x, w, padding=2, dilation=2),
                      lambda: (torch.randn(1, 3, 8, 8), torch.randn(5, 3, 3, 3))),
    "layernorm_softmax": (lambda x: torch.softmax(F.layer_norm(x, (10,)), -1),
                          lambda: (torch.randn(3, 7, 10),)),
    "reductions": (lambda x: (x.sum(0), x.mean((1, 2), keepdim=True), x.amax(-1), x.var(1)),
                   lambda: (torch.randn(5, 6, 7),)),
    "embedding_cat": (lambda e, i, y: torch.cat([F.embedding(i, e), y], -1).sigmoid(),
                      lambda: (torch.randn(10, 4), torch.tensor([[1, 3, 9]]), torch.randn(1, 3, 2))),
    "moe_grouped_mm": (lambda x, w, offs: torch.ops.transformers.grouped_mm_fallback(x, w, offs),
                       lambda: (torch.randn(10, 6), torch.randn(3, 6, 5), torch.tensor([4, 4, 10]))),
    "rmsnorm": (lambda x, w: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w,
                lambda: (torch.randn(3, 5, 16), torch.randn(16))),
    "pool": (lambda x: F.adaptive_avg_pool2d(F.max_pool2d(x, 2), 1), lambda: (torch.randn(2, 3, 8, 8),)),
    # reduction epilogue: LayerNorm statistics of a projection (+ residual), column and row sums of a GEMM
    "gemm_layernorm": (lambda x, w, b, r: F.layer_norm(F.linear(x, w, b) + r, (12,)),
                       lambda: (torch.randn(2, 5, 10), torch.randn(12, 10), torch.randn(12), torch.randn(2, 5, 12))),
    "gemm_row_col_sums": (lambda x, w: ((x @ w).sum(0), (x @ w).amax(-1)),
                          lambda: (torch.randn(9, 6), torch.randn(6, 11))),
    "bmm_softmax_stats": (lambda q, k: _softmax_stats(q @ k.transpose(-1, -2)),
                          lambda: (torch.randn(2, 5, 8), torch.randn(2, 7, 8))),
    # reduction-reduction: two-pass mean/variance and max/sum-exp over one input
    "two_pass_layernorm": (lambda x: ((x - x.mean(-1, keepdim=True)) ** 2).mean(-1) + x.sum(-1),
                           lambda: (torch.randn(4, 7, 10),)),
    "softmax_stats": (lambda x: _softmax_stats(x), lambda: (torch.randn(6, 13),)),
    # GEMM prologue: activation + scale on A, int8 dequant + transpose on B
    "prologue_gelu_scale": (lambda x, w: F.linear(F.gelu(x * 0.5), w), lambda: (torch.randn(6, 10), torch.randn(12, 10))),
    "prologue_dequant": (lambda x, w, s: x @ (w.float() * s).t(),
                         lambda: (torch.randn(6, 10), torch.randint(-8, 8, (12, 10), dtype=torch.int8),
                                  torch.rand(12, 1))),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tiled_execution_matches_eager(case):
    fn, make = CASES[case]
    args = make()
    lg = lower(fn, *args)
    assert lg.untimed == []
    got, ref = run_both(lg, list(args))
    check = compare(got, ref)
    assert check["status"] == "passed", check
    want = fn(*args)
    for g, w in zip(got if isinstance(got, (tuple, list)) else [got], want if isinstance(want, tuple) else [want]):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


def test_tile_order_follows_mapping():
    seen = [(t["M"].start, t["N"].start) for t in execute.tile_slices(("N", "M"), {"M": 4, "N": 4},
                                                                      {"M": 2, "N": 2})]
    assert seen == [(0, 0), (2, 0), (0, 2), (2, 2)]  # N outermost


def test_a_wrong_tiling_fails_the_check(monkeypatch):
    fn, make = CASES["gemm_bias_gelu"]
    args = make()
    lg = lower(fn, *args)
    real = execute.tile_slices

    def drop_last_k(order, dims, tiles):  # a broken K loop: the last K tile is never accumulated
        out = list(real(order, dims, tiles))
        return out[:-1] if list(order) == ["K"] else out

    monkeypatch.setattr(execute, "tile_slices", drop_last_k)
    got, ref = run_both(lg, list(args))
    check = compare(got, ref)
    assert check["status"] == "failed" and check["max_abs_err"] > 1e-3


def test_compare_tolerances():
    a = torch.ones(4)
    assert compare(a + 5e-5, a)["status"] == "passed"
    bad = compare(a + 1e-2, a)
    assert bad["status"] == "failed" and bad["max_abs_err"] == pytest.approx(1e-2, rel=1e-3)
    assert compare(torch.tensor([float("nan")]), torch.tensor([float("nan")]))["status"] == "passed"


def test_moe_grouped_mm_is_an_expert_bmm():
    fn, make = CASES["moe_grouped_mm"]
    lg = lower(fn, *make())
    assert [(k.op, k.dims) for k in lg.kernels] == [("bmm", {"B": 3, "M": 4, "N": 5, "K": 6})]  # ceil(10/3) rows


def test_reduction_absorbs_its_elementwise_prologue():
    fn, make = CASES["rmsnorm"]
    lg = lower(fn, *make())
    red = [k for k in lg.kernels if k.reduce]
    # x*x summed per tile; mean's scale, then + eps and rsqrt on the per-row result (a reduction finisher)
    assert [(k.dims, k.epilogue) for k in red] == [({"R": 15, "C": 16}, ("fma", "reduce_sum", "fma", "add", "sqrt",
                                                                          "div"))]
    assert len(lower(fn, *make(), passes=set(FUSION_PASSES) - {"reduction_prologue"}).kernels) == len(lg.kernels) + 1


def test_histc_on_integer_input_runs_like_the_accelerator_kernel():
    """HF MoE routing calls histc on int32 off-CPU (deepseek-moe on the npu device); the CPU kernel lacks it."""
    g = torch.fx.Graph()
    ids = g.placeholder("ids")
    node = g.call_function(torch.ops.aten.histc.default, (ids, 4, 0, 3))
    x = torch.tensor([0, 1, 1, 3, 3, 3, 2], dtype=torch.int32)
    got = execute.eager_node(node, {ids: x})
    assert got.dtype == torch.int32 and got.tolist() == [1, 2, 1, 3]
    assert torch.equal(execute.eager_node(node, {ids: x.float()}), torch.histc(x.float(), 4, 0, 3))
