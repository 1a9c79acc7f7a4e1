"""Simulated cycles per second of the booksim NoC on an 8x8 mesh (uniform traffic), optionally vs BookSim 2.

Usage: python benchmarks/noc_speed.py [--rates 0.05,0.1,0.15] [--sample 20000] [--repeat 3] [--booksim PATH/TO/booksim]
Speeds are simulated cycles per CPU second (this process for npusim, the child for BookSim), so other load on a
shared machine counts less; every point runs --repeat times and the table gives the best and the median run.
With --booksim (a BookSim 2 binary built from github.com/booksim/booksim2), the same configuration runs in
BookSim as well and the table adds its latency, speed and the speedup (best/best and median/median).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MESH = ROOT / "configs" / "noc" / "mesh88.icnt"


def run_npusim(rate: float, warmup_periods: int, sample: int) -> dict:
    """One sweep point; CPU time of this process (other load on the machine does not count)."""
    from npusim_noc.sweep import run_sweep

    c0, w0 = time.process_time(), time.perf_counter()
    res = run_sweep(str(MESH), "uniform", [rate], warmup_periods=warmup_periods, sample_period=sample)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    (p,) = res["points"]
    return {"cycles": p["cycles"], "cpu": cpu, "wall": wall, "lat": p["avg_packet_latency"], "acc": p["accepted"]}


def run_booksim(binary: str, rate: float, warmup_periods: int, sample: int) -> dict:
    """The same network and traffic in BookSim 2 (latency mode, one sample after warm-up)."""
    text = MESH.read_text().replace("flit_size = 32;", "")
    text += (f"\ninjection_rate = {rate};\ninjection_rate_uses_flits = 1;\nwarmup_periods = {warmup_periods};\n"
             f"sample_period = {sample};\nmax_samples = {warmup_periods + 1};\nsim_count = 1;\n")
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(text)
    c0 = os.times()
    out = subprocess.run([binary, f.name], capture_output=True, text=True).stdout
    c1 = os.times()
    os.unlink(f.name)
    cyc = re.search(r"Time taken is (\d+) cycles", out)
    lat = re.search(r"Packet latency average = ([\d.]+)", out)
    return {"cycles": int(cyc.group(1)) if cyc else 0, "cpu": c1.children_user - c0.children_user +
            c1.children_system - c0.children_system, "lat": float(lat.group(1)) if lat else float("nan")}


def speeds(runs: list[dict]) -> tuple[float, float]:
    """(best, median) simulated cycles per CPU second of repeated runs (0 when a run produced no cycles)."""
    v = [r["cycles"] / r["cpu"] if r["cpu"] > 0 and r["cycles"] > 0 else 0.0 for r in runs]
    return max(v), statistics.median(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="0.05,0.1,0.15", help="offered flits/node/cycle (mesh88 saturates near 0.17)")
    ap.add_argument("--sample", type=int, default=20000, help="sample period (cycles)")
    ap.add_argument("--warmup-periods", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per point (best and median reported)")
    ap.add_argument("--booksim", default=os.environ.get("BOOKSIM_BIN"), help="BookSim 2 binary for comparison")
    args = ap.parse_args()
    run_npusim(0.01, 0, 100)  # build/load the C++ library outside the timed runs
    print(f"8x8 mesh ({MESH.name}), uniform traffic, single-flit packets, sample {args.sample} cycles, "
          f"best/median of {args.repeat} runs, simulated cycles per CPU second")
    head = f"{'rate':>6} {'cycles':>8} {'latency':>8} {'accepted':>9} {'cyc/s best':>11} {'cyc/s med':>10}"
    if args.booksim:
        head += f" {'bs_lat':>7} {'bs best':>8} {'bs med':>8} {'x best':>7} {'x med':>6}"
    print(head)
    for rate in [float(x) for x in args.rates.split(",")]:
        runs = [run_npusim(rate, args.warmup_periods, args.sample) for _ in range(args.repeat)]
        best, med = speeds(runs)
        r = runs[0]
        line = f"{rate:6.3f} {r['cycles']:8d} {r['lat']:8.2f} {r['acc']:9.4f} {best:11.0f} {med:10.0f}"
        if args.booksim:
            bruns = [run_booksim(args.booksim, rate, args.warmup_periods, args.sample) for _ in range(args.repeat)]
            bbest, bmed = speeds(bruns)
            ratio = (f"{best / bbest:6.1f}x {med / bmed:5.1f}x" if bbest and bmed else f"{'n/a':>7} {'n/a':>6}")
            line += f" {bruns[0]['lat']:7.2f} {bbest:8.0f} {bmed:8.0f} {ratio}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
