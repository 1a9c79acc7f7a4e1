"""Engine speed: simulated cycles per wall second for GEMMs on tpuv3 (prints a table; not a test).

Usage: python benchmarks/engine_speed.py [--config tpuv3] [--sizes 512,1024,2048] [--dram IMPL]
Reference (DESIGN.md): TOGSim runs 2-4 k simulated cycles/s with Ramulator2 HBM2, ~50 k with a fixed-latency
DRAM; target >= 20x that, GEMM 1024^3 with detailed HBM in <= 0.2 s of engine time.
"""
from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from npusim.config import load_config
from npusim.driver import make_mapper
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec
from npusim.lowering import lower
from npusim.plugins import make_plugins


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="tpuv3")
    ap.add_argument("--sizes", default="512,1024,2048")
    ap.add_argument("--dram", default=None, help="override dram.impl (e.g. simple, hbm2)")
    args = ap.parse_args()
    t_start = time.perf_counter()
    plugins = make_plugins()
    ov = {"dram.impl": args.dram} if args.dram else {}
    machine = load_config(args.config, plugins, overrides=ov)
    table = Table(title=f"engine speed on {machine.name} (dram={machine.impl('dram')}, "
                        f"timing={machine.impl('timing')}, mapper={machine.impl('mapper')})")
    for col in ("GEMM", "sim cycles", "engine s", "setup s", "sim cycles/s", "mem txns", "vs TOGSim 4k c/s"):
        table.add_column(col, justify="right")
    first = None
    for n in [int(x) for x in args.sizes.split(",")]:
        t0 = time.perf_counter()
        sim = Simulator(machine, plugins)
        mapper = make_mapper(machine, plugins, sim.components.timing)
        tog = lower(KernelSpec("gemm", {"M": n, "N": n, "K": n}), mapper.best(KernelSpec("gemm", {"M": n, "N": n, "K": n})),
                    machine)
        setup = time.perf_counter() - t0
        if first is None:
            first = time.perf_counter() - t_start
        res = sim.run([tog])
        rate = res.total_cycles / res.engine_seconds
        table.add_row(f"{n}^3", f"{res.total_cycles:,}", f"{res.engine_seconds:.3f}", f"{setup:.2f}", f"{rate:,.0f}",
                      f"{sum(c['transactions'] for c in res.cores):,}", f"{rate / 4000:,.0f}x")
    Console().print(table)
    print(f"process start to first simulated cycle: {first:.2f} s (compiled-library cache warm if run before)")


if __name__ == "__main__":
    main()
