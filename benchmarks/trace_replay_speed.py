"""End-to-end speed of `npusim mem replay` stages on a Ramulator load/store trace: parse, route, simulate.

Usage: python benchmarks/trace_replay_speed.py [N_LINES] [REPEATS]
Writes a random 25%-write trace of N_LINES lines (default 1,000,000; hex and decimal addresses) to a temporary
file, then prints, per stage, the best and median CPU seconds of REPEATS runs (default 3) and lines per CPU
second. The machine is shared: the best run is the least disturbed one.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from npusim_dram.config import DramConfig
from npusim_dram.device import Hbm2Dram
from npusim_dram.replay import parse_trace, replay, route


def timed(fn, repeats: int) -> tuple[list[float], object]:
    """CPU seconds of `repeats` calls of fn() and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return times, out


def main(n: int, repeats: int) -> None:
    """Write the trace, time each stage and print the table."""
    rng = np.random.default_rng(0)
    addrs = rng.integers(0, 1 << 32, n) // 32 * 32
    writes = rng.random(n) < 0.25
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.trace"
        path.write_text("".join(f"{'ST' if w else 'LD'} {hex(a) if i % 2 else a}\n"
                                for i, (a, w) in enumerate(zip(addrs.tolist(), writes.tolist()))))
        dram = Hbm2Dram(DramConfig(channels=16, freq_mhz=940))  # compile/load the C++ library outside the timings
        rows = []
        t, (a, w) = timed(lambda: parse_trace(path), repeats)
        assert np.array_equal(a, addrs) and np.array_equal(w, writes.astype(np.int8))
        rows.append(("parse (C++ fast path)", t))
        t, _ = timed(lambda: route(dram, a), repeats)
        rows.append(("route (address mapping)", t))
        t, _ = timed(lambda: replay(Hbm2Dram(DramConfig(channels=16, freq_mhz=940)), a, w), repeats)
        rows.append(("simulate (HBM2 16ch, incl. route)", t))
    print(f"{n:,} trace lines, best and median CPU s of {repeats} runs")
    head = f"{'stage':<36} {'best s':>8} {'median s':>9} {'M lines/cpu-s':>14}"
    print(head)
    print("-" * len(head))
    for name, times in rows:
        print(f"{name:<36} {min(times):8.3f} {statistics.median(times):9.3f} {n / min(times) / 1e6:14.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
