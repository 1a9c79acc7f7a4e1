"""GEMM / BMM lowering: output-tile loops (parallel over cores), K accumulation loop, fused epilogue.

Reduction epilogue (kernel.reduce = "N": over the output's columns, kept rows M; "M": over a 2-D GEMM's
rows): as in the vector lowering, the epilogue ops up to and including the last reduce_* run on every
output tile (accumulating a per-row partial in the scratchpad), the remaining ops (the reductions'
per-row finishing work: mean's divide, var_mean's correction, ...) run once on the kept TM x 1 (1 x TN)
partial after the reduced dimension's loop, which is therefore the sequential inner loop under the kept
dimension's parallel one, and params["reduce_outputs"] result tensors R0.. of M x 1 (1 x N) are stored.

Epilogue side inputs (residual, SwiGLU's other half, bias): params side_full / side_row / side_col count
the tensors the epilogue reads besides the accumulators, operands E0.. in that order: an M x N tile, a
TM x 1 per-row or a 1 x TN per-column slice of each is loaded for every output tile (before its K loop,
so the DMA overlaps the matmul) and the first epilogue op waits for them.

Prologue broadcast inputs (a per-row divisor, a per-channel dequant scale): params pro_a_row / pro_a_col /
pro_b_row / pro_b_col count them by operand and by the operand axis they follow, operands P0.. in that
order; every loaded operand tile also loads its slice of each (TM or TK values for A, TK or TN for B)
and the first prologue op waits for it.
"""
from __future__ import annotations

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.tog import Dim, TogBuilder

# KernelSpec.params a_bytes / b_bytes / c_bytes: DRAM element width of an operand that differs from
# kernel.dtype (int8 weights dequantized on load, _int_mm's int32 output) -> a dtype of that width.
BYTES_DTYPE = {1: "int8", 2: "fp16", 4: "fp32", 8: "fp64"}
SIDE_KINDS = ("side_full", "side_row", "side_col")  # KernelSpec.params counting epilogue side inputs (module doc)
# KernelSpec.params counting a prologue's broadcast inputs by operand and axis (module doc); operands P0..
PROLOGUE_SIDE_KINDS = ("pro_a_row", "pro_a_col", "pro_b_row", "pro_b_col")


def operand_dtype(kernel: KernelSpec, role: str) -> str:
    """DRAM element type of GEMM operand `role` ("a", "b" or "c")."""
    nb = kernel.params.get(f"{role}_bytes")
    return BYTES_DTYPE.get(nb, kernel.dtype) if nb else kernel.dtype


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


def streamed_tile(kernel: KernelSpec, mapping: Mapping, tiles: dict, dim: str, default: int = 0) -> int:
    """DMA step of accumulation dimension `dim` inside a tile: its sub-tile (PyTorchSim SUB_TILE_*; `default`
    when none is given, 0 = the whole tile), so the first compute starts when its first slice has arrived.
    Sub-tiles of the other (output) dimensions only refine DMA bursts in PyTorchSim and do not change
    what a tile computes; they are accepted and recorded in the mapping."""
    sub = mapping.sub_tiles.get(dim) or default or tiles[dim]
    if sub < 1:
        raise MappingError(f"kernel {kernel.name or kernel.op}: sub-tile {dim}={sub} must be >= 1")
    return max(1, min(tiles[dim], sub))


