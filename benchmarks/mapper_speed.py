"""Mapper speed (autotune cost-model candidates/s, heuristic ms/kernel) and the TPUv3 calibration table:
heuristic / autotune / external tiles and engine cycles next to the real TPUv3 figures (DESIGN.md)."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec
from npusim.lowering import lower
from npusim.plugins import make_plugins
from npusim_mappers.build import build_mapper, build_timing

CALIB_FILE = Path(__file__).resolve().parents[1] / "plugins/mappers/src/npusim_mappers/data/tpuv3_calibration.json"


def conv(n, hw, c, o, k=3, stride=1, pad=1):
    return KernelSpec("conv", {"N": n, "H": hw, "W": hw, "C": c, "O": o, "KH": k, "KW": k},
                      params={"stride": stride, "pad": pad})


# Real TPUv3 cycles at 940 MHz, one core (DESIGN.md calibration data).
CALIBRATION = [(KernelSpec("gemm", {"M": s, "N": s, "K": s}), real)
               for s, real in ((256, 3101), (512, 9490), (1024, 47099), (2048, 317435))]
CALIBRATION += [(conv(64, hw, c, c), real) for hw, c, real in ((56, 64, 1496802), (28, 128, 241935),
                                                               (14, 256, 246790), (7, 512, 247383))]
SPEED_KERNELS = [KernelSpec("gemm", {"M": 2048, "N": 2048, "K": 2048}),
                 KernelSpec("gemm", {"M": 4071, "N": 429, "K": 129}),
                 KernelSpec("bmm", {"B": 12, "M": 512, "N": 512, "K": 64}), conv(64, 56, 64, 64),
                 conv(1, 224, 3, 64, 7, 2, 3),
                 KernelSpec("vector", {"R": 4096, "C": 4096}, epilogue=("exp", "reduce_sum", "div"), reduce="C")]


def tiles_str(mapping) -> str:
    return ",".join(f"{k}{v}" for k, v in mapping.tiles.items())


def speed(machine, plugins, timing) -> None:
    auto = build_mapper("autotune", machine, {"cache_dir": "", "simulate": "model"}, timing, plugins)
    heur = build_mapper("heuristic", machine, {"cache_dir": ""}, timing, plugins)
    print(f"{'kernel':<44} {'candidates':>10} {'cand/s':>9} {'heuristic ms':>13}")
    total_n = total_t = 0.0
    for k in SPEED_KERNELS:
        n0 = auto.evaluated
        t0 = time.perf_counter()
        auto.rank(k, 8)
        dt = time.perf_counter() - t0
        n = auto.evaluated - n0
        t1 = time.perf_counter()
        heur.choose(k)
        ht = (time.perf_counter() - t1) * 1e3
        total_n, total_t = total_n + n, total_t + dt
        print(f"{k.op + str(list(k.dims.values())):<44} {n:>10} {n / dt:>9.0f} {ht:>13.1f}")
    print(f"{'all':<44} {int(total_n):>10} {total_n / total_t:>9.0f}")


def calibration(machine, plugins, timing) -> None:
    mappers = {
        "heuristic": build_mapper("heuristic", machine, {"cache_dir": ""}, timing, plugins),
        "autotune": build_mapper("autotune", machine, {"cache_dir": "", "topk": 4}, timing, plugins),
        "external": build_mapper("external", machine, {"mapping_file": str(CALIB_FILE), "cache_dir": ""}, timing,
                                 plugins),
    }
    print(f"\n{'kernel':<34} {'TPUv3':>9} | " + " | ".join(f"{n:^38}" for n in mappers))
    for kernel, real in CALIBRATION:
        cells = []
        for mapper in mappers.values():
            m = mapper.best(kernel)
            cyc = Simulator(machine, plugins).run([lower(kernel, m, machine)]).total_cycles
            cells.append(f"{tiles_str(m):<22} {cyc:>8} {cyc / real:>5.2f}x")
        print(f"{kernel.op + str(list(kernel.dims.values())):<34} {real:>9} | " + " | ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="tpuv3")
    ap.add_argument("--no-sim", action="store_true", help="only the speed table (no engine runs)")
    args = ap.parse_args()
    plugins = make_plugins()
    machine = load_config(args.config, plugins)
    timing = build_timing(machine, plugins)
    speed(machine, plugins, timing)
    if not args.no_sim:
        calibration(machine, plugins, timing)


if __name__ == "__main__":
    main()
