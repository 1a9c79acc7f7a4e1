"""Conv2d lowering (implicit GEMM): output-tile loops over cores, C x KH x KW accumulation, input-window DMAs.

Layouts: input NHWC (stored padded: (N, H+2p, W+2p, C), the zero border is explicit in DRAM as in
PyTorchSim's conv templates), weights HWIO (KH, KW, C/groups, O), output NHWC (N, OH, OW, O).
Mapping tiles: N (batch), H / W (OUTPUT rows / columns), O (output channels per group), C (input
channels per group), KH / KW (kernel window; must divide KH / KW so window tiles never straddle the
kernel border). Each accumulation step loads one input window and one weight block, then runs one
GEMM per kernel position in the window (m = tN*tH*tW output pixels, n = tO, k = tC): the array
contracts over input channels at a fixed (kh, kw), as TPU convolutions and PyTorchSim's base conv
template do, so few channels leave array rows idle. With fewer than vector_lanes/8 input channels
per group and the whole channel range in one tile (PyTorchSim's multi-tile conv condition,
I_C < vpu_num_lanes // 8) the window positions are packed into k = tKH*tKW*tC instead (im2col in
the scratchpad). A core's arrays split each output tile (lowering.gemm.split_sizes: along O when it
spans two array columns, else along the pixels), and every GEMM of a tile stays on its array's
accumulators for the whole accumulation.

Epilogue side inputs (as in lowering.gemm): params side_full / side_row / side_col count the tensors the
epilogue reads besides the accumulators, operands E0.. in that order: an output-shaped tensor (a residual),
one value per output pixel, or one per output channel (bias, eval-mode batch-norm statistics); the output
tile's slice of each is loaded before the tile's accumulation loops and the first epilogue op waits for it.
"""
from __future__ import annotations

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering.gemm import SIDE_KINDS, operand_dtype, split_gemms, split_sizes, streamed_tile
from npusim.tog import Dim, TogBuilder

OUTER = ("N", "H", "W", "O")
ACCUM = ("KH", "KW", "C")


def conv_geometry(kernel: KernelSpec) -> dict[str, int]:
    """Derived sizes: output OH/OW, padded input Hp/Wp, channels per group Cg/Og and the params."""
    d = kernel.dims
    p = kernel.params
    where = f"kernel {kernel.name or kernel.op}"
    stride, pad, dil, groups = (int(p.get("stride", 1)), int(p.get("pad", 0)), int(p.get("dilation", 1)),
                                int(p.get("groups", 1)))
    if stride < 1 or dil < 1 or pad < 0 or groups < 1:
        raise MappingError(f"{where}: conv params need stride>=1, dilation>=1, pad>=0, groups>=1, got {dict(p)}")
    if d["C"] % groups or d["O"] % groups:
        raise MappingError(f"{where}: groups={groups} must divide C={d['C']} and O={d['O']}")
    hp, wp = d["H"] + 2 * pad, d["W"] + 2 * pad
    oh = (hp - dil * (d["KH"] - 1) - 1) // stride + 1
    ow = (wp - dil * (d["KW"] - 1) - 1) // stride + 1
    if oh < 1 or ow < 1:
        raise MappingError(f"{where}: kernel {d['KH']}x{d['KW']} (dilation {dil}) larger than the padded "
                           f"input {hp}x{wp}")
    return {"OH": oh, "OW": ow, "Hp": hp, "Wp": wp, "Cg": d["C"] // groups, "Og": d["O"] // groups,
            "stride": stride, "pad": pad, "dil": dil, "groups": groups}


def conv_extents(kernel: KernelSpec) -> dict[str, int]:
    """Loop extent of each mapping dimension (H/W are output rows/columns, C/O are per group)."""
    g = conv_geometry(kernel)
    d = kernel.dims
    return {"N": d["N"], "H": g["OH"], "W": g["OW"], "O": g["Og"], "C": g["Cg"], "KH": d["KH"], "KW": d["KW"]}


def window(tile: int, ktile: int, stride: int, dil: int) -> int:
    """Input rows (or columns) read for `tile` output rows and `ktile` kernel rows."""
    return (tile - 1) * stride + (ktile - 1) * dil + 1