def split_sizes(n_tile: int, m_tile: int, machine) -> tuple[str, int, int]:
    """How a core's systolic arrays share one output tile: (split dimension "N"|"M", parts, elements per part).

    The arrays of a core read the same scratchpad, so an output tile is split between them rather than
    each array getting its own tile: with a weight-stationary split along N each array holds its own
    column block of B and all of them stream the same A slice, loaded once (TPUv3's two MXUs are fed
    from one VMEM). N is split in array-column units when the tile spans at least two of them, else M
    in array-row units; a one-array machine or a tile no bigger than one array is not split.
    """
    arrays = machine.core.num_systolic_arrays if machine is not None else 1
    if arrays > 1:
        for dim, extent, unit in (("N", n_tile, machine.core.array_cols), ("M", m_tile, machine.core.array_rows)):
            blocks = -(-extent // unit)
            if blocks >= 2:
                size = -(-blocks // min(arrays, blocks)) * unit
                return dim, -(-extent // size), size
    return "N", 1, n_tile


def array_split(tiles: dict, machine) -> tuple[str, int, int]:
    """split_sizes for a GEMM/BMM mapping's tiles."""
    return split_sizes(tiles["N"], tiles["M"], machine)


def split_gemms(b: TogBuilder, m: Dim, n: Dim, k: Dim, dtype: str, deps, name: str, split) -> list[int]:
    """One GEMM per array part of an (m x n) output tile; part j starts j*size into the split dimension
    (Dim.offset; a dimension without a loop variable is cut into fixed sizes), the last part takes the
    rest, and parts past a border tile's end are empty and cost nothing."""
    dim, parts, size = split
    whole = m if dim == "M" else n
    out = []
    for j in range(parts):
        span = size if j < parts - 1 else whole.size - j * size
        sd = Dim(span, 0, whole.var, whole.bound, offset=j * size) if whole.var else Dim(span)
        mdim, ndim = (sd, n) if dim == "M" else (m, sd)
        out.append(b.gemm(mdim, ndim, k, dtype, deps=deps, name=f"{name}{j}" if parts > 1 else name))
    return out


def check_resident(kernel: KernelSpec, mapping: Mapping, tiles: dict, order) -> str:
    """The validated resident operand: "" or "C" (the output tile stays while K accumulates, always the
    case), "A" (the M x K panel stays while the N tiles of its row go past) or "B" (the K x N panel
    stays across the M tiles); A and B need TILE_K = K and their own dimension as the outer loop."""
    res = mapping.resident
    where = f"kernel {kernel.name or kernel.op}"
    if res not in ("", "A", "B", "C"):
        raise MappingError(f"{where}: resident {res!r} is not one of '', 'A', 'B', 'C'")
    if res in ("A", "B"):
        if tiles["K"] != kernel.dims["K"]:
            raise MappingError(f"{where}: resident {res} needs TILE_K = K = {kernel.dims['K']} (got {tiles['K']})")
        want = ["M", "N"] if res == "A" else ["N", "M"]
        if list(order) != want:
            raise MappingError(f"{where}: resident {res} needs loop order {''.join(want)}K (got {''.join(order)}K)")
    return "" if res == "C" else res


def epilogue_split(kernel: KernelSpec) -> tuple[list[str], list[str]]:
    """(epilogue ops per output tile, per-row finishing ops after the reduced loop) of a GEMM/BMM; with
    kernel.reduce set the tile ops end at the last reduce_* op (module doc)."""
    from npusim.lowering.vector import REDUCE_OPS

    ops = list(kernel.epilogue)
    where = f"kernel {kernel.name or kernel.op}"
    if kernel.reduce not in ("", "M", "N") or (kernel.reduce == "M" and kernel.op == "bmm"):
        raise MappingError(f"{where}: GEMM reduce must be '', 'N' or (2-D GEMM only) 'M', got {kernel.reduce!r}")
    if not kernel.reduce:
        return ops, []
    last = max((i for i, op in enumerate(ops) if op in REDUCE_OPS), default=None)
    if last is None:
        raise MappingError(f"{where}: reduce {kernel.reduce!r} needs a reduce_* op in the epilogue {tuple(ops)}")
    return ops[:last + 1], ops[last + 1:]


def lower_gemm(kernel: KernelSpec, mapping: Mapping, machine):
    """C[b,M,N] = A[b,M,K] @ B[b,K,N] (+ epilogue vector ops per output tile, + reduction epilogue)."""
    bmm = kernel.op == "bmm"
    names = ("B", "M", "N", "K") if bmm else ("M", "N", "K")
    t = check_tiles(kernel, mapping, names)
    M, N, K = kernel.dims["M"], kernel.dims["N"], kernel.dims["K"]
    nb = kernel.dims["B"] if bmm else 1
    red = kernel.reduce
    per_tile, finish = epilogue_split(kernel)
    order = [d for d in mapping.order if d in ("M", "N")] or (["N", "M"] if red == "M" else ["M", "N"])
    if mapping.order and mapping.order[-1] != "K":
        raise MappingError(f"kernel {kernel.name or kernel.op}: GEMM loop order {mapping.order} must end with K "
                           "(the accumulation loop is innermost)")
    if red and order[1] != red:
        raise MappingError(f"kernel {kernel.name or kernel.op}: reduction epilogue over {red} needs {red} as the "
                           f"inner output loop (order {''.join(d for d in 'MN' if d != red)}{red}K, got "
                           f"{''.join(order)}K)")
    spad = machine.core.spad_bytes if machine is not None else 0
    b = TogBuilder(kernel.name or kernel.op, spad_bytes=spad)
    b.meta = {"op": kernel.op, "dims": dict(kernel.dims), "dtype": kernel.dtype, "mapping": mapping.to_dict(),
              "flops": 2 * nb * M * N * K}
    dt = kernel.dtype
    # K is streamed in sub-tiles (PyTorchSim SUB_TILE_K; default: one weight fold = array rows): the
    # output tile stays in the accumulators while DMA of the next K slice overlaps the current fold,
    # so a GEMM starts when its first slice has arrived, not its whole operand block.
    tk = streamed_tile(kernel, mapping, t, "K", machine.core.array_rows if machine is not None else 0)
    b.meta["k_step"] = tk
    ops = kernel.operands
    a = b.tensor("A", (nb, M, K), operand_dtype(kernel, "a"), ops.get("A", ""))
    w = b.tensor("B", (nb, K, N), operand_dtype(kernel, "b"), ops.get("B", ""))
    c = b.tensor("C", (nb, M, N), operand_dtype(kernel, "c"), ops.get("C", ""))
    # Fused prologue: the first params["prologue_a"] ops run on every loaded A tile, the rest on B tiles.
    npa = kernel.params.get("prologue_a", 0)
    pro = {"A": kernel.prologue[:npa], "B": kernel.prologue[npa:]}
    dm = {"M": Dim(t["M"], 0, "m", M), "N": Dim(t["N"], 0, "n", N)}
    a_off = {"b": M * K} if bmm else {}
    w_off = {"b": K * N} if bmm else {}
    c_off = {"b": M * N} if bmm else {}

    split = array_split(t, machine)
    b.meta["array_split"] = dict(zip(("dim", "parts", "size"), split))

    resident = check_resident(kernel, mapping, t, order)
    b.meta["resident"] = resident
    b.meta["reduce"] = red

    psides = {"A": [], "B": []}
    for i, kind in enumerate(k for k in PROLOGUE_SIDE_KINDS for _ in range(int(kernel.params.get(k, 0)))):
        role, axis = kind[4].upper(), kind[6:]
        n_el = {("A", "row"): M, ("A", "col"): K, ("B", "row"): K, ("B", "col"): N}[role, axis]
        shape = (nb * n_el, 1) if axis == "row" else (nb, n_el)  # a BMM's slices follow the batch
        psides[role].append((axis, b.tensor(f"P{i}", shape, operand_dtype(kernel, role.lower()), ops.get(f"P{i}", ""))))

    def prologue(role, ld, dims):
        """The operand's fused elementwise ops on a freshly loaded tile, in the scratchpad, after the tile's
        slices of the prologue's broadcast inputs (module doc)."""
        deps = [ld]
        if pro[role]:
            for axis, e in psides[role]:
                d = dims[0] if axis == "row" else dims[1]
                deps.append(b.load(e, [Dim(d.size, 1, d.var, d.bound)], {"b": d.bound or d.size} if bmm else {},
                                   tag="ld"))
        for op in pro[role]:
            ld = b.vector(op, dims, dt, deps=deps, name=f"prologue_{op}")
            deps = [ld]
        return ld

    def panel_load():
        """The resident operand's whole K panel, loaded once per tile of its own outer dimension."""
        if resident == "A":
            return prologue("A", b.load(a, [Dim(t["M"], K, "m", M), Dim(K, 1)], a_off, tag="ld"), [dm["M"], Dim(K)])
        return prologue("B", b.load(w, [Dim(K, N), Dim(t["N"], 1, "n", N)], w_off, tag="ld"), [Dim(K), dm["N"]])

    sides = [(kind, b.tensor(f"E{i}", {"side_full": (nb, M, N), "side_row": (nb * M, 1), "side_col": (1, N)}[kind],
                             operand_dtype(kernel, "c"), ops.get(f"E{i}", "")))
             for i, kind in enumerate(k for k in SIDE_KINDS for _ in range(int(kernel.params.get(k, 0))))]

    def side_loads():
        """The epilogue's side-input tiles of this output tile (module doc)."""
        out = []
        for kind, e in sides:
            if kind == "side_full":
                out.append(b.load(e, [Dim(t["M"], N, "m", M), Dim(t["N"], 1, "n", N)], c_off, tag="ld"))
            elif kind == "side_row":
                out.append(b.load(e, [Dim(t["M"], 1, "m", M), Dim(1, 1)], {"b": M} if bmm else {}, tag="ld"))
            else:
                out.append(b.load(e, [Dim(1, N), Dim(t["N"], 1, "n", N)], tag="ld"))
        return out

    def tile(panel):
        extra = side_loads() if per_tile else []
        with b.loop("k", K, step=tk, kind="accum"):
            dk = Dim(tk, 0, "k", K)
            la = panel if resident == "A" else prologue(
                "A", b.load(a, [Dim(t["M"], K, "m", M), Dim(tk, 1, "k", K)], a_off, tag="ld"), [dm["M"], dk])
            lb = panel if resident == "B" else prologue(
                "B", b.load(w, [Dim(tk, N, "k", K), Dim(t["N"], 1, "n", N)], w_off, tag="ld"), [dk, dm["N"]])
            gs = split_gemms(b, dm["M"], dm["N"], Dim(tk, 0, "k", K), dt, [la, lb], "gemm", split)
        last = [*gs, *extra]
        for op in per_tile:
            last = [b.vector(op, [dm["M"], dm["N"]], dt, deps=last, name=f"epilogue_{op}")]
        b.store(c, [Dim(t["M"], N, "m", M), Dim(t["N"], 1, "n", N)], c_off, tag="st", deps=last)
        return last

    nout = int(kernel.params.get("reduce_outputs", 1)) if red else 0
    stats = [b.tensor(f"R{i}", (nb * M, 1) if red == "N" else (1, N), operand_dtype(kernel, "c"),
                      ops.get(f"R{i}", "")) for i in range(nout)]

    def reduced(last):
        """After the reduced loop: the per-row finishing ops on the kept partial, then its result tiles."""
        kept = [dm["M"], Dim(1)] if red == "N" else [Dim(1), dm["N"]]
        for op in finish:
            last = [b.vector(op, kept, dt, deps=last, name=f"epilogue_{op}")]
        for s in stats:
            if red == "N":
                b.store(s, [Dim(t["M"], 1, "m", M), Dim(1, 1)], {"b": M} if bmm else {}, tag="st", deps=last)
            else:
                b.store(s, [Dim(1, N), Dim(t["N"], 1, "n", N)], tag="st", deps=last)

    def body():
        first, second = order[0], order[1]
        with b.loop(first.lower(), kernel.dims[first], step=t[first], kind="outer"):
            if resident in ("A", "B") or red:
                # The panel stays in the scratchpad while the other dimension's tiles stream past it, and a
                # reduction's partial while the reduced dimension's tiles go past, so those iterations run
                # on the core that holds it (a sequential loop, not spread over cores).
                panel = panel_load() if resident else None
                with b.loop(second.lower(), kernel.dims[second], step=t[second], kind="inner"):
                    last = tile(panel)
                if red:
                    reduced(last)
            else:
                with b.loop(second.lower(), kernel.dims[second], step=t[second], kind="outer"):
                    tile(None)

    if bmm:
        with b.loop("b", nb, step=1, kind="outer"):
            body()
    else:
        body()
    return b.build()
