"""Sparsity end to end: operand data from the functional run -> zero-tile MOVIN skips and fold-level GEMM timing."""
from __future__ import annotations

import pytest
import torch
from npusim.errors import ConfigError

from npusim_frontends.backend import Session

ROWS = 8  # small-8x8: one 8x8 weight-stationary array, so k_step (one weight fold) is 8


def _machine(sparsity: bool):
    from npusim.config import load_config

    return load_config("small-8x8", overrides={"timing.impl": "systolic", "timing.tile_db": False,
                                               "timing.sparsity": sparsity})


def _run(sparsity: bool, fn, *args):
    s = Session(_machine(sparsity))
    out = torch.compile(fn, backend=s)(*args)
    return out, s.last_result


def _mm(a, b):
    return a @ b


def _grid(res):
    """(tile M, tile N, k_step) of the single GEMM kernel's mapping."""
    t = res.kernels[0]["mapping"]["tiles"]
    return t["M"], t["N"], min(t["K"], res.kernels[0]["mapping"]["sub_tiles"].get("K") or ROWS)


def _tiles(n, t):
    return [(s, min(s + t, n)) for s in range(0, n, t)]


def test_dense_data_gives_the_dense_cycles():
    a, b = torch.randn(64, 48), torch.randn(48, 40)
    _, off = _run(False, _mm, a, b)
    out, on = _run(True, _mm, a, b)
    assert on.total_cycles == off.total_cycles
    assert on.cores[0]["bytes_read"] == off.cores[0]["bytes_read"]
    sp = on.extra["sparsity"]
    assert sp["loads_skipped"] == sp["gemms_skipped"] == sp["gemms_reduced"] == 0
    assert on.extra["functional_check"]["status"] == "passed"
    torch.testing.assert_close(out, a @ b)


def test_zero_tiles_of_a_skip_movin_and_matmul():
    a, b = torch.randn(64, 48), torch.randn(48, 40)
    _, dense = _run(False, _mm, a, b)
    tm, tn, tk = _grid(dense)
    # Zero a checkerboard of A's DMA tiles (the mapping's t_M x k_step tiles).
    zero = [(m, k) for i, m in enumerate(_tiles(64, tm)) for j, k in enumerate(_tiles(48, tk)) if (i + j) % 2 == 0]
    for (m0, m1), (k0, k1) in zero:
        a[m0:m1, k0:k1] = 0
    out, res = _run(True, _mm, a, b)
    n_tiles = len(_tiles(40, tn))
    skipped_bytes = sum((m1 - m0) * (k1 - k0) * 4 for (m0, m1), (k0, k1) in zero) * n_tiles
    sp = res.extra["sparsity"]
    assert sp["loads_skipped"] == len(zero) * n_tiles          # every A tile is loaded once per N tile
    assert sp["bytes_skipped"] == skipped_bytes
    assert sp["gemms_skipped"] == len(zero) * n_tiles           # one matmul per (m, n, k) step
    assert res.cores[0]["bytes_read"] == dense.cores[0]["bytes_read"] - skipped_bytes
    assert res.cores[0]["instructions"]["MOVIN"] == dense.cores[0]["instructions"]["MOVIN"] - len(zero) * n_tiles
    assert res.total_cycles < dense.total_cycles
    assert sp["gemm_latency_cycles_saved"] > 0
    assert {k: sp[k] for k in ("loads_skipped", "bytes_skipped", "gemms_skipped", "gemms_reduced")} == {
        k: res.extra["sparsity_predicted"][k] for k in ("loads_skipped", "bytes_skipped", "gemms_skipped",
                                                        "gemms_reduced")}
    assert res.extra["functional_check"]["status"] == "passed"
    torch.testing.assert_close(out, a @ b)
    from npusim.engine.report import togsim_log
    assert f"[info] Sparsity: MOVIN skipped {sp['loads_skipped']} ({skipped_bytes} B)" in togsim_log(res)
    assert "Sparsity" not in togsim_log(dense)


def test_zero_weight_fold_reduces_gemm_latency():
    """One all-zero 8x8 block column of B in every tile: those folds are not issued (ws keeps B stationary)."""
    a, b = torch.randn(32, 32), torch.randn(32, 64)
    _, dense = _run(False, _mm, a, b)
    tm, tn, tk = _grid(dense)
    assert tn > ROWS, "the mapping must give B tiles wider than one array fold for this case"
    for n0, _ in _tiles(64, tn):
        b[:, n0:n0 + ROWS] = 0
    out, res = _run(True, _mm, a, b)
    sp = res.extra["sparsity"]
    steps = len(_tiles(32, tm)) * len(_tiles(64, tn)) * len(_tiles(32, tk))
    assert sp["gemms_reduced"] == steps and sp["gemms_skipped"] == sp["loads_skipped"] == 0
    assert res.cores[0]["bytes_read"] == dense.cores[0]["bytes_read"]
    assert sp["array_busy_cycles_saved"] > 0 and res.total_cycles <= dense.total_cycles
    assert res.extra["sparsity_predicted"]["gemms_reduced"] == steps
    torch.testing.assert_close(out, a @ b)


