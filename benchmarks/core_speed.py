"""Tile-latency query speed of npusim-cores' "systolic" timing: cached and cold, TLS and ILS (prints a table)."""
from __future__ import annotations

import argparse
import time

from npusim_cores.component import Standalone
from npusim_cores.config import SystolicCoreConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cached", type=int, default=5_000_000, help="cached queries to time")
    ap.add_argument("--cold", type=int, default=200_000, help="cold (never-seen shape) queries to time")
    ap.add_argument("--distinct", type=int, default=1000, help="distinct shapes in the cached run")
    args = ap.parse_args()
    rows = []
    for mode, ils in (("TLS", False), ("ILS", True)):
        core = Standalone(SystolicCoreConfig(tile_db=False), ils=ils)
        cpp = core.cpp
        secs = cpp.bench(args.cached, args.distinct, False)
        rows.append((mode, "cached (C++)", args.cached, secs))
        n_cold = args.cold if not ils else max(1, args.cold // 10)
        secs = cpp.bench(n_cold, 0, True)
        rows.append((mode, "cold (C++)", n_cold, secs))
        n_py = 200_000
        t0 = time.perf_counter()
        for i in range(n_py):
            cpp.gemm(128, 128, 1 + i % 100, 2)
        rows.append((mode, "cached (Python->cppyy)", n_py, time.perf_counter() - t0))
    print(f"{'mode':<5} {'query kind':<24} {'queries':>10} {'seconds':>9} {'queries/s':>14}")
    for mode, kind, n, secs in rows:
        print(f"{mode:<5} {kind:<24} {n:>10} {secs:>9.3f} {n / secs:>14,.0f}")
    print("targets: cached >= 1,000,000/s, cold >= 10,000/s (C++ rows)")


if __name__ == "__main__":
    main()
