"""Per-op-class geometry: loop extents, outer/accum dims, scratchpad buffers, footprint (total and per lane).

Per-lane scratchpad use follows PyTorchSim's get_spad_size_per_lane: a (rows, cols) buffer keeps
rows * ceil(cols / lanes) elements in each lane (columns are split over the lanes). Vector kernels
split `lane_axis` over the lanes in chunks of `lane_stride` elements.
"""
from __future__ import annotations

import math

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering.conv import conv_extents, conv_geometry, window
from npusim.tog.ops import DTYPE_BYTES

ORDERS = {
    "gemm": (("M", "N"), ("K",)),
    "bmm": (("B", "M", "N"), ("K",)),
    "conv": (("N", "H", "W", "O"), ("KH", "KW", "C")),
}


def dtype_bytes(kernel: KernelSpec) -> int:
    """Element size of the kernel's dtype."""
    try:
        return DTYPE_BYTES[kernel.dtype]
    except KeyError:
        raise MappingError(f"kernel {kernel.name or kernel.op}: unknown dtype {kernel.dtype!r} "
                           f"(valid: {', '.join(DTYPE_BYTES)})") from None


def extents(kernel: KernelSpec) -> dict[str, int]:
    """Loop extent per mapping dimension (conv: H/W are output rows/columns, C/O per group)."""
    if kernel.op == "conv":
        return conv_extents(kernel)
    if kernel.op in ("gemm", "bmm", "vector"):
        names = {"gemm": ("M", "N", "K"), "bmm": ("B", "M", "N", "K"), "vector": ("R", "C")}[kernel.op]
        missing = [n for n in names if n not in kernel.dims]
        if missing:
            raise MappingError(f"kernel {kernel.name or kernel.op}: missing dims {missing} for op {kernel.op}")
        return {n: int(kernel.dims[n]) for n in names}
    raise MappingError(f"kernel {kernel.name or kernel.op}: no mapper geometry for op class {kernel.op!r} "
                       "(valid: gemm, bmm, conv, vector)")


