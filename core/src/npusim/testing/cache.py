"""Conformance tests every L2 CacheDevice must pass; subclass and define make_component()."""
from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from npusim.testing.drive import drive_memory
from npusim.testing.strategies import memory_streams


class CacheConformance:
    """Base class: `make_component()` returns a fresh cache component (downstream is attached here)."""

    def make_component(self):
        raise NotImplementedError("subclasses build the component under test")

    def _dev(self):
        from npusim.builtin.components import SimpleDram, SimpleDramConfig
        from npusim.interfaces.context import BuildContext

        comp = self.make_component()
        ctx = getattr(comp, "_ctx", None)
        if ctx is None:
            from npusim.config import load_config

            ctx = BuildContext(load_config("small-8x8"))
        dram = SimpleDram(SimpleDramConfig(channels=comp.cpp.num_channels()), ctx)
        comp.cpp.set_downstream(dram.cpp)
        comp._downstream = dram  # keep alive
        return comp, comp.cpp

    @given(st.data())
    def test_every_request_completes_once(self, data):
        comp, dev = self._dev()
        reqs = data.draw(memory_streams(dev.num_channels(), line=32))
        out = drive_memory(dev, reqs)
        counts = Counter(r[0] for r in out)
        assert sorted(counts) == list(range(len(reqs))) and set(counts.values()) == {1}

    @given(st.data())
    def test_hits_plus_misses_equal_accesses_and_occupancy_bounded(self, data):
        comp, dev = self._dev()
        reqs = data.draw(memory_streams(dev.num_channels(), line=32))
        drive_memory(dev, reqs)
        s = comp.stats()
        assert s["hits"] + s["misses"] == s["accesses"]
        assert s["accesses"] >= len(reqs)
        assert 0 <= s["max_occupancy_bytes"] <= s["capacity_bytes"]

    def test_rereads_hit(self):
        comp, dev = self._dev()
        reqs = [(0, 0, 0, 32, False), (10**6, 0, 0, 32, False)]
        drive_memory(dev, reqs)
        assert comp.stats()["hits"] >= 1

    @given(st.data())
    def test_deterministic(self, data):
        first, second = self._dev(), self._dev()  # keep each cache and its downstream DRAM alive
        reqs = data.draw(memory_streams(first[1].num_channels(), line=32))
        assert drive_memory(first[1], reqs) == drive_memory(second[1], reqs)
