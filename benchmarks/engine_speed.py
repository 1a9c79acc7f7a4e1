"""Engine speed: engine CPU time and simulated cycles/s for GEMMs and ResNet-50 batch 1 on tpuv3 (prints tables).

Usage: python benchmarks/engine_speed.py [--config tpuv3] [--sizes 512,1024,2048] [--models resnet50] [--repeat 3]
                                         [--dram IMPL] [--no-breakdown]
Reference (DESIGN.md): TOGSim runs 2-4 k simulated cycles/s with Ramulator2 HBM2, ~50 k with a fixed-latency DRAM;
target >= 20x that: GEMM 1024^3 with detailed HBM in <= 0.2 s of engine time, ResNet-50 batch 1 in <= 5 s.
Engine time is the CPU time (time.process_time) of Simulator.run_until alone: mapping, lowering and, for models,
torch tracing are excluded. The machine is shared, so each workload runs --repeat times (best and median shown).
The breakdown comes from one extra run with Simulator(profile=True): host time inside the memory device (DRAM,
plus L2 if configured) and the NoC, measured by the engine around every call into them; the rest is the engine
itself (event queue, instruction walk, DMA transaction generation). Its shares are applied to the best plain run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

from npusim.config import load_config
from npusim.driver import make_mapper
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec
from npusim.lowering import lower
from npusim.plugins import make_plugins
from rich.console import Console
from rich.table import Table

TOGSIM_CYCLES_PER_S = 4000  # TOGSim with Ramulator2 HBM2, upper end of 2-4 k (DESIGN.md)


def process_age() -> float:
    """Wall seconds since this process started (Linux /proc; resolution one clock tick)."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def model_kernels(name: str, config: str, plugins) -> list[KernelSpec]:
    """Kernels of a zoo model at full size, batch 1, captured by the torch frontend without simulating them."""
    import torch
    from npusim_frontends import workloads
    from npusim_frontends.backend import Session

    machine = load_config(config, plugins, overrides={"sim.timing": False, "sim.functional": False})
    model, inputs = workloads.build(name, dtype=machine.sim.dtype)
    session = Session(machine, plugins=plugins, functional=False)
    torch._dynamo.reset()
    fn = torch.compile(model, backend=session, dynamic=False, fullgraph=True)
    with torch.no_grad():
        fn(*inputs)
    return [k for g in session.graphs for k in g.kernels]


def simulate(machine, plugins, kernels: list[KernelSpec], profile: bool = False, on_start=None):
    """(engine CPU seconds, SimResult) of one run of `kernels` in order on partition 0."""
    sim = Simulator(machine, plugins, profile=profile)
    mapper = make_mapper(machine, plugins, sim.components.timing)
    for k in kernels:
        sim.launch(lower(k, mapper.best(k), machine))
    if on_start is not None:
        on_start()
    t0 = time.process_time()
    sim.run_until(None)
    cpu = time.process_time() - t0
    return cpu, sim.result()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="tpuv3")
    ap.add_argument("--sizes", default="512,1024,2048", help="GEMM sizes M=N=K (empty: none)")
    ap.add_argument("--models", default="resnet50", help="zoo models at batch 1 (empty: none)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per workload (best and median reported)")
    ap.add_argument("--dram", default=None, help="override dram.impl (e.g. simple, hbm2)")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the profiled run per workload")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    plugins = make_plugins()
    ov = {"dram.impl": args.dram} if args.dram else {}
    machine = load_config(args.config, plugins, overrides=ov)
    first: list[float] = []  # process start -> first simulated cycle (first workload, first run)
    if args.sizes:
        n = int(args.sizes.split(",")[0])
        simulate(machine, plugins, [KernelSpec("gemm", {"M": n, "N": n, "K": n})],
                 on_start=lambda: first.extend([process_age(), time.process_time()]))
    workloads = [(f"GEMM {n}^3", [KernelSpec("gemm", {"M": n, "N": n, "K": n})])
                 for n in (int(x) for x in args.sizes.split(",") if x)]
    for name in (m for m in args.models.split(",") if m):
        t0 = time.perf_counter()
        kernels = model_kernels(name, args.config, plugins)
        print(f"{name}: {len(kernels)} kernels captured in {time.perf_counter() - t0:.1f} s (not engine time)")
        workloads.append((f"{name} b1", kernels))

    title = (f"engine speed on {machine.name} (dram={machine.impl('dram')}, noc={machine.impl('noc')}, "
             f"cache={machine.impl('cache')}, timing={machine.impl('timing')}, mapper={machine.impl('mapper')})")
    speed = Table(title=title)
    for col in ("workload", "sim cycles", "engine CPU s best", "median", "sim cycles/s", "mem txns", "us/txn",
                "vs TOGSim 4k c/s"):
        speed.add_column(col, justify="right")
    brk = Table(title="where the engine time goes (profiled run; shares applied to the best plain run)")
    for col in ("workload", "engine CPU s", "memory device s", "NoC s", "engine itself s", "engine ns/txn",
                "loop steps", "events"):
        brk.add_column(col, justify="right")
    for label, kernels in workloads:
        times, res = [], None
        for _ in range(max(1, args.repeat)):
            cpu, res = simulate(machine, plugins, kernels)
            times.append(cpu)
        best, med = min(times), statistics.median(times)
        txns = sum(c["transactions"] for c in res.cores)
        rate = res.total_cycles / best
        speed.add_row(label, f"{res.total_cycles:,}", f"{best:.3f}", f"{med:.3f}", f"{rate:,.0f}", f"{txns:,}",
                      f"{1e6 * best / max(txns, 1):.2f}", f"{rate / TOGSIM_CYCLES_PER_S:,.0f}x")
        if not args.no_breakdown:
            _, pres = simulate(machine, plugins, kernels, profile=True)
            loop = pres.extra["engine"]
            prof = loop["profile"]
            share_mem, share_noc = prof["memory"] / prof["run"], prof["noc"] / prof["run"]
            own = best * (1 - share_mem - share_noc)
            brk.add_row(label, f"{best:.3f}", f"{best * share_mem:.3f} ({100 * share_mem:.0f}%)",
                        f"{best * share_noc:.3f} ({100 * share_noc:.0f}%)",
                        f"{own:.3f} ({100 * (1 - share_mem - share_noc):.0f}%)", f"{1e9 * own / max(txns, 1):.0f}",
                        f"{loop['steps']:,}", f"{loop['events']:,}")
    console = Console(width=160)
    console.print(speed)
    if not args.no_breakdown:
        console.print(brk)
    if first:
        print(f"process start to first simulated cycle: {first[0]:.2f} s wall, {first[1]:.2f} s CPU (compiled-library "
              "cache warm if run before; wall time grows with the machine's load)")


if __name__ == "__main__":
    main()
