"""Accumulator port hazard: folds that read-modify-write partial sums on a single-ported accumulator."""
from __future__ import annotations

import pytest

R = 128


def _pair(make_core, df, overlap):
    return (make_core(R, R, df, overlap=overlap, ils=True),
            make_core(R, R, df, overlap=overlap, ils=True, acc_single_ported=True))


def _rmw_folds(m, n, k, df):
    """Folds accumulating onto earlier partial sums: all but the first K fold of every output block."""
    kf = -(-k // R)
    blocks = -(-n // R) if df == "ws" else -(-m // R)
    return blocks * (kf - 1)


@pytest.mark.parametrize("df", ["ws", "is"])
@pytest.mark.parametrize("shape", [(512, 512, 512), (1024, 256, 2048)])
def test_stream_bound_conflict_costs_one_row_per_accumulated_row(make_core, df, shape):
    """Streamed dimension T >= R: every accumulating fold streams at half rate, T extra cycles each."""
    free, single = _pair(make_core, df, overlap=True)
    m, n, k = shape
    T = {"ws": m, "is": n}[df]
    assert T >= R
    a, b = free.cpp.gemm_mode(m, n, k, 1), single.cpp.gemm_mode(m, n, k, 1)
    extra = _rmw_folds(m, n, k, df) * T
    assert extra > 0
    assert b.latency - a.latency == extra and b.occupancy - a.occupancy == extra


def test_preload_bound_conflict_only_delays_the_last_fold(make_core):
    """2T <= R: the RMW rate hides under the weight preload interval; only the last fold's drain is later."""
    free, single = _pair(make_core, "ws", overlap=True)
    m, n, k = 40, 512, 512
    a, b = free.cpp.gemm_mode(m, n, k, 1), single.cpp.gemm_mode(m, n, k, 1)
    assert b.latency - a.latency == m and b.occupancy == a.occupancy


@pytest.mark.parametrize("df", ["ws", "is"])
def test_back_to_back_folds_add_the_conflict_to_scalesim(make_core, df):
    free, single = _pair(make_core, df, overlap=False)
    m, n, k = 64, 512, 512
    T = {"ws": m, "is": n}[df]
    a, b = free.cpp.gemm_mode(m, n, k, 1), single.cpp.gemm_mode(m, n, k, 1)
    assert b.latency - a.latency == _rmw_folds(m, n, k, df) * T


def test_output_stationary_has_no_accumulator_traffic(make_core):
    free, single = _pair(make_core, "os", overlap=True)
    a, b = free.cpp.gemm_mode(512, 512, 512, 1), single.cpp.gemm_mode(512, 512, 512, 1)
    assert (a.latency, a.occupancy) == (b.latency, b.occupancy)


def test_single_k_fold_never_accumulates(make_core):
    free, single = _pair(make_core, "ws", overlap=True)
    a, b = free.cpp.gemm_mode(512, 512, 128, 1), single.cpp.gemm_mode(512, 512, 128, 1)
    assert (a.latency, a.occupancy) == (b.latency, b.occupancy)


@pytest.mark.parametrize("df", ["ws", "os", "is"])
@pytest.mark.parametrize("shape", [(512, 512, 512), (1024, 256, 2048), (64, 512, 512)])
def test_tls_agrees_with_ils_under_port_conflicts(make_core, df, shape):
    ils = make_core(R, R, df, acc_single_ported=True)
    t, i = ils.cpp.gemm_mode(*shape, 0), ils.cpp.gemm_mode(*shape, 1)
    assert abs(t.latency - i.latency) <= 0.02 * i.latency
    assert abs(t.occupancy - i.occupancy) <= 0.02 * i.occupancy


def test_port_choice_is_part_of_the_tile_database_key():
    from npusim_cores.component import hw_params
    from npusim_cores.config import SystolicCoreConfig

    a = hw_params(SystolicCoreConfig(), 128, 128, 128, 256, False)
    b = hw_params(SystolicCoreConfig(acc_single_ported=True), 128, 128, 128, 256, False)
    assert a != b


def test_cli_flag_prints_the_conflicted_cycles():
    from click.testing import CliRunner

    from npusim_cores.cli import cores

    free = CliRunner().invoke(cores, ["gemm", "512,512,512", "--ils"])
    single = CliRunner().invoke(cores, ["gemm", "512,512,512", "--ils", "--acc-single-ported"])
    assert free.exit_code == single.exit_code == 0
    assert "8573 cycles" in free.output and "14717 cycles" in single.output  # + 12 RMW folds x 512 rows


def _vec(xs):
    import cppyy

    return cppyy.gbl.std.vector["int64_t"](xs)


@pytest.mark.parametrize("overlap", [True, False])
@pytest.mark.parametrize("live", [[4, 4, 4, 4], [1, 3, 0, 4], [2], [1, 1, 1], [0, 5, 2]])
def test_explicit_blocks_tls_equals_ils(make_core, overlap, live):
    """Per-block fold counts (a sparse tile): the closed form and the port scoreboard agree exactly."""
    tls = make_core(R, R, "ws", overlap=overlap, acc_single_ported=True)
    ils = make_core(R, R, "ws", overlap=overlap, ils=True, acc_single_ported=True)
    for T in (40, 512):
        a, b = tls.cpp.gemm_blocks(_vec(live), T), ils.cpp.gemm_blocks(_vec(live), T)
        assert (a.latency, a.occupancy) == (b.latency, b.occupancy)


def test_dense_blocks_equal_the_tile_query(make_core):
    core = make_core(R, R, "ws", ils=True, acc_single_ported=True)
    a, b = core.cpp.gemm_blocks(_vec([4] * 4), 512), core.cpp.gemm(512, 512, 512, 4)
    assert (a.latency, a.occupancy) == (b.latency, b.occupancy)


def test_sparse_fold_counts_per_output_block(make_core):
    """A zero weight block leaves its output block one fold shorter: one fewer accumulating fold."""
    import numpy as np

    from npusim_cores.sparsity import sparse_gemm_timing

    core = make_core(32, 32, "ws", ils=True, acc_single_ported=True)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((64, 64)), rng.standard_normal((64, 64))
    b[0:32, 0:32] = 0  # K block 0 of output block 0: live folds per block [1, 2]
    r = sparse_gemm_timing(core, a, b)
    want = core.cpp.gemm_blocks(_vec([1, 2]), 64)
    assert r.folds_skipped == 1 and (r.latency, r.occupancy) == (want.latency, want.occupancy)
    # 1 accumulating fold instead of 2: the single-ported accumulator saves T extra cycles plus the fold
    assert r.dense_occupancy - r.occupancy == 2 * 64


@pytest.mark.parametrize("ils", [False, True])
def test_continuing_k_step_accumulates_every_fold(make_core, ils):
    """A later K step of a chain (k_step = one weight fold): its single fold read-modify-writes."""
    single = make_core(R, R, "ws", ils=ils, acc_single_ported=True)
    first, cont = single.cpp.gemm(512, 256, 128, 4), single.cpp.gemm_accumulate(512, 256, 128, 4)
    assert cont.occupancy - first.occupancy == 2 * 512  # 2 N folds, each T = 512 rows at 2 cycles per row
    assert cont.latency - first.latency == 2 * 512
    free = make_core(R, R, "ws", ils=ils)
    a, b = free.cpp.gemm(512, 256, 128, 4), free.cpp.gemm_accumulate(512, 256, 128, 4)
    assert (a.latency, a.occupancy) == (b.latency, b.occupancy)


def test_continuing_tiles_round_trip_through_the_tile_database(tmp_path):
    from npusim_cores.component import Standalone
    from npusim_cores.config import SystolicCoreConfig
    from npusim_cores.tiledb import entries_from_cpp, entries_to_cpp
    from npusim.tog.ops import VEC_OPS

    core = Standalone(SystolicCoreConfig(tile_db=False, acc_single_ported=True))
    t = core.cpp.gemm_accumulate(256, 256, 128, 2)
    entries = entries_from_cpp(str(core.cpp.export_entries(False)), VEC_OPS)
    assert entries == {"gemm_acc:256,256,128:2": [t.latency, t.occupancy]}
    fresh = Standalone(SystolicCoreConfig(tile_db=False, acc_single_ported=True))
    assert fresh.cpp.import_entries(entries_to_cpp(entries, VEC_OPS)) == 1
    assert fresh.cpp.gemm_accumulate(256, 256, 128, 2).latency == t.latency
    assert fresh.stats()["cache_misses"] == 0


def test_engine_sees_the_conflict_when_a_k_step_spans_several_folds():
    """tpuv3 GEMM 512^3 with K sub-tiles of 512 (4 weight folds per GEMM instance): on a single-ported
    accumulator each output block's 3 accumulating folds stream at half rate, T = 512 extra cycles each."""
    from npusim.config import load_config
    from npusim.engine.simulator import Simulator
    from npusim.kernels import KernelSpec, Mapping
    from npusim.lowering import lower

    busy, cycles = {}, {}
    for single in (False, True):
        machine = load_config("tpuv3", overrides={"timing.acc_single_ported": single, "timing.tile_db": False})
        sim = Simulator(machine)
        kernel = KernelSpec("gemm", {"M": 512, "N": 512, "K": 512}, "bf16", name="g")
        sim.launch(lower(kernel, Mapping({"M": 512, "N": 256, "K": 512}, ("M", "N", "K"), sub_tiles={"K": 512}),
                         machine))
        sim.run_until(None)
        res = sim.result()
        busy[single] = sum(a["busy_cycles"] for c in res.cores for a in c["arrays"])
        cycles[single] = res.total_cycles
    output_blocks = 512 // R  # N = 512 in 128-column blocks, each accumulating over 4 K folds
    assert busy[True] - busy[False] == output_blocks * 3 * 512
    assert cycles[True] > cycles[False]


def test_engine_times_later_k_steps_of_a_chain_as_accumulating():
    """Default K sub-tiles (one fold = 128 rows per GEMM instance): only later K steps of a chain add onto
    partial sums, and the engine asks gemm_accumulate for them, so a single-ported accumulator costs
    T extra cycles for each of the (K/128 - 1) later steps of every output block."""
    from npusim.config import load_config
    from npusim.engine.simulator import Simulator
    from npusim.kernels import KernelSpec, Mapping
    from npusim.lowering import lower

    busy = {}
    for single in (False, True):
        machine = load_config("tpuv3", overrides={"timing.acc_single_ported": single, "timing.tile_db": False})
        kernel = KernelSpec("gemm", {"M": 512, "N": 512, "K": 512}, "bf16", name="g")
        res = Simulator(machine).run([lower(kernel, Mapping({"M": 512, "N": 512, "K": 512}, ("M", "N", "K")),
                                            machine)])
        busy[single] = sum(a["busy_cycles"] for c in res.cores for a in c["arrays"])
    output_blocks = 512 // R  # 2 arrays x 256 columns = 4 blocks of 128 columns
    assert busy[True] - busy[False] == output_blocks * (512 // R - 1) * 512
