"""Zero-load latency equals the closed form: routers x per-hop pipeline + channels + serialization."""
import json

import pytest
from helpers import PERIOD_PS, make_net, pipeline, run_until_idle, send

DELAYS = [
    {},  # BookSim defaults: 1-cycle routing, VC alloc, switch alloc, traversal
    {"routing_delay": 0, "vc_alloc_delay": 1, "sw_alloc_delay": 1, "st_final_delay": 1},
    {"routing_delay": 2, "vc_alloc_delay": 0, "sw_alloc_delay": 2, "st_prepare_delay": 1, "st_final_delay": 0},
]


def closed_form(routers: int, links: int, flits: int, pipe: int, extra: int = 0) -> int:
    """Injection channel + routers x pipeline + inter-router channels + ejection channel + terminal read
    cycle + (flits - 1) serialization.

    BookSim 2 (github.com/booksim/booksim2 @28ba2d4, built here) on configs/noc/mesh88.icnt at 0.002
    flits/node/cycle: 1-flit packets 33.10 cycles at 6.219 routers/packet (min 7, one router), 4-flit
    packets 35.69 at 6.136 routers (min 10): exactly routers x (pipeline 4 + channel 1) + 2 + (flits - 1).
    """
    return 1 + routers * pipe + links + 1 + 1 + (flits - 1) + extra


def one_packet(net, src, dst, nbytes, start_cycle=3, latency_extra=0):
    assert send(net, 7, src, dst, nbytes, start_cycle * PERIOD_PS)
    (pid, t), = run_until_idle(net)
    assert pid == 7
    return (t - start_cycle * PERIOD_PS) // PERIOD_PS


@pytest.mark.parametrize("delays", DELAYS)
@pytest.mark.parametrize("src,dst,nbytes", [(0, 63, 32), (9, 9, 32), (5, 42, 160), (63, 0, 100)])
def test_mesh_zero_load(delays, src, dst, nbytes):
    net, vals = make_net({"topology": "mesh", "k": 8, "n": 2, "num_vcs": 2, **delays})
    hops = abs(src % 8 - dst % 8) + abs(src // 8 - dst // 8)
    flits = -(-nbytes // vals["flit_size"])
    assert one_packet(net, src, dst, nbytes) == closed_form(hops + 1, hops, flits, pipeline(vals))
    stats = json.loads(str(net.stats_json()))
    assert stats["avg_hops"] == hops and stats["flits"] == flits


@pytest.mark.parametrize("src,dst", [(0, 15), (0, 3), (5, 10), (12, 1)])
def test_torus_zero_load_takes_shorter_way(src, dst):
    net, vals = make_net({"topology": "torus", "k": 4, "n": 2, "num_vcs": 2})
    def ring(a, b):
        d = abs(a - b)
        return min(d, 4 - d)
    hops = ring(src % 4, dst % 4) + ring(src // 4, dst // 4)
    assert one_packet(net, src, dst, 64) == closed_form(hops + 1, hops, 2, pipeline(vals))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_fly_zero_load(n):
    net, vals = make_net({"topology": "fly", "k": 4, "n": n, "routing_function": "dest_tag", "num_vcs": 1})
    last = 4 ** n - 1
    assert one_packet(net, 0, last, 32) == closed_form(n, n - 1, 1, pipeline(vals))


def test_pytorchsim_crossbar_with_fixed_latency(tmp_path):
    """fly_c16_m16.icnt has internal_speedup = 2: the router runs two internal steps per cycle (BookSim
    Router::Evaluate), so VC and switch allocation (1 cycle each) finish within one cycle and the crossbar
    transit is 2 cycles: 1 (injection) + 2 + 1 (ejection) + 1 (read) = 5 at zero load. BookSim 2 on the same
    file measures 5.15 cycles at 0.2 flits/node/cycle and 5.31 at 0.3 (see test_booksim_golden.py)."""
    from helpers import CONFIGS

    net, vals = make_net(config_path=str(CONFIGS / "fly_c16_m16.icnt"), latency_cycles=10)
    assert one_packet(net, 3, 20, 64) == 5 + (2 - 1) + 10
    assert net.min_latency_ps() == (5 + 10) * PERIOD_PS
    slow, _ = make_net({"internal_speedup": 1.0}, config_path=str(CONFIGS / "fly_c16_m16.icnt"))
    assert one_packet(slow, 3, 20, 64) == closed_form(1, 0, 2, pipeline(vals))


def test_anynet_link_latency(tmp_path):
    (tmp_path / "two.anynet").write_text("router 0 node 0 router 1 5\nrouter 1 node 1\n")
    (tmp_path / "two.icnt").write_text("topology = anynet; network_file = two.anynet; num_vcs = 2;\n")
    net, vals = make_net(config_path=str(tmp_path / "two.icnt"))
    # node 0 -> node 1 uses the 5-cycle channel; the way back is the default 1-cycle channel
    assert one_packet(net, 0, 1, 32) == closed_form(2, 5, 1, pipeline(vals))
    net, _ = make_net(config_path=str(tmp_path / "two.icnt"))
    assert one_packet(net, 1, 0, 32) == closed_form(2, 1, 1, pipeline(vals))


def test_matches_booksim_zero_load_minimum():
    """BookSim 2's minimum latency on mesh88.icnt (a packet to its own router): 7 cycles for 1 flit, 10 for 4."""
    from helpers import CONFIGS

    for nbytes, want in ((32, 7), (128, 10)):
        net, _ = make_net(config_path=str(CONFIGS / "mesh88.icnt"))
        assert one_packet(net, 12, 12, nbytes) == want


def test_idle_network_is_skipped_and_reports_never():
    net, vals = make_net({"topology": "mesh", "k": 8, "n": 2})
    assert net.next_event() >= 2**62
    start = 10**9  # a million cycles of idle time cost nothing
    assert one_packet(net, 0, 1, 32, start_cycle=start) == closed_form(2, 1, 1, pipeline(vals))
    assert net.next_event() >= 2**62
    assert json.loads(str(net.stats_json()))["packets"] == 1


def test_two_subnets_keep_responses_off_the_request_network():
    """subnets = 2: a response is not queued behind a burst of requests from the same source."""
    import npusim.testing
    from helpers import CONFIGS
    from npusim.testing.drive import make_packet

    def response_latency(subnets: int) -> int:
        comp = npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                              params={"config_path": str(CONFIGS / "mesh88.icnt"), "freq_mhz": 1000,
                                                      "params": {"subnets": subnets}})
        net = comp.cpp
        for i in range(20):
            assert net.try_send(make_packet(i, 0, 1, 256), 0)
        resp = make_packet(99, 0, 1, 32)
        resp.is_response = 1
        assert net.try_send(resp, 0)
        got = dict(run_until_idle(net))
        assert len(got) == 21
        if subnets == 2:
            assert comp.stats()["packets"] == 21 and comp.stats()["response"]["packets"] == 1
        return got[99] // PERIOD_PS

    pipe = 4  # mesh88.icnt: 1-cycle routing, VC allocation, switch allocation, traversal
    assert response_latency(2) == closed_form(2, 1, 1, pipe)  # nodes 0, 1 sit on terminals 0 and 8: one hop
    assert response_latency(1) > closed_form(2, 1, 1, pipe) + 20
