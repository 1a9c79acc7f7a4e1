"""Fixed DRAM traces whose per-request completion times are pinned in data/dram_golden.npz (equivalence check).

Run `python plugins/dram/tests/golden_cases.py --write` only when the model's behaviour is meant to change.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parent / "data" / "dram_golden.npz"
N = 3000
# (name, standard, DramConfig params, trace kind, request bytes, arrival interval in ps (0 = as fast as accepted))
CASES = [
    ("hbm2_robaracoch_stream", "hbm2", dict(channels=16, freq_mhz=940), "stream", 32, 0),
    ("hbm2_robaracoch_random", "hbm2", dict(channels=16, freq_mhz=940), "random", 32, 0),
    ("hbm2_mop4clxor_stream_wr", "hbm2", dict(channels=4, address_mapping="MOP4CLXOR"), "stream_wr", 32, 0),
    ("hbm2_chrabaroco_random", "hbm2", dict(channels=2, address_mapping="ChRaBaRoCo"), "random", 32, 0),
    ("hbm2_fcfs_closed_random", "hbm2", dict(channels=4, scheduler="fcfs", row_policy="closed"), "random", 32, 0),
    ("hbm2_closed_per_bank_rate", "hbm2", dict(channels=4, row_policy="closed", refresh="per_bank"), "mixed", 32, 777),
    ("hbm2_128B_rate", "hbm2", dict(channels=8, address_mapping="MOP4CLXOR", read_queue_size=16), "mixed", 128, 1333),
    ("hbm3_random", "hbm3", dict(channels=4, refresh="per_bank"), "random", 32, 0),
    ("hbm2_rowhit_mixed", "hbm2", dict(channels=4, address_mapping="MOP4CLXOR", scheduler="frfcfs_rowhit"), "mixed",
     32, 0),
    ("ddr4_2rank_random", "ddr4", dict(channels=1, org_preset="DDR4_8Gb_x8_2R", address_mapping="MOP4CLXOR"),
     "random", 32, 0),
    ("ddr4_fcfs_stream_wr", "ddr4", dict(channels=2, scheduler="fcfs", refresh="none"), "stream_wr", 32, 0),
    ("lpddr5_random", "lpddr5", dict(channels=2, write_queue_size=8), "mixed", 32, 0),
    # arrivals 9 us apart: idle channels fast-forward over refresh intervals between requests
    ("hbm2_sparse_idle_refresh", "hbm2", dict(channels=2), "mixed", 32, 9_000_000),
]


def trace(kind: str, n: int = N, span: int = 1 << 28) -> tuple[np.ndarray, np.ndarray]:
    """Addresses and write flags: streaming reads, streaming with every 4th a write, random 25%-write, or a mix."""
    rng = np.random.default_rng(12345)
    stream = np.arange(n, dtype=np.int64) * 32
    rand = (rng.integers(0, span, n) // 32 * 32).astype(np.int64)
    wr = (rng.random(n) < 0.25).astype(np.int8)
    if kind == "stream":
        return stream, np.zeros(n, dtype=np.int8)
    if kind == "stream_wr":
        return stream, (np.arange(n) % 4 == 3).astype(np.int8)
    if kind == "random":
        return rand, wr
    # mixed: runs of 16 streaming accesses at random bases (row hits, misses and conflicts)
    base = (rng.integers(0, span // 4096, n // 16 + 1) * 4096).repeat(16)[:n]
    return base + (np.arange(n) % 16) * 32, wr


def run_case(case) -> dict:
    """Replay one case with the command log on; completion times, stats and a digest of the command log."""
    from dram_helpers import make
    from npusim_dram.replay import replay

    name, standard, params, kind, req_bytes, interval = case
    comp = make(standard, command_log=True, **params)
    addrs, writes = trace(kind)
    addrs = addrs // req_bytes * req_bytes
    done = np.zeros(len(addrs), dtype=np.int64)
    replay(comp, addrs, writes, completions=done, req_bytes=req_bytes, interval_ps=interval)
    stats = comp.stats()
    for ch in stats["channels"]:
        ch.pop("decisions")  # an internal work counter, not behaviour
    log = np.asarray(comp.cpp.command_log(), dtype=np.int64).reshape(-1, 8)
    log = log[np.argsort(log[:, 2], kind="stable")]  # per channel in issue order (channels run lazily, interleaved)
    return {"done": done, "stats": json.dumps(stats, sort_keys=True),
            "log_sha256": hashlib.sha256(log.tobytes()).hexdigest(), "log_len": len(log)}


def write_golden() -> None:
    """Record every case into GOLDEN."""
    arrays = {}
    for case in CASES:
        r = run_case(case)
        arrays[f"{case[0]}.done"] = r["done"]
        arrays[f"{case[0]}.meta"] = np.array(json.dumps({k: r[k] for k in ("stats", "log_sha256", "log_len")}))
        print(case[0], r["log_len"], "commands, last completion", int(r["done"].max()), "ps")
    GOLDEN.parent.mkdir(exist_ok=True)
    np.savez_compressed(GOLDEN, **arrays)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: golden_cases.py --write   (re-records data/dram_golden.npz)")
    write_golden()
