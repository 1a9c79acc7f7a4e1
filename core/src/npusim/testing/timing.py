"""Conformance tests every ComputeTiming component must pass; subclass and define make_component()."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from npusim.tog.ops import VEC_OPS


class ComputeTimingConformance:
    """Base class: `make_component()` returns a fresh component whose `.cpp` is a npusim::ComputeTiming."""

    def make_component(self):
        raise NotImplementedError("subclasses build the component under test")

    @given(st.integers(1, 512), st.integers(1, 512), st.integers(1, 512), st.sampled_from([1, 2, 4]))
    def test_gemm_positive_and_occupancy_within_latency(self, m, n, k, b):
        comp = self.make_component()
        t = comp.cpp.gemm(m, n, k, b)
        assert 0 < t.occupancy <= t.latency

    @given(st.integers(1, 256), st.integers(1, 256), st.integers(1, 256))
    def test_gemm_monotonic_in_every_dimension(self, m, n, k):
        comp = self.make_component()
        cpu = comp.cpp
        base = cpu.gemm(m, n, k, 4).latency
        assert cpu.gemm(m * 2, n, k, 4).latency >= base
        assert cpu.gemm(m, n * 2, k, 4).latency >= base
        assert cpu.gemm(m, n, k * 2, 4).latency >= base

    @given(st.integers(0, len(VEC_OPS) - 1), st.integers(1, 1 << 16), st.sampled_from([1, 2, 4]))
    def test_vector_positive_and_monotonic(self, op, elems, b):
        comp = self.make_component()
        cpu = comp.cpp
        t = cpu.vector(op, elems, b)
        assert 0 < t.occupancy <= t.latency
        assert cpu.vector(op, elems * 4, b).latency >= t.latency

    def test_deterministic(self):
        ca, cb = self.make_component(), self.make_component()
        a, b = ca.cpp, cb.cpp
        for shape in [(128, 128, 128), (7, 300, 33), (1, 1, 1)]:
            ta, tb = a.gemm(*shape, 4), b.gemm(*shape, 4)
            assert (ta.latency, ta.occupancy) == (tb.latency, tb.occupancy)
