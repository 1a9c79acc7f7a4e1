"""Trace replay for DRAM studies: parse a Ramulator load/store trace and run it through a DRAM in C++."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from npusim.errors import ConfigError, WorkloadError
from npusim_dram.device import load_library

TRACE_BYTES = 32  # Ramulator LoadStoreTrace: one 32-B request per line


def parse_trace(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(addresses int64, is_write int8) of a Ramulator load/store trace (`LD 0x1a2b40` / `ST 4096`).

    Lines end at \\n, \\r\\n or \\r; blank lines and lines starting with `#` are skipped; every other line is
    `LD ADDR` or `ST ADDR` (any case), ADDR a non-negative Python integer literal (decimal, 0x-hex, 0o, 0b)."""
    import cppyy

    path = Path(path)
    if not path.is_file():
        raise WorkloadError(f"trace file not found: {path}")
    load_library()
    text = np.fromfile(path, dtype=np.uint8)
    size = len(text)
    if size == 0:
        raise WorkloadError(f"{path}: no LD/ST lines")
    cap = int(np.count_nonzero(text == 10) + np.count_nonzero(text == 13)) + 1  # lines at most
    addrs = np.empty(cap, dtype=np.int64)
    writes = np.empty(cap, dtype=np.int8)
    cur = cppyy.gbl.npusim.TraceCursor()
    while True:
        cppyy.gbl.npusim.parse_loadstore(text, size, addrs, writes, cur)
        if cur.pos >= size:
            break
        # a line the C++ fast path leaves to the full rules: an error, or a rarer address spelling
        line = text[int(cur.pos):int(cur.end)].tobytes().decode("utf-8", errors="replace")
        parsed = _parse_line(path, int(cur.line), line)
        if parsed is not None:
            addrs[cur.n], writes[cur.n] = parsed
            cur.n += 1
        cur.pos = cur.next
        cur.line += 1
    n = int(cur.n)
    if n == 0:
        raise WorkloadError(f"{path}: no LD/ST lines")
    return addrs[:n].copy(), writes[:n].copy()


def _parse_line(path: Path, lineno: int, line: str) -> tuple[int, int] | None:
    """(address, is_write) of one trace line, None for a blank or comment line; WorkloadError naming the line."""
    parts = line.split()
    if not parts or parts[0].startswith("#"):
        return None
    op = parts[0].upper()
    if op not in ("LD", "ST") or len(parts) != 2:
        raise WorkloadError(f"{path}:{lineno}: expected 'LD ADDR' or 'ST ADDR', got {line.strip()!r}")
    try:
        addr = int(parts[1], 0)
    except ValueError:
        raise WorkloadError(f"{path}:{lineno}: bad address {parts[1]!r} (decimal or 0x-hex)") from None
    if addr < 0:
        raise WorkloadError(f"{path}:{lineno}: negative address {addr}")
    if addr >= 1 << 63:
        raise WorkloadError(f"{path}:{lineno}: address {parts[1]} does not fit in 63 bits")
    return addr, int(op == "ST")


def route(component, addrs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel and channel-local address of every global address (the DRAM's mapping, else 32-B interleave)."""
    import cppyy

    load_library()
    n = len(addrs)
    ch = np.zeros(n, dtype=np.int64)
    local = np.zeros(n, dtype=np.int64)
    if isinstance(component.cpp, cppyy.gbl.npusim.DramDevice):
        cppyy.gbl.npusim.map_trace(component.cpp, addrs, n, ch, local)
    else:
        nch = component.cpp.num_channels()
        gran = addrs // TRACE_BYTES
        ch[:] = gran % nch
        local[:] = (gran // nch) * TRACE_BYTES + addrs % TRACE_BYTES
    return ch, local


def replay(component, addrs: np.ndarray, writes: np.ndarray, rate_per_ns: float = 0.0,
           completions: np.ndarray | None = None, req_bytes: int = TRACE_BYTES, interval_ps: int | None = None) -> dict:
    """Run the trace through `component` (its `.cpp` a MemoryDevice); summary dict of the run.

    `completions` (int64, one per request) receives each request's completion time in ps; `req_bytes` and
    `interval_ps` (overrides `rate_per_ns`) let tests offer other request sizes and unaligned arrival times."""
    import cppyy

    if rate_per_ns < 0:
        raise ConfigError(f"--rate must be >= 0 requests/ns, got {rate_per_ns}")
    interval = int(round(1000.0 / rate_per_ns)) if rate_per_ns > 0 else 0
    if interval_ps is not None:
        interval = interval_ps
    if completions is not None and (completions.dtype != np.int64 or len(completions) != len(addrs)):
        raise ValueError("completions must be an int64 array with one entry per request")
    out = completions if completions is not None else cppyy.nullptr
    ch, local = route(component, addrs)
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    r = cppyy.gbl.npusim.dram_replay(component.cpp, ch, local, writes, len(addrs), req_bytes, interval, out)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    stats = component.stats()
    peak = component.cpp.peak_bytes_per_ps()
    end = max(int(r.end_ps), 1)
    hits, misses, conf = (stats.get(k, 0) for k in ("row_hits", "row_misses", "row_conflicts"))
    acc = max(hits + misses + conf, 1)
    return {
        "requests": int(r.requests), "reads": int(r.reads), "writes": int(r.writes), "bytes": int(r.bytes),
        "sim_time_ns": end / 1000.0,
        "bandwidth_gbps": r.bytes / end * 1000.0, "peak_gbps": peak * 1000.0,
        "bandwidth_pct_of_peak": 100.0 * r.bytes / end / peak,
        "avg_read_latency_ns": (r.read_lat_ps / r.reads / 1000.0) if r.reads else 0.0,
        "row_hit_rate": hits / acc, "row_miss_rate": misses / acc, "row_conflict_rate": conf / acc,
        "requests_per_wall_s": r.requests / max(float(r.wall_s), 1e-9),
        "requests_per_cpu_s": r.requests / max(cpu, 1e-9), "wall_s": wall,
        "offered_rate_per_ns": rate_per_ns, "dram": stats,
    }
