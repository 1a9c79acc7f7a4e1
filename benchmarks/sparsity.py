"""Sparsity-aware GEMM timing on tpuv3: cycles, DRAM bytes and skips vs the fraction of zero A tiles (a table)."""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from npusim.config import load_config

from npusim_frontends.backend import Session


def run(x, w, sparsity: bool):
    """(SimResult, CPU seconds of map + plan + simulate) of x @ w through torch.compile(backend=npusim)."""
    torch._dynamo.reset()
    s = Session(load_config("tpuv3", overrides={"timing.sparsity": sparsity, "timing.tile_db": False}),
                functional=False)
    f = torch.compile(lambda a, b: a @ b, backend=s)
    t0 = time.process_time()
    f(x, w)
    return s.last_result, time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1024, help="M = N = K of the GEMM")
    ap.add_argument("--repeat", type=int, default=3, help="CPU-time repetitions (best and median reported)")
    args = ap.parse_args()
    n = args.size
    torch.manual_seed(0)
    x, w = torch.randn(n, n), torch.randn(n, n)
    dense, _ = run(x, w, False)
    tiles = dense.kernels[0]["mapping"]["tiles"]
    kstep = min(tiles["K"], 128)  # tpuv3: one weight fold of the 128x128 array per K slice
    print(f"GEMM {n}^3 fp32 on tpuv3, tiles {tiles}, k_step {kstep}; dense: {dense.total_cycles} cycles, "
          f"{dense.cores[0]['bytes_read']} B read")
    print(f"{'zero K slices':>13} {'cycles':>8} {'vs dense':>8} {'B read':>10} {'loads skip':>10} {'gemm skip':>9} "
          f"{'saved lat':>9} {'cpu best s':>10} {'cpu med s':>9}")
    slices = n // kstep
    for frac in (0.0, 0.25, 0.5, 0.75):
        xs = x.clone()
        zero = int(round(frac * slices))
        xs[:, :zero * kstep] = 0  # whole A tiles (all M rows of a K slice) zero
        cpu = []
        for _ in range(args.repeat):
            res, secs = run(xs, w, True)
            cpu.append(secs)
        sp = res.extra["sparsity"]
        print(f"{zero:>6}/{slices:<6} {res.total_cycles:>8} {res.total_cycles / dense.total_cycles:>8.3f} "
              f"{res.cores[0]['bytes_read']:>10} {sp['loads_skipped']:>10} {sp['gemms_skipped']:>9} "
              f"{sp['gemm_latency_cycles_saved']:>9} {min(cpu):>10.3f} {statistics.median(cpu):>9.3f}")


if __name__ == "__main__":
    main()
