"""Simulated cycles per second of the booksim NoC on an 8x8 mesh (uniform traffic), optionally vs BookSim 2.

Usage: python benchmarks/noc_speed.py [--rates 0.05,0.1,0.2] [--sample 20000] [--booksim PATH/TO/booksim]
With --booksim (a BookSim 2 binary built from github.com/booksim/booksim2), the same configuration runs in
BookSim as well and the table adds its zero-load-comparable latency and speed.
"""
from __future__ import annotations

import argparse
import os
import re
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="0.05,0.1,0.2,0.3", help="offered flits/node/cycle")
    ap.add_argument("--sample", type=int, default=20000, help="sample period (cycles)")
    ap.add_argument("--warmup-periods", type=int, default=1)
    ap.add_argument("--booksim", default=os.environ.get("BOOKSIM_BIN"), help="BookSim 2 binary for comparison")
    args = ap.parse_args()
    run_npusim(0.01, 0, 100)  # build/load the C++ library outside the timed runs
    print(f"8x8 mesh ({MESH.name}), uniform traffic, single-flit packets, sample {args.sample} cycles")
    head = f"{'rate':>6} {'cycles':>8} {'cpu_s':>7} {'cyc/s(cpu)':>11} {'cyc/s(wall)':>12} {'latency':>8} {'accepted':>9}"
    if args.booksim:
        head += f" {'bs_cycles':>9} {'bs_cpu_s':>8} {'bs_cyc/s':>9} {'bs_lat':>7} {'speedup':>8}"
    print(head)
    for rate in [float(x) for x in args.rates.split(",")]:
        r = run_npusim(rate, args.warmup_periods, args.sample)
        line = (f"{rate:6.3f} {r['cycles']:8d} {r['cpu']:7.3f} {r['cycles'] / r['cpu']:11.0f} "
                f"{r['cycles'] / r['wall']:12.0f} {r['lat']:8.2f} {r['acc']:9.4f}")
        if args.booksim:
            b = run_booksim(args.booksim, rate, args.warmup_periods, args.sample)
            bs = b["cycles"] / b["cpu"] if b["cpu"] > 0 and b["cycles"] > 0 else 0.0
            ratio = f"{(r['cycles'] / r['cpu']) / bs:7.1f}x" if bs else "    n/a"
            line += f" {b['cycles']:9d} {b['cpu']:8.2f} {bs:9.0f} {b['lat']:7.2f} {ratio:>8}"
        print(line)


if __name__ == "__main__":
    main()
