"""Model zoo through the torch frontend: per model kernels, cycles, functional check, compile/map/simulate seconds."""
from __future__ import annotations

import argparse
import time
import warnings


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("models", nargs="*", help="zoo names or specs (default: every zoo model at :test size)")
    ap.add_argument("--config", default="tpuv3")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    from npusim.config import load_config
    from npusim.plugins import make_plugins

    from npusim_frontends.frontend import run_workload
    from npusim_frontends.zoo import BUILDERS

    specs = args.models or [f"{n}:test" for n in BUILDERS]
    plugins = make_plugins()
    print(f"{'workload':22} {'kernels':>7} {'cycles':>12} {'check':>7} {'max_abs':>9} {'untimed':>7} "
          f"{'trace+compile_s':>15} {'lower_s':>7} {'map+sim_s':>9} {'functional_s':>12} {'wall_s':>7}")
    for spec in specs:
        machine = load_config(args.config, plugins)
        t0 = time.perf_counter()
        res = run_workload(spec, machine, plugins=plugins, progress=False)
        wall = time.perf_counter() - t0
        fc, fs = res.extra["functional_check"], res.extra["frontend_seconds"]
        err = "" if fc["max_abs_err"] is None else f"{fc['max_abs_err']:.1e}"
        print(f"{spec:22} {res.extra['num_kernels']:>7} {res.total_cycles:>12} {fc['status']:>7} {err:>9} "
              f"{len(res.extra['untimed_ops']):>7} {fs['trace_compile']:>15.2f} {fs['lower']:>7.2f} "
              f"{fs['map_simulate']:>9.2f} {fs['functional']:>12.2f} {wall:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