def conv_tiles(kernel: KernelSpec, mapping: Mapping) -> dict[str, int]:
    """Validated tile sizes: 1 <= tile <= extent, and KH / KW tiles divide the kernel size."""
    ext = conv_extents(kernel)
    where = f"kernel {kernel.name or kernel.op}"
    t = {}
    for name, size in ext.items():
        v = mapping.tiles.get(name, size)
        if not 1 <= v <= size:
            raise MappingError(f"{where}: conv tile {name}={v} outside 1..{size}")
        t[name] = v
    for name in ("KH", "KW"):
        if ext[name] % t[name]:
            raise MappingError(f"{where}: conv tile {name}={t[name]} must divide {name}={ext[name]}")
    return t


def variant_enabled(machine, name: str) -> bool:
    """Whether sim.compiler_optimization ('all', 'none' or a list, PyTorchSim's codegen_compiler_optimization)
    enables lowering variant `name`."""
    setting = getattr(getattr(machine, "sim", None), "compiler_optimization", "all")
    if isinstance(setting, str):
        return setting == "all" or setting == name
    return name in setting


def packs_window(kernel: KernelSpec, tiles: dict, machine) -> bool:
    """True when the few-channel variant (multi_tile_conv) packs the window positions into one GEMM's k."""
    lanes = machine.core.vector_lanes if machine is not None else 128
    cg = conv_geometry(kernel)["Cg"]
    return cg < max(1, lanes // 8) and tiles["C"] == cg and variant_enabled(machine, "multi_tile_conv")


def conv_split(kernel: KernelSpec, tiles: dict, machine) -> tuple[str, int, int]:
    """How a core's arrays share one conv output tile (O = the GEMM's N, output pixels = its M)."""
    return split_sizes(tiles["O"], tiles["N"] * tiles["H"] * tiles["W"], machine)


def _input_dims(t, g, ext, C, Wp):
    """Input-window DMA dims (n, rows, cols, c) and extra offsets, exact at borders for stride 1."""
    s, dil = g["stride"], g["dil"]
    row_stride, col_stride = Wp * C, C
    offset = {"kh": dil * row_stride, "kw": dil * col_stride}
    dims = []
    for var, tile, ktile, out_ext, stride_el in (("oh", t["H"], t["KH"], ext["H"], row_stride),
                                                 ("ow", t["W"], t["KW"], ext["W"], col_stride)):
        win = window(tile, ktile, s, dil)
        if s == 1:
            # start = o + k*dil; extent = min(tile, OUT - o) + (ktile-1)*dil via the bound.
            dims.append(Dim(win, stride_el, var, out_ext + (ktile - 1) * dil))
        else:
            # start = o*s + k*dil through offsets; the full window is read (padded tensor covers it).
            dims.append(Dim(win, stride_el))
            offset[var] = s * stride_el
    return dims, offset


def lower_conv(kernel: KernelSpec, mapping: Mapping, machine):
    """TOG of an NHWC conv2d tiled by `mapping` (see module docstring for the tile semantics)."""
    g = conv_geometry(kernel)
    ext = conv_extents(kernel)
    t = conv_tiles(kernel, mapping)
    where = f"kernel {kernel.name or kernel.op}"
    t["C"] = streamed_tile(kernel, mapping, t, "C")
    order = tuple(mapping.order) or (*OUTER, *ACCUM)
    if sorted(order) != sorted((*OUTER, *ACCUM)):
        raise MappingError(f"{where}: conv loop order {order} must be a permutation of {(*OUTER, *ACCUM)}")
    if any(d in ACCUM for d in order[:len(OUTER)]):
        raise MappingError(f"{where}: conv loop order {order} must put {OUTER} before the accumulation "
                           f"loops {ACCUM}")
    d = kernel.dims
    N, C, O, KH, KW = d["N"], d["C"], d["O"], d["KH"], d["KW"]
    Cg, Og, G, s, dil = g["Cg"], g["Og"], g["groups"], g["stride"], g["dil"]
    OH, OW = ext["H"], ext["W"]
    # Rows/columns of the stored (explicitly padded) input: the padded image, or more when a strided
    # border tile reads a full window past it.
    last_h = ((OH - 1) // t["H"]) * t["H"]
    last_w = ((OW - 1) // t["W"]) * t["W"]
    hx = max(g["Hp"], (last_h + t["H"] - 1) * s + (KH - 1) * dil + 1) if s > 1 else g["Hp"]
    wx = max(g["Wp"], (last_w + t["W"] - 1) * s + (KW - 1) * dil + 1) if s > 1 else g["Wp"]

    spad = machine.core.spad_bytes if machine is not None else 0
    b = TogBuilder(kernel.name or kernel.op, spad_bytes=spad)
    b.meta = {"op": "conv", "dims": dict(d), "params": dict(kernel.params), "dtype": kernel.dtype,
              "mapping": mapping.to_dict(), "out": [N, OH, OW, O], "padded_input": [N, hx, wx, C],
              "flops": 2 * N * OH * OW * O * Cg * KH * KW}
    dt = kernel.dtype
    ops = kernel.operands
    x = b.tensor("X", (N, hx, wx, C), dt, ops.get("X", ops.get("A", "")))
    w = b.tensor("W", (KH, KW, Cg, O), dt, ops.get("W", ops.get("B", "")))
    y = b.tensor("Y", (N, OH, OW, O), dt, ops.get("Y", ops.get("C", "")))
    var = {"N": "n", "H": "oh", "W": "ow", "O": "o", "C": "c", "KH": "kh", "KW": "kw"}
    loop_end = {"N": N, "H": OH, "W": OW, "O": Og, "C": Cg, "KH": KH, "KW": KW}
    gx = {"g": Cg} if G > 1 else {}
    go = {"g": Og} if G > 1 else {}

    in_dims, in_off = _input_dims(t, g, ext, C, wx)
    m = Dim(t["N"] * t["H"] * t["W"])  # output pixels of the tile (edge tiles computed padded)
    n_dim = Dim(t["O"], 0, "o", Og)

    packed = packs_window(kernel, t, machine)
    split = conv_split(kernel, t, machine)
    b.meta["variant"] = "multi_tile" if packed else "base"
    b.meta["array_split"] = dict(zip(("dim", "parts", "size"), split))

    def accum_body():
        lx = b.load(x, [Dim(t["N"], hx * wx * C, "n", N), *in_dims, Dim(t["C"], 1, "c", Cg)],
                    {**in_off, **gx}, tag="ld")
        lw = b.load(w, [Dim(t["KH"], KW * Cg * O), Dim(t["KW"], Cg * O), Dim(t["C"], O, "c", Cg),
                        Dim(t["O"], 1, "o", Og)], {"kh": KW * Cg * O, "kw": Cg * O, **go}, tag="ld")
        if packed:
            return split_gemms(b, m, n_dim, Dim(t["KH"] * t["KW"] * Cg), dt, [lx, lw], "conv_gemm", split)
        with b.loop("kp", t["KH"] * t["KW"], step=1, kind="accum"):  # one GEMM per window position
            return split_gemms(b, m, n_dim, Dim(t["C"], 0, "c", Cg), dt, [lx, lw], "conv_gemm", split)

    def nest(dims, inner):
        if not dims:
            return inner()
        name = dims[0]
        kind = "accum" if name in ACCUM else "outer"
        with b.loop(var[name], loop_end[name], step=t[name], kind=kind):
            return nest(dims[1:], inner)

    side_shape = {"side_full": (N, OH, OW, O), "side_row": (N, OH, OW, 1), "side_col": (1, O)}
    sides = [(kind, b.tensor(f"E{i}", side_shape[kind],
                             operand_dtype(kernel, "c"), ops.get(f"E{i}", "")))
             for i, kind in enumerate(k for k in SIDE_KINDS for _ in range(int(kernel.params.get(k, 0))))]
    out_dims = [Dim(t["N"], OH * OW * O, "n", N), Dim(t["H"], OW * O, "oh", OH), Dim(t["W"], O, "ow", OW),
                Dim(t["O"], 1, "o", Og)]  # the output tile in Y (and in an output-shaped side input)
    side_dims = {"side_full": (out_dims, go),
                 "side_row": ([Dim(t["N"], OH * OW, "n", N), Dim(t["H"], OW, "oh", OH), Dim(t["W"], 1, "ow", OW)], {}),
                 "side_col": ([Dim(t["O"], 1, "o", Og)], go)}

    def side_loads():
        """The epilogue's side-input slices of this output tile (module doc)."""
        return [b.load(e, *side_dims[kind], tag="ld") for kind, e in sides]

    def tile_body():
        extra = side_loads() if kernel.epilogue else []
        last = [*nest(list(order[len(OUTER):]), accum_body), *extra]
        for op in kernel.epilogue:
            last = [b.vector(op, [m, n_dim], dt, deps=last, name=f"epilogue_{op}")]
        b.store(y, out_dims, go, tag="st", deps=last)

    def outer():
        nest(list(order[:len(OUTER)]), tile_body)

    if G > 1:
        with b.loop("g", G, step=1, kind="outer"):
            outer()
    else:
        outer()
    return b.build()
