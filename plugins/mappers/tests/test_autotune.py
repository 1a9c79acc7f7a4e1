"""Autotune: never worse than heuristic (cost model and engine), ask/tell protocol, retries, disk cache."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from mapper_helpers import CALIB_CONVS, CALIB_GEMMS, conv, machine, make
from npusim.engine.simulator import Simulator
from npusim.errors import MappingError
from npusim.kernels import KernelSpec
from npusim.lowering import lower
from npusim_mappers.validate import check_mapping

SIZES = st.sampled_from([1, 3, 13, 64, 127, 129, 257, 429, 1009])


@settings(max_examples=25, deadline=None)
@given(SIZES, SIZES, SIZES)
def test_model_never_worse_than_heuristic(m, n, k):
    mc = machine("small-8x8")
    kernel = KernelSpec("gemm", {"M": m, "N": n, "K": k})
    auto = make("autotune", mc, simulate="model", max_candidates=2000)
    chosen = auto.best(kernel)
    check_mapping(kernel, chosen, mc)
    assert auto.cost(kernel, chosen) <= auto.cost(kernel, make("heuristic", mc).best(kernel))


def test_model_calibration_kernels(tpuv3):
    auto = make("autotune", tpuv3, simulate="model", max_candidates=3000)
    heur = make("heuristic", tpuv3)
    for kernel in [*CALIB_GEMMS, CALIB_CONVS[-1], KernelSpec("vector", {"R": 4071, "C": 429},
                                                            epilogue=("exp", "reduce_sum"), reduce="C")]:
        chosen = auto.best(kernel)
        check_mapping(kernel, chosen, tpuv3)
        assert auto.cost(kernel, chosen) <= auto.cost(kernel, heur.best(kernel))


def _engine_cycles(mc, kernel, mapping):
    return Simulator(mc).run([lower(kernel, mapping, mc)]).total_cycles


def test_engine_never_worse_than_heuristic(small):
    """Default autotune simulates the heuristic's mapping among the top-k, so it can only win or tie."""
    for kernel in (KernelSpec("gemm", {"M": 129, "N": 64, "K": 257}), conv(2, 9, 16, 8, k=3),
                   KernelSpec("vector", {"R": 100, "C": 37}, epilogue=("exp", "reduce_max"), reduce="C")):
        auto = make("autotune", small, topk=2, max_candidates=500)
        chosen = auto.best(kernel)
        heur = make("heuristic", small).best(kernel)
        assert _engine_cycles(small, kernel, chosen) <= _engine_cycles(small, kernel, heur)


def test_ask_tell_and_retry(small):
    kernel = KernelSpec("gemm", {"M": 100, "N": 100, "K": 100})
    auto = make("autotune", small, topk=2, max_retry=1, simulate="model")
    seen = []
    while (m := auto.propose(kernel)) is not None:
        seen.append(m)
        auto.report(kernel, m, None if len(seen) == 2 else 1000 - len(seen))  # 2nd simulation fails
    assert seen[0].source == "heuristic"
    assert len(seen) == 1 + 2 + 1  # heuristic + top-k + one retry for the failure
    assert len({json.dumps(m.tiles, sort_keys=True) for m in seen}) == len(seen)
    assert auto.best(kernel) == seen[-1]  # the lowest reported cycles


def test_simulate_callback_errors_count_as_failures(small):
    kernel = KernelSpec("gemm", {"M": 64, "N": 80, "K": 96})
    calls = []

    def simulate(mapping):
        calls.append(mapping)
        if len(calls) == 1:
            raise MappingError("engine rejected it")
        return 500 - len(calls)

    auto = make("autotune", small, topk=3, max_retry=2)
    chosen = auto.best(kernel, simulate)
    assert len(calls) == 1 + 3 + 1 and chosen == calls[-1]


def test_disk_cache(tmp_path, small):
    kernel = KernelSpec("gemm", {"M": 257, "N": 31, "K": 129})
    calls = []

    def simulate(mapping):
        calls.append(mapping)
        return 100 + len(calls)

    first = make("autotune", small, cache_dir=str(tmp_path), topk=2).best(kernel, simulate)
    n = len(calls)
    again = make("autotune", small, cache_dir=str(tmp_path), topk=2).best(kernel, simulate)
    assert again == first and len(calls) == n  # served from the cache, nothing re-simulated
    files = list(tmp_path.rglob("*"))
    assert not [f for f in files if f.name.startswith(".tmp-")]  # atomic writes leave no temp files
    other = machine("small-8x8", **{"core.spad_kib_per_lane": 8})
    make("autotune", other, cache_dir=str(tmp_path), topk=2).best(kernel, simulate)
    assert len(calls) > n  # a different machine is a different cache entry


def test_resident_candidates_ranked_by_reread_bytes(tpuv3):
    """With one K tile, the space has A- and B-resident variants; the cost model charges a resident
    panel once, so it ranks below re-reading it on a memory-bound shape."""
    kernel = KernelSpec("gemm", {"M": 512, "N": 4096, "K": 1024})
    tuner = make("autotune", tpuv3)
    cands = [m for m in tuner.candidates(kernel) if m.tiles == {"M": 512, "N": 1024, "K": 1024}]
    by_res = {m.resident: m for m in cands}
    assert set(by_res) == {"", "A", "B"} and by_res["A"].order == ("M", "N", "K") and by_res["B"].order[:2] == ("N", "M")
    for m in cands:
        check_mapping(kernel, m, tpuv3)  # every candidate lowers and its footprint agrees
    assert tuner.cost(kernel, by_res["A"]) < tuner.cost(kernel, by_res[""])
