"""Synthetic-traffic sweeps (BookSim-style latency runs per injection rate) and saturation detection."""
from __future__ import annotations

import time

from npusim.errors import ConfigError
from npusim_noc.booksim import load_settings
from npusim_noc.native import TRAFFIC_IDS, gbl, make_params

SATURATION_LATENCY_FACTOR = 3.0  # latency above 3x zero-load marks saturation (issue 6)
ACCEPT_TOLERANCE = 0.95           # accepted < 95% of offered marks saturation (sampling noise allowance)


def run_sweep(config_path: str, traffic: str, rates: list[float], *, packet_size: int | None = None,
              warmup_periods: int | None = None, sample_period: int | None = None, seed: int | None = None,
              hotspots: tuple[int, ...] = (0,), hotspot_fraction: float = 0.2, overrides: dict | None = None,
              drain_periods: int = 5) -> dict:
    """Latency/throughput curve: one fresh network per rate; returns {"points": [...], "saturation_rate": ...}."""
    if traffic not in TRAFFIC_IDS:
        raise ConfigError(f"--traffic {traffic!r}: choose one of {', '.join(TRAFFIC_IDS)}")
    vals = load_settings(config_path, overrides)
    psize = packet_size if packet_size is not None else int(vals["packet_size"])
    warm = warmup_periods if warmup_periods is not None else int(vals["warmup_periods"])
    period = sample_period if sample_period is not None else int(vals["sample_period"])
    sd = seed if seed is not None else int(float(vals["seed"])) if str(vals["seed"]).lstrip("-").isdigit() else 0
    if psize < 1 or period < 1 or warm < 0:
        raise ConfigError("packet_size and sample_period must be >= 1, warmup_periods >= 0")
    for r in rates:
        if not 0 < r <= psize:
            raise ConfigError(f"--rates: {r} is not in (0, packet_size={psize}] flits/node/cycle")
    if not 0 <= hotspot_fraction <= 1:
        raise ConfigError(f"--hotspot-fraction {hotspot_fraction}: expected 0..1")
    ns = gbl()
    import cppyy

    params = make_params(vals, freq_mhz=1000.0, latency_cycles=0, node_terminal=[], inject_queue_flits=-1,
                         anynet=vals.get("anynet"))
    hot = cppyy.gbl.std.vector["int"](list(hotspots))
    points = []
    for rate in rates:
        t0 = time.perf_counter()
        try:
            pt = ns.run_synthetic(params, TRAFFIC_IDS[traffic], float(rate), psize, warm * period, period, sd, hot,
                                  float(hotspot_fraction), drain_periods * period)
        except Exception as exc:  # std::invalid_argument from the C++ side
            raise ConfigError(f"noc sweep ({config_path}): {str(exc).splitlines()[0]}") from None
        wall = time.perf_counter() - t0
        points.append({
            "offered": float(pt.offered), "accepted": float(pt.accepted),
            "avg_packet_latency": float(pt.avg_packet_latency), "avg_network_latency": float(pt.avg_network_latency),
            "avg_hops": float(pt.avg_hops), "zero_load_latency": float(pt.zero_load_latency),
            "measured_packets": int(pt.measured_packets), "delivered_packets": int(pt.delivered_packets),
            "stable": bool(pt.stable), "cycles": int(pt.cycles), "wall_s": wall,
            "cycles_per_s": int(pt.cycles) / wall if wall > 0 else 0.0,
        })
    sat = None
    for p in points:
        if (not p["stable"] or p["avg_packet_latency"] > SATURATION_LATENCY_FACTOR * p["zero_load_latency"]
                or p["accepted"] < ACCEPT_TOLERANCE * p["offered"]):
            sat = p["offered"]
            break
    return {"config": config_path, "traffic": traffic, "packet_size": psize, "warmup_cycles": warm * period,
            "sample_cycles": period, "seed": sd, "topology": vals["topology"], "k": vals["k"], "n": vals["n"],
            "points": points, "saturation_rate": sat}
