"""GEMM / BMM lowering: output-tile loops (parallel over cores), K accumulation loop, fused epilogue."""
from __future__ import annotations

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.tog import Dim, TogBuilder


def check_tiles(kernel: KernelSpec, mapping: Mapping, names) -> dict[str, int]:
    """Tile size per dimension, validated: 1 <= tile <= dim for every dimension of the kernel."""
    tiles = {}
    for d in names:
        size = kernel.dims[d]
        t = mapping.tiles.get(d, size)
        if not 1 <= t <= max(size, 1):
            raise MappingError(f"kernel {kernel.name or kernel.op}: tile {d}={t} outside 1..{size}")
        tiles[d] = t
    return tiles


def lower_gemm(kernel: KernelSpec, mapping: Mapping, machine):
    """C[b,M,N] = A[b,M,K] @ B[b,K,N] (+ epilogue vector ops per output tile)."""
    bmm = kernel.op == "bmm"
    names = ("B", "M", "N", "K") if bmm else ("M", "N", "K")
    t = check_tiles(kernel, mapping, names)
    M, N, K = kernel.dims["M"], kernel.dims["N"], kernel.dims["K"]
    nb = kernel.dims["B"] if bmm else 1
    order = [d for d in mapping.order if d in ("M", "N")] or ["M", "N"]
    if mapping.order and mapping.order[-1] != "K":
        raise MappingError(f"kernel {kernel.name or kernel.op}: GEMM loop order {mapping.order} must end with K "
                           "(the accumulation loop is innermost)")
    spad = machine.core.spad_bytes if machine is not None else 0
    b = TogBuilder(kernel.name or kernel.op, spad_bytes=spad)
    b.meta = {"op": kernel.op, "dims": dict(kernel.dims), "dtype": kernel.dtype, "mapping": mapping.to_dict(),
              "flops": 2 * nb * M * N * K}
    dt = kernel.dtype
    # K is streamed in sub-tiles (PyTorchSim SUB_TILE_K; default: one weight fold = array rows): the
    # output tile stays in the accumulators while DMA of the next K slice overlaps the current fold,
    # so a GEMM starts when its first slice has arrived, not its whole operand block.
    sub_k = mapping.sub_tiles.get("K") or (machine.core.array_rows if machine is not None else t["K"])
    tk = max(1, min(t["K"], sub_k))
    b.meta["k_step"] = tk
    ops = kernel.operands
    a = b.tensor("A", (nb, M, K), dt, ops.get("A", ""))
    w = b.tensor("B", (nb, K, N), dt, ops.get("B", ""))
    c = b.tensor("C", (nb, M, N), dt, ops.get("C", ""))
    dm = {"M": Dim(t["M"], 0, "m", M), "N": Dim(t["N"], 0, "n", N)}
    a_off = {"b": M * K} if bmm else {}
    w_off = {"b": K * N} if bmm else {}
    c_off = {"b": M * N} if bmm else {}

    def body():
        with b.loop(order[0].lower(), kernel.dims[order[0]], step=t[order[0]], kind="outer"):
            with b.loop(order[1].lower(), kernel.dims[order[1]], step=t[order[1]], kind="outer"):
                with b.loop("k", K, step=tk, kind="accum"):
                    la = b.load(a, [Dim(t["M"], K, "m", M), Dim(tk, 1, "k", K)], a_off, tag="ld")
                    lb = b.load(w, [Dim(tk, N, "k", K), Dim(t["N"], 1, "n", N)], w_off, tag="ld")
                    g = b.gemm(dm["M"], dm["N"], Dim(tk, 0, "k", K), dt, deps=[la, lb], name="gemm")
                last = g
                for op in kernel.epilogue:
                    last = b.vector(op, [dm["M"], dm["N"]], dt, deps=[last], name=f"epilogue_{op}")
                b.store(c, [Dim(t["M"], N, "m", M), Dim(t["N"], 1, "n", N)], c_off, tag="st", deps=[last])

    if bmm:
        with b.loop("b", nb, step=1, kind="outer"):
            body()
    else:
        body()
    return b.build()
