"""Golden engine stats: the cases, the key-stat extraction, and `python core/tests/engine_golden.py` to regenerate.

Any timing change (engine, DRAM, NoC, core timing, mapper, lowering) changes these numbers; regenerate only
when the change is intended, and say why in the commit message.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from npusim.config import load_config
from npusim.driver import run_kernels
from npusim.kernels import KernelSpec

GOLDEN = Path(__file__).resolve().parent / "golden" / "engine_stats.json"
# (machine preset, config overrides): small-8x8 with its simple DRAM, tpuv3 with cycle-level HBM2
MACHINES = {
    "small-8x8": ("small-8x8", {}),
    "tpuv3-hbm2": ("tpuv3", {"dram.impl": "hbm2"}),
}

DRAM_KEYS = ("reads", "writes", "bytes", "row_hits", "row_misses", "row_conflicts", "acts", "refreshes")


def _conv(n, hw, c, o, k, stride=1, pad=1):
    return KernelSpec("conv", {"N": n, "H": hw, "W": hw, "C": c, "O": o, "KH": k, "KW": k},
                      params={"stride": stride, "pad": pad, "dilation": 1, "groups": 1}, name="conv")


def workloads(machine: str) -> dict[str, list[KernelSpec]]:
    """Workload name -> kernels (sizes scaled to the machine so every case runs in well under a second)."""
    big = machine != "small-8x8"
    g = 256 if big else 40
    conv = _conv(1, 14, 64, 64, 3) if big else _conv(1, 6, 8, 12, 3)
    r, c = (512, 1024) if big else (24, 40)
    return {
        "gemm": [KernelSpec("gemm", {"M": g, "N": g, "K": g + 8}, name="gemm")],
        "conv": [conv],
        "softmax": [KernelSpec("vector", {"R": r, "C": c}, epilogue=("exp", "reduce_sum", "div"), reduce="C",
                               name="softmax")],
        # two kernels through a shared tensor: gemm h = x @ w, then y = relu-like cmp(h) (reads h back)
        "gemm_then_vector": [
            KernelSpec("gemm", {"M": g, "N": g, "K": g}, operands={"A": "x", "B": "w", "C": "h"}, name="gemm"),
            KernelSpec("vector", {"R": g, "C": g}, epilogue=("cmp",), operands={"A": "h", "C": "y"}, name="act"),
        ],
    }


def key_stats(res) -> dict:
    """The stats the golden file pins: cycles, per-unit busy time, DRAM traffic and row outcomes, instructions."""
    out = {"total_cycles": res.total_cycles,
           "kernels": [[k["name"], k["start_cycle"], k["end_cycle"], k["dram_bytes"]] for k in res.kernels],
           "cores": []}
    for c in res.cores:
        out["cores"].append({
            "arrays_busy": [a["busy_cycles"] for a in c["arrays"]], "array_tiles": [a["tiles"] for a in c["arrays"]],
            "vector_busy": c["vector"]["busy_cycles"], "vector_ops": c["vector"]["ops"],
            "dma_active": [d["active_cycles"] for d in c["dma"]], "instructions": c["instructions"],
            "bytes_read": c["bytes_read"], "bytes_written": c["bytes_written"], "transactions": c["transactions"],
            "spad_peak_bytes": c["spad_peak_bytes"]})
    out["dram_channels"] = [{k: ch[k] for k in DRAM_KEYS if k in ch} for ch in res.dram["channels"]]
    return out


def run_case(machine: str, workload: str) -> dict:
    """Simulate one golden case and return its key stats."""
    preset, overrides = MACHINES[machine]
    mach = load_config(preset, overrides=overrides)
    return key_stats(run_kernels(workloads(machine)[workload], mach))


def cases() -> list[tuple[str, str]]:
    """Every (machine, workload) pair in the golden file."""
    return [(m, w) for m in MACHINES for w in workloads(m)]


def regenerate(path: Path = GOLDEN) -> dict:
    """Run every case and write the golden JSON."""
    data = {f"{m}/{w}": run_case(m, w) for m, w in cases()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return data


if __name__ == "__main__":
    out = regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN)
    for key, v in out.items():
        print(f"{key:32} {v['total_cycles']:>10} cycles")
