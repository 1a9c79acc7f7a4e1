"""BookSim router options: speculative VC/switch allocation, hold_switch_for_packet, cmesh concentration.

Reference numbers are BookSim 2 itself (github.com/booksim/booksim2 @28ba2d4, built with g++ -O3) on the
same configuration (configs/noc/mesh88.icnt plus the keys named, `injection_rate_uses_flits = 1;
warmup_periods = 1; sample_period = 5000; max_samples = 2`), "Packet latency average" of the run.
"""
import json

import pytest
from helpers import CONFIGS, PERIOD_PS, make_net, pipeline, run_until_idle, send
from npusim_noc.sweep import run_sweep
from test_zero_load import closed_form, one_packet

MESH = str(CONFIGS / "mesh88.icnt")


def sweep(rates, overrides, config=MESH, sample=5000):
    return run_sweep(config, "uniform", rates, warmup_periods=1, sample_period=sample, overrides=overrides)["points"]


# --- speculative ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("src,dst,nbytes", [(0, 63, 32), (9, 9, 32), (5, 42, 160), (63, 0, 100)])
def test_speculation_saves_one_pipeline_stage_per_router(src, dst, nbytes):
    """Switch allocation overlaps VC allocation: routing + max(VC alloc, switch alloc) + traversal per router."""
    net, vals = make_net({"speculative": 1}, config_path=MESH)
    hops = abs(src % 8 - dst % 8) + abs(src // 8 - dst // 8)
    flits = -(-nbytes // vals["flit_size"])
    assert one_packet(net, src, dst, nbytes) == closed_form(hops + 1, hops, flits, pipeline(vals) - 1)
    plain, _ = make_net(config_path=MESH)
    assert one_packet(plain, src, dst, nbytes) == closed_form(hops + 1, hops, flits, pipeline(vals))


SPEC_BOOKSIM = {0.05: 27.03, 0.10: 27.59, 0.15: 28.76}  # speculative = 1 (BookSim without it: 33.27 .. 37.98)


def test_speculative_latency_matches_booksim():
    for p in sweep(sorted(SPEC_BOOKSIM), {"speculative": 1}):
        want = SPEC_BOOKSIM[p["offered"]]
        assert abs(p["avg_packet_latency"] - want) / want < 0.02, p


def test_speculative_separable_multiflit_matches_booksim():
    """Separable allocators arbitrate speculative bids below non-speculative ones: BookSim 32.44 cycles with
    speculative = 1, separable_input_first VC and switch allocators, packet_size = 4, 0.15 flits/node/cycle."""
    over = {"speculative": 1, "vc_allocator": "separable_input_first", "sw_allocator": "separable_input_first",
            "packet_size": 4}
    (p,) = sweep([0.15], over)
    assert abs(p["avg_packet_latency"] - 32.44) / 32.44 < 0.02 and p["stable"]


def test_speculation_needs_equal_allocation_delays():
    from npusim.errors import ConfigError

    with pytest.raises(ConfigError, match="vc_alloc_delay == sw_alloc_delay"):
        make_net({"speculative": 1, "sw_alloc_delay": 2}, config_path=MESH)


# --- hold_switch_for_packet ----------------------------------------------------------------------------

def two_packets_into_one_port(hold: int) -> tuple[int, int]:
    """Nodes 0 and 2 each send an 8-flit packet to node 1 at the same cycle: both heads reach router 1 together
    and compete for its ejection port. Returns the two latencies, earlier first."""
    net, vals = make_net({"hold_switch_for_packet": hold, "vc_buf_size": 16}, config_path=MESH)
    start = 5
    assert send(net, 1, 0, 1, 8 * 32, start * PERIOD_PS)
    assert send(net, 2, 2, 1, 8 * 32, start * PERIOD_PS)
    got = sorted((t - start * PERIOD_PS) // PERIOD_PS for _, t in run_until_idle(net))
    return got[0], got[1]


def test_hold_switch_keeps_packets_contiguous_on_an_output():
    alone = closed_form(2, 1, 8, 4)  # one hop, 8 flits, mesh88 pipeline 4
    first, second = two_packets_into_one_port(hold=1)
    assert first == alone  # the winner streams all 8 flits back to back
    assert second == alone + 8  # the other waits for the whole packet, then streams
    first, second = two_packets_into_one_port(hold=0)
    assert first > alone + 4 and second <= alone + 9  # round-robin per flit: the two packets interleave


HOLD_BOOKSIM = {0.10: 37.63, 0.20: 39.93}  # hold_switch_for_packet = 1, packet_size = 4


def test_hold_switch_latency_matches_booksim():
    for p in sweep(sorted(HOLD_BOOKSIM), {"hold_switch_for_packet": 1, "packet_size": 4}):
        want = HOLD_BOOKSIM[p["offered"]]
        assert abs(p["avg_packet_latency"] - want) / want < 0.02, p


# --- concentration (cmesh) -------------------------------------------------------------------------------

CMESH = """// 4x4 concentrated mesh, 4 nodes per router (BookSim examples/cmeshconfig), mesh88.icnt router
topology = cmesh; k = 4; n = 2; c = 4; xr = 2; yr = 2; x = 4; y = 4;
routing_function = dor_no_express;
num_vcs = 4; vc_buf_size = 8; wait_for_tail_credit = 1; vc_allocator = islip; sw_allocator = islip;
credit_delay = 1; routing_delay = 1; vc_alloc_delay = 1; sw_alloc_delay = 1; st_final_delay = 1;
"""


@pytest.fixture
def cmesh_file(tmp_path):
    f = tmp_path / "cmesh.icnt"
    f.write_text(CMESH)
    return str(f)


@pytest.mark.parametrize("src,dst,x_hops,y_hops", [
    (0, 9, 0, 0),    # nodes 0, 1, 8, 9 share router 0: no router-to-router hop
    (0, 2, 1, 0),    # next router in x
    (0, 16, 0, 1),   # next router in y
    (0, 63, 3, 3),   # opposite corner: 6 hops where an 8x8 mesh needs 14
    (45, 16, 2, 1),  # router (2, 2) to router (0, 1)
])
def test_cmesh_maps_c_nodes_to_one_router(cmesh_file, src, dst, x_hops, y_hops):
    """Node a sits at column a % 8, row a // 8 of an 8x8 node grid; each router serves a 2x2 block and its
    channels span the block (use_noc_latency: xr = yr = 2 cycles)."""
    net, vals = make_net(config_path=cmesh_file)
    hops = x_hops + y_hops
    assert one_packet(net, src, dst, 32) == closed_form(hops + 1, 2 * hops, 1, pipeline(vals))
    assert json.loads(str(net.stats_json()))["avg_hops"] == hops
    short, _ = make_net({"use_noc_latency": 0}, config_path=cmesh_file)
    assert one_packet(short, src, dst, 32) == closed_form(hops + 1, hops, 1, pipeline(vals))


CMESH_BOOKSIM = {0.02: 21.95, 0.05: 23.31, 0.06: 24.76}  # BookSim saturates at 0.0732-0.0738 accepted


def test_cmesh_matches_booksim(cmesh_file):
    pts = sweep(sorted(CMESH_BOOKSIM) + [0.1], {}, config=cmesh_file)
    for p in pts[:-1]:
        want = CMESH_BOOKSIM[p["offered"]]
        assert abs(p["avg_packet_latency"] - want) / want < 0.02, p
    assert abs(pts[-1]["accepted"] - 0.0735) / 0.0735 < 0.03, pts[-1]
