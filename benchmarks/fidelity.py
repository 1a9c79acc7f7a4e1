"""Fidelity report: the real-TPUv3 calibration set (DESIGN.md) through the full path on a preset; prints a table.

Usage: python benchmarks/fidelity.py [--config tpuv3] [--set SECTION.KEY=VALUE ...] [--only gemm|conv]
Real TPUv3 cycles (940 MHz, one core) are the only real-silicon figures we have: we compare against
them, we never fit per-workload factors to them.
"""
from __future__ import annotations

import argparse
import json
import time

from rich.console import Console
from rich.table import Table

from npusim.config import load_config
from npusim.plugins import make_plugins
from npusim.workloads import run_workload

# (workload spec, real TPUv3 cycles) from DESIGN.md "Calibration data".
CALIBRATION = [
    ("gemm:256,256,256", 3101),
    ("gemm:512,512,512", 9490),
    ("gemm:1024,1024,1024", 47099),
    ("gemm:2048,2048,2048", 317435),
    ("conv:64,56,56,64,64,3,1,1", 1496802),
    ("conv:64,28,28,128,128,3,1,1", 241935),
    ("conv:64,14,14,256,256,3,1,1", 246790),
    ("conv:64,7,7,512,512,3,1,1", 247383),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="tpuv3")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="SECTION.KEY=VALUE override")
    ap.add_argument("--only", choices=("gemm", "conv"), default=None)
    args = ap.parse_args()
    plugins = make_plugins()
    ov = {}
    for s in args.sets:
        k, _, v = s.partition("=")
        try:
            ov[k] = json.loads(v)
        except json.JSONDecodeError:
            ov[k] = v
    ov.setdefault("sim.functional", False)
    machine = load_config(args.config, plugins, overrides=ov)
    table = Table(title=f"fidelity vs real TPUv3 on {machine.name} (timing={machine.impl('timing')}, "
                        f"dram={machine.impl('dram')}, mapper={machine.impl('mapper')})")
    for col in ("workload", "TPUv3 cycles", "npusim cycles", "error %", "wall s"):
        table.add_column(col, justify="right")
    errors = []
    for spec, real in CALIBRATION:
        if args.only and not spec.startswith(args.only):
            continue
        t0 = time.perf_counter()
        res = run_workload(spec, machine, plugins)
        err = 100.0 * (res.total_cycles - real) / real
        errors.append(abs(err))
        table.add_row(spec, f"{real:,}", f"{res.total_cycles:,}", f"{err:+.1f}", f"{time.perf_counter() - t0:.1f}")
    Console().print(table)
    if errors:
        print(f"MAE {sum(errors) / len(errors):.1f}%  max |error| {max(errors):.1f}%  over {len(errors)} workloads")


if __name__ == "__main__":
    main()