def outer_accum(kernel: KernelSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(dims whose tiles are distributed over cores, dims accumulated in the innermost loops)."""
    if kernel.op == "vector":
        if kernel.reduce in ("R", "C"):
            return (("C",) if kernel.reduce == "R" else ("R",)), (kernel.reduce,)
        return ("R", "C"), ()
    if kernel.op in ("gemm", "bmm") and kernel.reduce in ("M", "N"):
        # reduction epilogue (lowering/gemm.py): the reduced output dimension is the inner output loop
        outer, accum = ORDERS[kernel.op]
        kept = tuple(d for d in outer if d != kernel.reduce)
        return (*kept, kernel.reduce), accum
    return ORDERS[kernel.op]


def default_order(kernel: KernelSpec) -> tuple[str, ...]:
    """Outer dims then accumulation dims."""
    o, a = outer_accum(kernel)
    return (*o, *a)


def side_buffers(kernel: KernelSpec, rows: int, cols: int) -> list[tuple[int, int]]:
    """The epilogue's side-input tiles of a rows x cols output tile: params side_full / side_row / side_col
    (lowering/gemm.py, lowering/conv.py) count full, per-row and per-column slices."""
    if not kernel.epilogue:
        return []
    shapes = {"side_full": (rows, cols), "side_row": (rows, 1), "side_col": (1, cols)}
    return [shape for kind, shape in shapes.items() for _ in range(int(kernel.params.get(kind, 0)))]


def buffers(kernel: KernelSpec, tiles: dict[str, int]) -> list[tuple[int, int]]:
    """(rows, cols) of every scratchpad buffer one iteration keeps live (= the TOG's DMA tiles)."""
    t = tiles
    if kernel.op in ("gemm", "bmm"):
        # + a reduction epilogue's result tiles (TM x 1 or 1 x TN each, params reduce_outputs), the prologue's
        # and the epilogue's side-input tiles (lowering/gemm.py)
        stats = {"N": (t["M"], 1), "M": (1, t["N"])}.get(kernel.reduce)
        extra = [stats] * int(kernel.params.get("reduce_outputs", 1)) if stats else []
        if kernel.prologue:  # the prologue's broadcast-input slices (params pro_*_row / pro_*_col, lowering/gemm.py)
            pro = {"pro_a_row": (t["M"], 1), "pro_a_col": (1, t["K"]), "pro_b_row": (t["K"], 1),
                   "pro_b_col": (1, t["N"])}
            extra += [shape for kind, shape in pro.items() for _ in range(int(kernel.params.get(kind, 0)))]
        return [(t["M"], t["K"]), (t["K"], t["N"]), (t["M"], t["N"]), *extra, *side_buffers(kernel, t["M"], t["N"])]
    if kernel.op == "conv":
        g = conv_geometry(kernel)
        wh = window(t["H"], t["KH"], g["stride"], g["dil"])
        ww = window(t["W"], t["KW"], g["stride"], g["dil"])
        px = t["N"] * t["H"] * t["W"]
        return [(t["N"] * wh * ww, t["C"]), (t["KH"] * t["KW"] * t["C"], t["O"]), (px, t["O"]),
                *side_buffers(kernel, px, t["O"])]
    out = {"": (t["R"], t["C"]), "C": (t["R"], 1), "R": (1, t["C"])}[kernel.reduce]
    nout = int(kernel.params.get("reduce_outputs", 1)) if kernel.reduce else 1  # var_mean: var and mean
    return [(t["R"], t["C"]), *[out] * nout]


def _lane_share(n: int, lanes: int, stride: int) -> int:
    """Elements one lane holds when n elements are dealt to `lanes` lanes in chunks of `stride`."""
    return math.ceil(math.ceil(n / stride) / lanes) * stride


def buffer_bytes(kernel: KernelSpec) -> list[int]:
    """Element size of a GEMM's A, B, C buffers: operands may be stored wider or narrower than
    the kernel dtype (params a_bytes / b_bytes / c_bytes, e.g. int8 weights, int32 _int_mm output)."""
    eb = dtype_bytes(kernel)
    return [int(kernel.params.get(f"{r}_bytes") or eb) for r in ("a", "b", "c")]


def footprint(kernel: KernelSpec, tiles: dict[str, int], lanes: int, lane_axis: str = "",
              lane_stride: int = 1) -> tuple[int, int]:
    """(total scratchpad bytes, bytes in the fullest lane) of one iteration's buffers."""
    total = per_lane = 0
    bufs = buffers(kernel, tiles)
    if kernel.op in ("gemm", "bmm"):  # reduction results are stored in C's element type
        widths = buffer_bytes(kernel)
        widths += [widths[2]] * (len(bufs) - 3)
    else:
        widths = [dtype_bytes(kernel)] * len(bufs)
    for (rows, cols), eb in zip(bufs, widths):
        total += rows * cols * eb
        if kernel.op == "vector" and lane_axis == "R":
            per_lane += _lane_share(rows, lanes, lane_stride) * cols * eb
        else:
            per_lane += rows * _lane_share(cols, lanes, lane_stride if kernel.op == "vector" else 1) * eb
    return total, per_lane


def limits(machine, double_buffer: bool) -> tuple[int, int]:
    """(total, per-lane) scratchpad bytes a mapping may use: half of each with double buffering."""
    core = machine.core
    div = 2 if double_buffer else 1
    return core.spad_bytes // div, core.spad_kib_per_lane * 1024 // div


def pad_factor(extent: int, factor: int) -> int:
    """PyTorchSim's padding unit: `factor` (lanes / array size) for large dims, else 8 (or the dim)."""
    return factor if extent > factor else min(8, factor)


def padded(extent: int, factor: int) -> int:
    """Extent rounded up to its padding unit."""
    f = pad_factor(extent, factor)
    return -(-extent // f) * f


def align_factors(kernel: KernelSpec, machine) -> dict[str, int]:
    """Padding unit per dimension: vector lanes, at least the systolic array side the dim maps onto."""
    core = machine.core
    lanes = core.vector_lanes
    if kernel.op in ("gemm", "bmm"):
        f = {"M": lanes, "N": max(lanes, core.array_cols), "K": max(lanes, core.array_rows)}
        if kernel.op == "bmm":
            f["B"] = 1
        return f
    if kernel.op == "conv":
        return {"N": 1, "H": 1, "W": 1, "O": max(lanes, core.array_cols), "C": max(lanes, core.array_rows),
                "KH": 1, "KW": 1}
    return {"R": lanes, "C": lanes}


def padded_dims(kernel: KernelSpec, machine) -> dict[str, int]:
    """Every extent padded to its unit (what the array / lanes actually process)."""
    f = align_factors(kernel, machine)
    return {d: (padded(e, f[d]) if f[d] > 1 else e) for d, e in extents(kernel).items()}


def divisors(n: int) -> list[int]:
    """Sorted divisors of n >= 1."""
    small = [i for i in range(1, math.isqrt(n) + 1) if n % i == 0]
    return sorted(set(small + [n // i for i in small]))


def aligned_choices(extent: int, factor: int, every_multiple: bool = False) -> list[int]:
    """Tile sizes for a dim: multiples of the padding unit dividing the padded extent (PyTorchSim), clipped."""
    f = pad_factor(extent, factor)
    if factor <= 1:
        return divisors(extent) if not every_multiple else list(range(1, extent + 1))
    if extent <= f:
        return [extent]
    q = -(-extent // f)
    if every_multiple:
        mult = set(range(1, q + 1))
    else:  # divisors of the padded extent (PyTorchSim) plus powers of two (primes have no divisors)
        mult = set(divisors(q)) | {1 << i for i in range(q.bit_length()) if 1 << i <= q}
    return sorted({min(f * i, extent) for i in mult})


def lowered_tiles(kernel: KernelSpec, mapping: Mapping, machine) -> dict[str, int]:
    """Tiles as the lowering emits them: the accumulation dimension streams in its sub-tiles (GEMM/BMM K,
    default the array rows; conv C; a vector kernel's reduced dimension), see lowering.gemm.streamed_tile."""
    tiles = dict(mapping.tiles)
    acc = {"gemm": "K", "bmm": "K", "conv": "C"}.get(kernel.op, kernel.reduce if kernel.op == "vector" else "")
    if acc:
        full = tiles.get(acc, extents(kernel)[acc])
        default = machine.core.array_rows if acc == "K" else full
        tiles[acc] = max(1, min(full, mapping.sub_tiles.get(acc) or default))
    return tiles


def lowered_footprint(kernel: KernelSpec, mapping: Mapping, machine) -> tuple[int, int]:
    """footprint() of the TOG the lowering builds for `mapping` (one iteration's buffers)."""
    total, per_lane = footprint(kernel, lowered_tiles(kernel, mapping, machine), machine.core.vector_lanes,
                                mapping.lane_axis, mapping.lane_stride)
    if kernel.op in ("gemm", "bmm") and mapping.resident in ("A", "B"):
        # A resident panel is the whole K (TILE_K = K) instead of one streamed K slice: buffers()
        # gives (rows, cols) with cols spread over the lanes, A = (TM, K), B = (K, TN).
        t, lanes = mapping.tiles, machine.core.vector_lanes
        eb = buffer_bytes(kernel)[0 if mapping.resident == "A" else 1]
        sub = lowered_tiles(kernel, mapping, machine)["K"]
        total += (t["M"] if mapping.resident == "A" else t["N"]) * (t["K"] - sub) * eb
        if mapping.resident == "A":
            per_lane += t["M"] * (_lane_share(t["K"], lanes, 1) - _lane_share(sub, lanes, 1)) * eb
        else:
            per_lane += (t["K"] - sub) * _lane_share(t["N"], lanes, 1) * eb
    return total, per_lane


def mapping_footprint(kernel: KernelSpec, mapping: Mapping, machine) -> tuple[int, int]:
    """footprint() of a Mapping on `machine`."""
    return footprint(kernel, mapping.tiles, machine.core.vector_lanes, mapping.lane_axis, mapping.lane_stride)
