"""Conformance tests every MemoryDevice (DRAM) must pass; subclass and define make_component()."""
from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from npusim.testing.drive import drive_memory
from npusim.testing.strategies import memory_streams


class MemoryDeviceConformance:
    """Base class: `make_component()` returns a fresh component whose `.cpp` is a npusim::MemoryDevice."""

    def make_component(self):
        raise NotImplementedError("subclasses build the component under test")

    def _dev(self):
        comp = self.make_component()
        return comp, comp.cpp

    @given(st.data())
    def test_every_request_completes_once(self, data):
        comp, dev = self._dev()
        reqs = data.draw(memory_streams(dev.num_channels()))
        out = drive_memory(dev, reqs)
        counts = Counter(r[0] for r in out)
        assert sorted(counts) == list(range(len(reqs)))
        assert set(counts.values()) == {1}

    @given(st.data())
    def test_latency_at_least_minimum(self, data):
        comp, dev = self._dev()
        out = drive_memory(dev, data.draw(memory_streams(dev.num_channels())))
        floor = dev.min_latency_ps()
        assert floor > 0
        assert all(done - sent >= floor - 1 for _, sent, done, *_ in out)

    def test_streaming_bandwidth_at_most_peak(self):
        comp, dev = self._dev()
        ch = dev.num_channels()
        reqs = [(0, i % ch, (i // ch) * 64, 64, False) for i in range(64 * ch)]
        out = drive_memory(dev, reqs)
        span = max(d for _, _, d, *_ in out)
        moved = sum(r[4] for r in out)
        assert moved / span <= dev.peak_bytes_per_ps() * 1.0001

    @given(st.data())
    def test_deterministic(self, data):
        first, second = self._dev(), self._dev()  # keep the components (and what they own) alive
        reqs = data.draw(memory_streams(first[1].num_channels()))
        assert drive_memory(first[1], reqs) == drive_memory(second[1], reqs)

    def test_stats_json_counts_requests(self):
        comp, dev = self._dev()
        ch = dev.num_channels()
        reqs = [(0, i % ch, i * 32, 32, i % 3 == 0) for i in range(10 * ch)]
        drive_memory(dev, reqs)
        stats = comp.stats()
        per = stats["channels"]
        assert len(per) == ch
        assert sum(c["reads"] + c["writes"] for c in per) == len(reqs)
