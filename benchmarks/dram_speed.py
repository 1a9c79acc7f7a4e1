"""Simulation speed of the cycle-level DRAM: requests per second for streaming and random traces (target >= 5 M/s).

Usage: python benchmarks/dram_speed.py [N_REQUESTS]   (default 1,000,000 per trace)
Prints one row per (standard, mapping, trace): simulated bandwidth, row-hit rate, wall and CPU requests/s.
"""
from __future__ import annotations

import sys

import numpy as np

from npusim_dram.config import DramConfig
from npusim_dram.device import Ddr4Dram, Hbm2Dram, Hbm3Dram, Lpddr5Dram
from npusim_dram.replay import replay

CASES = [  # (label, class, config)
    ("HBM2 TPUv3 16ch RoBaRaCoCh", Hbm2Dram, dict(channels=16, freq_mhz=940)),
    ("HBM2 TPUv3 16ch MOP4CLXOR", Hbm2Dram, dict(channels=16, freq_mhz=940, address_mapping="MOP4CLXOR")),
    ("HBM2 TPUv3 16ch ChRaBaRoCo", Hbm2Dram, dict(channels=16, freq_mhz=940, address_mapping="ChRaBaRoCo")),
    ("HBM3 16ch MOP4CLXOR", Hbm3Dram, dict(channels=16, address_mapping="MOP4CLXOR")),
    ("DDR4-3200 2ch MOP4CLXOR", Ddr4Dram, dict(channels=2, address_mapping="MOP4CLXOR")),
    ("LPDDR5-6400 4ch MOP4CLXOR", Lpddr5Dram, dict(channels=4, address_mapping="MOP4CLXOR")),
]


def traces(n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Streaming reads and uniformly random 32-B reads/writes (25% writes) over 4 GiB."""
    rng = np.random.default_rng(0)
    return {
        "stream": (np.arange(n, dtype=np.int64) * 32, np.zeros(n, dtype=np.int8)),
        "random": ((rng.integers(0, 1 << 32, n) // 32 * 32).astype(np.int64), (rng.random(n) < 0.25).astype(np.int8)),
    }


def main(n: int) -> None:
    """Run every case on both traces and print the table."""
    tr = traces(n)
    Hbm2Dram(DramConfig())  # compile/load the C++ library outside the timed runs
    head = f"{'config':<28} {'trace':<7} {'GB/s':>8} {'%peak':>6} {'hit%':>6} {'lat ns':>7} {'M req/s':>8} {'M req/cpu-s':>11}"
    print(f"{n:,} requests per trace, 32 B each")
    print(head)
    print("-" * len(head))
    for label, cls, kw in CASES:
        for name, (addrs, writes) in tr.items():
            s = replay(cls(DramConfig(**kw)), addrs, writes)
            print(f"{label:<28} {name:<7} {s['bandwidth_gbps']:8.1f} {s['bandwidth_pct_of_peak']:6.1f} "
                  f"{100 * s['row_hit_rate']:6.1f} {s['avg_read_latency_ns']:7.1f} "
                  f"{s['requests_per_wall_s'] / 1e6:8.2f} {s['requests_per_cpu_s'] / 1e6:11.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
