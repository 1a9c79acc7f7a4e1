"""Fixed-seed, fixed-traffic scenarios whose exact results are pinned in data/noc_golden.json.

Run `python golden_scenarios.py --write` only for an intended behaviour change (the file was recorded from the
session-1 network before the speed work, the router-option entries when those options were added, so any change
in timing or arbitration shows up as a mismatch).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data" / "noc_golden.json"

# (name, config file, traffic, rate, overrides): one sweep point each, warm-up 1 x 1500 cycles, sample 1500
SWEEPS = [
    ("mesh88_uniform_0.10", "mesh88.icnt", "uniform", 0.10, {}),
    ("mesh88_uniform_0.17", "mesh88.icnt", "uniform", 0.17, {}),
    ("mesh88_uniform_0.25_saturated", "mesh88.icnt", "uniform", 0.25, {}),
    ("mesh88_transpose_0.08", "mesh88.icnt", "transpose", 0.08, {}),
    ("mesh88_4flit_sepout_0.2", "mesh88.icnt", "uniform", 0.2,
     {"packet_size": 4, "vc_allocator": "separable_output_first", "sw_allocator": "separable_input_first",
      "alloc_iters": 2}),
    ("mesh88_credit2_nowait_0.12", "mesh88.icnt", "uniform", 0.12,
     {"credit_delay": 2, "wait_for_tail_credit": 0, "routing_delay": 0, "vc_alloc_delay": 2}),
    ("torus44_hotspot_0.15", "torus44.icnt", "hotspot", 0.15, {}),
    ("fly_c16_m16_0.45", "fly_c16_m16.icnt", "uniform", 0.45, {}),
    ("fly_c16_m16_speedup1.5_0.3", "fly_c16_m16.icnt", "uniform", 0.3, {"internal_speedup": 1.5, "packet_size": 2}),
    # router options, pinned when they were added (after the speed work; the entries above predate it)
    ("mesh88_spec_hold_sep_4flit_0.17", "mesh88.icnt", "uniform", 0.17,
     {"speculative": 1, "hold_switch_for_packet": 1, "packet_size": 4, "vc_allocator": "separable_input_first",
      "sw_allocator": "separable_output_first"}),
    ("mesh88_hold_islip_8flit_0.15", "mesh88.icnt", "uniform", 0.15, {"hold_switch_for_packet": 1, "packet_size": 8}),
    ("cmesh_k4c4_spec_0.06", "mesh88.icnt", "transpose", 0.06,
     {"topology": "cmesh", "k": 4, "c": 4, "xr": 2, "yr": 2, "routing_function": "dor_no_express", "speculative": 1}),
]
SWEEP_FIELDS = ("accepted", "avg_packet_latency", "avg_network_latency", "avg_hops", "zero_load_latency",
                "measured_packets", "delivered_packets", "cycles", "stable")


def sweep_results() -> dict:
    """Exact sweep-point values of every SWEEPS scenario."""
    from npusim_noc.sweep import run_sweep

    configs = HERE.parents[2] / "configs" / "noc"
    out = {}
    for name, cfg, traffic, rate, over in SWEEPS:
        res = run_sweep(str(configs / cfg), traffic, [rate], warmup_periods=1, sample_period=1500, seed=7,
                        overrides=over)
        p = res["points"][0]
        out[name] = {k: p[k] for k in SWEEP_FIELDS}
    return out


def interconnect_trace() -> dict:
    """Per-packet delivery times through npusim::Interconnect (try_send/advance) for a fixed random workload:
    400 packets of 1..300 bytes between 64 nodes of mesh88.icnt, sources 0..15 in bursts against a 64-flit queue (back-pressure)."""
    import random

    from helpers import CONFIGS, PERIOD_PS, make_net
    from npusim.testing.drive import make_packet
    import cppyy
    from npusim_noc.native import gbl

    net, _ = make_net(config_path=str(CONFIGS / "mesh88.icnt"), queue=64)
    rng = random.Random(1234)
    pending = [(rng.randrange(0, 600) * PERIOD_PS // 3, i, rng.randrange(16), rng.randrange(64),
                rng.randrange(1, 301)) for i in range(400)]
    pending.sort()
    out = cppyy.gbl.std.vector[gbl().PacketDelivery]()
    got, refused, now, i = [], 0, 0, 0
    while i < len(pending) or net.next_event() < 2**62:
        while i < len(pending) and pending[i][0] <= now:
            t, pid, s, d, nb = pending[i]
            if net.try_send(make_packet(pid, s, d, nb), now):
                i += 1
            else:
                refused += 1
                break
        now += 7 * PERIOD_PS // 2
        out.clear()
        net.advance(now, out)
        got += [(int(x.pkt.id), int(x.time)) for x in out]
        assert now < 10**10, "trace did not finish"
    text = ";".join(f"{p}:{t}" for p, t in got)
    stats = json.loads(str(net.stats_json()))
    return {"delivered": len(got), "refused": refused, "sum_ps": sum(t for _, t in got),
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "stats": {k: stats[k] for k in ("packets", "flits", "bytes", "cycles", "avg_packet_latency_cycles",
                                            "max_packet_latency_cycles", "avg_hops", "avg_latency_ps")}}


def all_results() -> dict:
    """Everything pinned in the golden file."""
    return {"sweeps": sweep_results(), "interconnect": interconnect_trace()}


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    if "--write" in sys.argv:
        GOLDEN.write_text(json.dumps(all_results(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN}")
    else:
        print(json.dumps(all_results(), indent=1, sort_keys=True))
