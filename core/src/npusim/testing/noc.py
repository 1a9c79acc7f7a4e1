"""Conformance tests every Interconnect must pass; subclass and define make_component()."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from npusim.testing.drive import drive_network
from npusim.testing.strategies import packet_streams


class InterconnectConformance:
    """Base class: `make_component()` returns a fresh component whose `.cpp` is a npusim::Interconnect."""

    def make_component(self):
        raise NotImplementedError("subclasses build the component under test")

    @given(st.data())
    def test_every_packet_delivered_once_to_its_destination(self, data):
        comp = self.make_component()
        net = comp.cpp
        pkts = data.draw(packet_streams(net.num_nodes()))
        out = drive_network(net, pkts)
        ids = sorted(o[0] for o in out)
        assert ids == list(range(len(pkts)))
        want = {i: (s, d) for i, (_, s, d, _) in enumerate(sorted(pkts))}
        assert all(want[i] == (s, d) for i, _, _, s, d in out)

    @given(st.data())
    def test_latency_at_least_minimum_and_drains(self, data):
        comp = self.make_component()
        net = comp.cpp
        out = drive_network(net, data.draw(packet_streams(net.num_nodes())))
        assert all(done - sent >= net.min_latency_ps() - 1 for _, sent, done, _, _ in out)
        assert net.next_event() >= 2**62  # nothing left in flight after injection stops

    @given(st.data())
    def test_deterministic(self, data):
        first, second = self.make_component(), self.make_component()
        pkts = data.draw(packet_streams(first.cpp.num_nodes()))
        assert drive_network(first.cpp, pkts) == drive_network(second.cpp, pkts)
