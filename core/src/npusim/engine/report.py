"""Result writers: TOGSim-style text log, JSON file, Chrome/Perfetto trace."""
from __future__ import annotations

import json
from pathlib import Path

from npusim.engine.result import SimResult


def togsim_log(res: SimResult) -> str:
    """Text log in TOGSim's line shapes (so existing log parsers keep working)."""
    lines = []
    for k in res.kernels:
        lines.append(f"[info] Kernel {k['name']} (partition {k['partition']}) start {k['start_cycle']:.0f} "
                     f"end {k['end_cycle']:.0f} cycles {k['cycles']:.0f}")
    for i, c in enumerate(res.cores):
        for a, arr in enumerate(c["arrays"]):
            lines.append(f"[info] Core [{i}] : Systolic array [{a}] Utilization(%) "
                         f"{100 * arr['utilization']:.2f}, active cycle {arr['busy_cycles']:.0f}, idle cycle "
                         f"{max(0, res.total_cycles - arr['busy_cycles']):.0f}")
        v = c["vector"]
        lines.append(f"[info] Core [{i}] : Vector unit Utilization(%) {100 * v['utilization']:.2f}, "
                     f"active cycle {v['busy_cycles']:.0f}, "
                     f"idle cycle {max(0, res.total_cycles - v['busy_cycles']):.0f}")
        for d, dma in enumerate(c["dma"]):
            lines.append(f"[info] Core [{i}] : DMA [{d}] active cycle {dma['active_cycles']:.0f}, idle cycle "
                         f"{max(0, res.total_cycles - dma['active_cycles']):.0f}")
        ins = c["instructions"]
        comp = ins['COMP_GEMM'] + ins['COMP_VECTOR'] + ins['COMP_PRELOAD']
        lines.append(f"[info] Core [{i}] : MOVIN {ins['MOVIN']}, MOVOUT {ins['MOVOUT']}, COMP {comp} "
                     f"(GEMM {ins['COMP_GEMM']}, VECTOR {ins['COMP_VECTOR']}, PRELOAD {ins['COMP_PRELOAD']}), "
                     f"BAR {ins['BAR']}")
        lines.append(f"[info] Core [{i}] : DMA read {c['read_GBps']:.2f} GB/s, write {c['write_GBps']:.2f} GB/s, "
                     f"NUMA local {c['numa_local']}, remote {c['numa_remote']}")
        lines.append(f"[info] Core [{i}] : Total cycle {res.total_cycles}")
    for ch, st in enumerate(res.dram.get("channels", [])):
        util = st.get("bw_util")
        if util is None:
            busy = st.get("busy_cycles", 0)
            util = busy / res.total_cycles if res.total_cycles else 0.0
        lines.append(f"[info] DRAM CH[{ch}]: AVG BW Util {100 * util:.2f}%, reads {st.get('reads', 0)}, "
                     f"writes {st.get('writes', 0)}, row hits {st.get('row_hits', 0)}, row misses "
                     f"{st.get('row_misses', 0)}, row conflicts {st.get('row_conflicts', 0)}")
    if res.cache:
        lines.append(f"[info] L2: accesses {res.cache.get('accesses', 0)}, hits {res.cache.get('hits', 0)}, "
                     f"misses {res.cache.get('misses', 0)}")
    if res.noc:
        lines.append(f"[info] NoC: {json.dumps(res.noc, sort_keys=True)[:300]}")
    if res.cache:
        lines.append(f"[info] L2 flush: write-backs {res.flush_writebacks}, cycles {res.flush_cycles} "
                     "(not in total execution cycles)")
    sp = res.extra.get("sparsity") or {}
    if any(sp.values()):
        lines.append(f"[info] Sparsity: MOVIN skipped {sp['loads_skipped']} ({sp['bytes_skipped']} B), GEMM skipped "
                     f"{sp['gemms_skipped']}, reduced {sp['gemms_reduced']}, latency cycles saved "
                     f"{sp['gemm_latency_cycles_saved']}")
    lines.append(f"[info] Total execution cycles: {res.total_cycles}")
    lines.append(f"[info] Simulated time: {res.simulated_seconds * 1e3:.6f} ms")
    lines.append(f"[info] Wall-clock time for simulation: {res.wall_seconds:.3f} seconds")
    return "\n".join(lines) + "\n"


def write_json(res: SimResult, path: str | Path) -> None:
    Path(path).write_text(json.dumps(res.to_dict(), indent=1, default=str))


def write_trace(res: SimResult, path: str | Path, period_ps: int) -> None:
    """Chrome trace-event JSON (opens in Perfetto): one track per array, vector unit, DMA queue, DRAM channel."""
    if res.trace is None:
        raise ValueError("the simulation ran without tracing (Simulator(trace=True))")
    events, counters, window = res.trace
    out = []
    names = {k["launch"]: k["name"] for k in res.kernels}
    ncores = len(res.cores)
    arrays = len(res.cores[0]["arrays"]) if res.cores else 0
    for c in range(ncores):
        out.append({"ph": "M", "name": "process_name", "pid": c, "args": {"name": f"core {c}"}})
        for a in range(arrays):
            out.append({"ph": "M", "name": "thread_name", "pid": c, "tid": a, "args": {"name": f"systolic array {a}"}})
        out.append({"ph": "M", "name": "thread_name", "pid": c, "tid": arrays, "args": {"name": "vector unit"}})
        for d in range(len(res.cores[c]["dma"])):
            out.append({"ph": "M", "name": "thread_name", "pid": c, "tid": 32 + d, "args": {"name": f"DMA {d}"}})
    for track, node, launch, start, end in events:
        core, unit = divmod(track, 64)
        kind = "dma" if unit >= 32 else ("vector" if unit == arrays else "gemm")
        out.append({"ph": "X", "pid": core, "tid": unit, "ts": start / 1e6, "dur": max(end - start, 1) / 1e6,
                    "name": f"{names.get(launch, launch)}:{kind}:n{node}", "cat": kind})
    dram_pid = ncores
    out.append({"ph": "M", "name": "process_name", "pid": dram_pid, "args": {"name": "DRAM"}})
    for i in range(0, len(counters), 3):
        win, ch, nbytes = counters[i:i + 3]
        out.append({"ph": "C", "pid": dram_pid, "name": f"channel {ch} GB/s", "ts": win * window / 1e6,
                    "args": {"GBps": nbytes / (window * 1e-12) / 1e9}})
    Path(path).write_text(json.dumps({"traceEvents": out, "displayTimeUnit": "ns",
                                      "otherData": {"core_period_ps": period_ps}}))
