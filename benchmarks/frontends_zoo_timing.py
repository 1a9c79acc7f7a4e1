"""Full-size zoo timings: each model run N times, each in a fresh process (`npusim run`'s path, run_workload);
per phase the best and the median of the runs, plus the process CPU seconds (user + system).

    python benchmarks/frontends_zoo_timing.py [resnet50 bert-base ...] [--repeat 3] [--config tpuv3]

Phases (host seconds, wall clock inside the run): build (model from config), trace+compile (dynamo +
AOTAutograd + lowering to kernels), map+simulate (mapper, TOG lowering, engine), functional (tiled CPU
execution vs eager), engine (the C++ engine's share of map+simulate). CPU s is the whole process's
user + system time (resource.getrusage), robust on a shared machine; the wall phases are not.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, warnings
warnings.filterwarnings("ignore")
from npusim.config import load_config
from npusim.plugins import make_plugins
from npusim_frontends.frontend import run_workload
plugins = make_plugins()
res = run_workload(sys.argv[1], load_config(sys.argv[2], plugins), plugins=plugins, progress=False)
ru = resource.getrusage(resource.RUSAGE_SELF)
fs = res.extra["frontend_seconds"]
print(json.dumps({"cycles": res.total_cycles, "kernels": res.extra["num_kernels"],
                  "check": res.extra["functional_check"]["status"], "untimed": len(res.extra["untimed_ops"]),
                  "build": fs["build"], "trace_compile": fs["trace_compile"], "map_simulate": fs["map_simulate"],
                  "functional": fs["functional"], "engine": res.engine_seconds, "cpu": ru.ru_utime + ru.ru_stime}))
"""

PHASES = ("build", "trace_compile", "map_simulate", "functional", "engine", "cpu")


def run_once(spec: str, config: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, spec, config], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=["resnet50", "bert-base"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--config", default="tpuv3")
    args = ap.parse_args()
    print(f"{'model':12} {'kernels':>7} {'cycles':>11} {'check':>7} {'untimed':>7} " +
          " ".join(f"{p + ' best/med':>22}" for p in PHASES))
    for spec in args.models:
        runs = [run_once(spec, args.config) for _ in range(args.repeat)]
        r0 = runs[0]
        assert all(r["cycles"] == r0["cycles"] for r in runs), "cycles differ between runs"
        cols = []
        for p in PHASES:
            vals = [r[p] for r in runs]
            cols.append(f"{min(vals):>10.2f}/{statistics.median(vals):<10.2f}")
        print(f"{spec:12} {r0['kernels']:>7} {r0['cycles']:>11,} {r0['check']:>7} {r0['untimed']:>7} " + " ".join(
            f"{c:>22}" for c in cols), flush=True)


if __name__ == "__main__":
    main()