def test_pruned_mlp_through_torch_compile():
    torch.manual_seed(1)
    mlp = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32))
    with torch.no_grad():  # structured pruning: hidden neurons 16..47 removed (their rows, bias, columns)
        mlp[0].weight[16:48] = 0
        mlp[0].bias[16:48] = 0
        mlp[2].weight[:, 16:48] = 0
    x = torch.randn(16, 32)
    _, dense = _run(False, mlp, x)
    torch._dynamo.reset()
    out, res = _run(True, mlp, x)
    sp = res.extra["sparsity"]
    # layer 1: zero weight columns of B = W1^T skip folds; layer 2: the zero hidden activations (A) and
    # weight rows (B) are whole zero tiles
    assert sp["loads_skipped"] > 0 and sp["gemms_skipped"] > 0 and sp["gemms_reduced"] > 0
    assert sp["loads_skipped"] == res.extra["sparsity_predicted"]["loads_skipped"]
    assert res.cores[0]["bytes_read"] == dense.cores[0]["bytes_read"] - sp["bytes_skipped"]
    assert res.total_cycles < dense.total_cycles
    assert res.extra["functional_check"]["status"] == "passed"
    torch.testing.assert_close(out, mlp(x))


def test_sparsity_needs_the_systolic_timing():
    from npusim.config import load_config

    with pytest.raises(ConfigError, match="sparsity"):
        load_config("small-8x8", overrides={"timing.sparsity": True})


def _engine_run(a, b):
    """One mapped GEMM (M=N=16, K=32: tiles 16x16, k_step 8) on small-8x8 with operand data a, b, traced."""
    from npusim.engine.simulator import Simulator
    from npusim.kernels import KernelSpec, Mapping
    from npusim.lowering import lower

    from npusim_frontends.sparsity import plan_gemm

    sim = Simulator(_machine(True), trace=True)
    kernel = KernelSpec("gemm", {"M": 16, "N": 16, "K": 32}, "fp32", name="g")
    tog = lower(kernel, Mapping({"M": 16, "N": 16, "K": 32}, ("M", "N", "K")), sim.machine)
    kid = sim.add(tog)
    pred = plan_gemm(sim, kid, a, b, sim.components.timing)
    sim.launch(kid)
    sim.run_until(None)
    return sim.result(), pred, tog


def test_skipped_last_k_step_still_waits_for_the_accumulation_chain():
    """A skipped matmul completes in order on its array: the output store cannot overtake live K steps."""
    from npusim.tog.ops import Dma

    a, b = torch.randn(16, 32), torch.randn(32, 16)
    a[:, 24:] = 0  # the last K slice (k_step 8) of A is zero
    res, pred, tog = _engine_run(a, b)
    sp = res.extra["sparsity"]
    assert sp["loads_skipped"] == pred.loads_skipped == 1 and sp["gemms_skipped"] == pred.gemms_skipped == 1
    order = [n for n, _ in tog.walk()]
    store = next(i for i, n in enumerate(order) if isinstance(n, Dma) and n.direction == "store")
    events, _, _ = res.trace
    arrays = len(res.cores[0]["arrays"])
    gemm_end = max(end for track, node, _, start, end in events if track % 64 < arrays)
    store_start = min(start for track, node, _, start, end in events if node == store)
    assert res.cores[0]["arrays"][0]["tiles"] == 3  # the three live K steps ran, the zero one did not
    assert store_start >= gemm_end


def test_prologue_fused_bmm_is_timed_dense():
    """Scores with the scale fused into Q's loads (a BMM prologue) and zero rows in Q: the BMM is timed dense
    (the engine names a GEMM instance by its two load tiles), nothing is skipped, the outputs still match."""
    def attn(q, k):
        return (q * 0.125) @ k.transpose(-1, -2)

    q, k = torch.randn(2, 16, 8), torch.randn(2, 24, 8)
    q[:, :8] = 0
    _, off = _run(False, attn, q, k)
    out, on = _run(True, attn, q, k)
    assert on.kernels[0]["op"] == "bmm" and on.extra["num_kernels"] == 1  # the scale is a prologue
    assert on.total_cycles == off.total_cycles
    assert on.extra["sparsity_predicted"]["loads_skipped"] == on.extra["sparsity"]["loads_skipped"] == 0
    assert on.extra["functional_check"]["status"] == "passed"
    torch.testing.assert_close(out, attn(q, k))
