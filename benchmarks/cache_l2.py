"""Sectored L2: replay speed (requests per wall second, C++ driver loop) and DRAM traffic of a GEMM whose
weights are re-read, without an L2, with a persistent plan and in transparent mode (prints tables; not a test).

Usage: python benchmarks/cache_l2.py [--requests 200000] [--gemm 512,64,256,32]
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.testing import build_component
from npusim_cache.sectored import load_library

STRINGS = {"pytorchsim": "S:64:128:512,32,L:B:m:W:L,A:192:4,32:0,32",
           "accelsim-3070": "S:64:128:16,L:B:m:L:P,A:192:4,32:0,32"}

DRIVER = r"""
#include "npusim/memory.hpp"
namespace npusim_bench {
// Offer requests in order as fast as the device accepts them; returns {completions, last completion ps}.
inline std::vector<int64_t> replay(npusim::MemoryDevice& dev, const std::vector<int64_t>& addr,
                                   const std::vector<int32_t>& chan, int32_t bytes, int32_t write_every) {
  std::vector<npusim::MemCompletion> done;
  npusim::Tick now = 0, last = 0;
  size_t i = 0;
  int64_t n = 0;
  while (n < (int64_t)addr.size()) {
    while (i < addr.size()) {
      npusim::MemRequest r;
      r.id = (int64_t)i; r.addr = addr[i]; r.bytes = bytes; r.channel = chan[i]; r.flags = 1;
      r.is_write = write_every > 0 && (int64_t)i % write_every == 0;
      if (!dev.try_send(r, now)) break;
      ++i;
    }
    npusim::Tick t = dev.next_event();
    if (t == npusim::kNever) t = now + 1;
    now = t > now ? t : now + 1;
    done.clear();
    dev.advance(now, done);
    for (auto& c : done) { ++n; if (c.time > last) last = c.time; }
  }
  return {n, last};
}
}
"""


def _streams(kind: str, n: int, channels: int, capacity: int):
    rng = random.Random(7)
    per_ch = capacity // channels
    if kind == "stream":       # sequential 64-B requests over 4x the capacity: every sector misses once
        addrs = [(i // channels) * 64 % (4 * per_ch) for i in range(n)]
    elif kind == "reuse":      # half the capacity, re-read: hits after the first pass
        addrs = [(i // channels) * 64 % (per_ch // 2) for i in range(n)]
    else:                      # random 64-B blocks over 4x the capacity
        addrs = [rng.randrange(4 * per_ch // 64) * 64 for _ in range(n)]
    return addrs, [i % channels for i in range(n)]


def replay_table(console: Console, n: int) -> None:
    load_library()  # also puts the npusim include directory on cppyy's path
    import cppyy

    cppyy.cppdef(DRIVER)
    table = Table(title=f"L2 replay (small-8x8: 4 slices, SimpleDram 50-cycle latency), {n} x 64-B reads, 1/8 writes")
    for col in ("string", "stream", "hit rate", "GB/s", "% L2 peak", "wall s", "CPU s", "Mreq/CPU s"):
        table.add_column(col, justify="right")
    for name, text in STRINGS.items():
        for kind in ("stream", "reuse", "random"):
            comp = build_component("cache", "sectored", machine="small-8x8", params={"config": text})
            comp.connect(comp._deps["dram"])
            dev = comp.cpp
            addrs, chans = _streams(kind, n, dev.num_channels(), comp.stats()["capacity_bytes"])
            va = cppyy.gbl.std.vector["int64_t"](addrs)
            vc = cppyy.gbl.std.vector["int32_t"](chans)
            t0, c0 = time.perf_counter(), time.process_time()
            done, last = cppyy.gbl.npusim_bench.replay(dev, va, vc, 64, 8)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            s = comp.stats()
            gbps = n * 64 / (last * 1e-12) / 1e9
            peak = dev.peak_bytes_per_ps() * 1e12 / 1e9
            table.add_row(name, kind, f"{s['hits'] / max(s['accesses'], 1):.3f}", f"{gbps:.1f}",
                          f"{100 * gbps / peak:.0f}", f"{wall:.3f}", f"{cpu:.3f}", f"{done / cpu / 1e6:.2f}")
    console.print(table)


def gemm_table(console: Console, m: int, n: int, k: int, tm: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    (tmp / "plan.py").write_text('plan = {"arg1_1"}\n')
    table = Table(title=f"GEMM M={m} N={n} K={k}, M tile {tm}: weights (arg1_1) re-read {-(-m // tm)}x (small-8x8)")
    for col in ("L2", "DRAM reads", "DRAM writes", "L2 hits", "L2 accesses", "bypassed", "dirty KiB", "cycles"):
        table.add_column(col, justify="right")
    runs = [("none", {}), ("plan {arg1_1}", {"cache.impl": "sectored", "cache.mode": "plan",
                                             "cache.plan_path": str(tmp / "plan.py")}),
            ("transparent", {"cache.impl": "sectored", "cache.mode": "transparent"})]
    for label, ov in runs:
        mach = load_config("small-8x8", overrides={"mapper.impl": "fixed", **ov})
        kern = KernelSpec("gemm", {"M": m, "N": n, "K": k}, operands={"A": "arg0_1", "B": "arg1_1", "C": "buf0"})
        tog = lower(kern, Mapping({"M": tm, "N": n, "K": k}, ("M", "N", "K")), mach)
        res = Simulator(mach).run([tog])
        d = res.to_dict()
        ch = d["dram"]["channels"]
        c = d["cache"] or {}
        table.add_row(label, str(sum(x["reads"] for x in ch)), str(sum(x["writes"] for x in ch)),
                      str(c.get("hits", "-")), str(c.get("accesses", "-")), str(c.get("bypassed", "-")),
                      str(c["dirty_bytes"] // 1024) if c else "-",
                      str(res.total_cycles))
    console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--gemm", default="512,64,256,32", help="M,N,K,M-tile")
    args = ap.parse_args()
    console = Console(width=140)
    replay_table(console, args.requests)
    m, n, k, tm = (int(x) for x in args.gemm.split(","))
    gemm_table(console, m, n, k, tm)


if __name__ == "__main__":
    main()
