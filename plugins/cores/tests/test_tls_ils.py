"""TLS closed forms agree with the instruction-level pipeline (the reference) within 2% on steady-state tiles."""
from __future__ import annotations

import pytest

from npusim.tog.ops import VEC_OPS


@pytest.mark.parametrize("overlap", [False, True])
@pytest.mark.parametrize("df", ["ws", "os", "is"])
@pytest.mark.parametrize("shape", [(128, 128, 128), (512, 512, 512), (1024, 256, 2048), (64, 512, 512)])
def test_gemm_tls_matches_ils(shape, df, overlap, make_core):
    core = make_core(128, 128, df, overlap=overlap)
    tls, ils = core.cpp.gemm_mode(*shape, 0), core.cpp.gemm_mode(*shape, 1)
    assert abs(tls.latency - ils.latency) <= 0.02 * ils.latency
    assert abs(tls.occupancy - ils.occupancy) <= 0.02 * ils.occupancy


@pytest.mark.parametrize("dtype_bytes", [4, 2, 1])
@pytest.mark.parametrize("op", range(len(VEC_OPS)), ids=list(VEC_OPS))
def test_vector_tls_matches_ils(op, dtype_bytes, make_core):
    core = make_core()
    elements = 256 * 128 * 256 // (8 * dtype_bytes)  # 256 vector instructions (128 lanes x VLEN 256): steady state
    tls, ils = core.cpp.vector_mode(op, elements, dtype_bytes, 0), core.cpp.vector_mode(op, elements, dtype_bytes, 1)
    assert abs(tls.latency - ils.latency) <= 0.02 * ils.latency
    assert abs(tls.occupancy - ils.occupancy) <= 0.02 * ils.occupancy


def test_ils_shows_register_pressure(make_core):
    """With too few vector registers the ILS pipeline cannot hide latency; TLS (throughput) cannot see it."""
    roomy, starved = make_core(vec_registers=32), make_core(vec_registers=3)
    op = VEC_OPS.index("fma")
    full = roomy.cpp.vector_mode(op, 1 << 18, 4, 1).latency
    tight = starved.cpp.vector_mode(op, 1 << 18, 4, 1).latency
    assert tight > 1.5 * full
    assert starved.cpp.vector_mode(op, 1 << 18, 4, 0).latency == roomy.cpp.vector_mode(op, 1 << 18, 4, 0).latency


def test_env_selects_ils(monkeypatch):
    from npusim_cores.component import ils_mode

    assert ils_mode(True) is False and ils_mode(False) is True
    monkeypatch.setenv("NPUSIM_TLS_MODE", "0")
    assert ils_mode(True) is True
    monkeypatch.setenv("NPUSIM_TLS_MODE", "1")
    assert ils_mode(False) is False


@pytest.mark.parametrize("ils", [0, 1])
def test_edge_tiles_get_their_own_latency(make_core, ils):
    """A partial border tile streams fewer rows than the full tile and is cached under its own shape."""
    core = make_core(128, 128, "ws", ils=bool(ils))
    full, edge = core.cpp.gemm(128, 128, 128, 2), core.cpp.gemm(40, 128, 128, 2)
    assert edge.latency == full.latency - 88 and edge.occupancy == 128  # preload-bound: max(T, R) = R
    assert core.cpp.gemm(128, 128, 128, 2).latency == full.latency
    assert core.stats()["cache_entries"] == 2
