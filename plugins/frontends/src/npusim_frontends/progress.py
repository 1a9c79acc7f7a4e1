"""Per-kernel table (name, op class, shape, mapping, cycles, bound) printed with rich after a run."""
from __future__ import annotations

import math

from npusim.tog.ops import DTYPE_BYTES


def roofline_bound(k: dict, machine: dict) -> str:
    """'compute' or 'memory': which roofline ceiling the kernel's ideal time hits (FLOPs vs operand bytes).

    Peak compute = arrays x rows x cols MACs per cycle for gemm/bmm/conv, lanes x VLEN/element-bits
    elements per cycle for vector kernels; peak bandwidth from the DRAM section (channels x request bytes
    per DRAM cycle, PyTorchSim's peak formula), converted to core cycles.
    """
    core = machine.get("core", {})
    dram = machine.get("dram", {})
    dims = k.get("dims", {})
    eb = DTYPE_BYTES.get(k.get("dtype", "fp32"), 4)
    op = k.get("op")
    if op in ("gemm", "bmm"):
        b = dims.get("B", 1)
        m, n, kk = dims["M"], dims["N"], dims["K"]
        macs, elems = b * m * n * kk, b * (m * kk + kk * n + m * n)
        per_cycle = core.get("num_systolic_arrays", 1) * core.get("array_rows", 128) * core.get("array_cols", 128)
    elif op == "conv":
        oh, ow = dims["H"], dims["W"]
        macs = dims["N"] * oh * ow * dims["O"] * dims["C"] * dims["KH"] * dims["KW"]
        elems = dims["N"] * oh * ow * (dims["C"] + dims["O"]) + dims["KH"] * dims["KW"] * dims["C"] * dims["O"]
        per_cycle = core.get("num_systolic_arrays", 1) * core.get("array_rows", 128) * core.get("array_cols", 128)
    else:
        macs = dims.get("R", 1) * dims.get("C", 1) * max(len(k.get("epilogue", ())) or 1, 1)
        elems = 2 * dims.get("R", 1) * dims.get("C", 1)
        per_cycle = core.get("vector_lanes", 128) * max(core.get("vlen_bits", 256) // (8 * eb), 1)
    bw = dram.get("channels", 16) * dram.get("req_bytes", 32) * dram.get("freq_mhz", 940) / core.get("freq_mhz", 940)
    return "compute" if macs / per_cycle >= elems * eb / max(bw, 1e-9) else "memory"


def _shape(dims: dict) -> str:
    return "x".join(f"{k}{v}" for k, v in dims.items())


def _mapping(m) -> str:
    if not m:
        return ""
    tiles = m.get("tiles", {}) if isinstance(m, dict) else m.tiles
    order = m.get("order", ()) if isinstance(m, dict) else m.order
    return ",".join(f"{d}{tiles[d]}" for d in tiles) + (" " + "".join(order) if order else "")


def kernel_rows(res) -> list[dict]:
    """Rows of the per-kernel table (also stored in the JSON result as extra['kernel_table'])."""
    machine = getattr(res, "config", {}) or {}
    rows = []
    for k in res.kernels:
        rows.append({"name": k.get("name", ""), "op": k.get("op", ""), "shape": _shape(k.get("dims", {})),
                     "mapping": _mapping(k.get("mapping")), "cycles": k.get("cycles"),
                     "bound": k.get("bound") or roofline_bound(k, machine)})
    return rows


def kernel_table(res, limit: int = 40) -> None:
    """Print the slowest `limit` kernels (rich table on stderr) and the total."""
    from rich.console import Console
    from rich.table import Table

    rows = kernel_rows(res)
    res.extra["kernel_table"] = rows
    table = Table(title=f"npusim kernels ({len(rows)}; slowest {min(limit, len(rows))})")
    for col in ("name", "op", "shape", "mapping", "cycles", "bound"):
        table.add_column(col, justify="right" if col == "cycles" else "left")
    for r in sorted(rows, key=lambda r: -(r["cycles"] or 0))[:limit]:
        cyc = "" if r["cycles"] is None or (isinstance(r["cycles"], float) and math.isnan(r["cycles"])) else f"{r['cycles']:.0f}"
        table.add_row(r["name"], r["op"], r["shape"], r["mapping"], cyc, r["bound"])
    Console(stderr=True).print(table)
