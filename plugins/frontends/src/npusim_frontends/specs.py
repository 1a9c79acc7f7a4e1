"""KernelSpecs for kernel groups (op class, dims, dtype, fused ops, operand tensor names) and untimed-op records."""
from __future__ import annotations

import torch
import torch.fx as fx
from npusim.kernels import KernelSpec
from npusim.lowering.gemm import PROLOGUE_SIDE_KINDS, SIDE_KINDS
from npusim.tog.ops import DTYPE_BYTES

from npusim_frontends import aten_ops as A
from npusim_frontends.groups import Group, numel, shape_of, val

# torch dtype -> kernel dtype. 64-bit integers (indices) and booleans are carried in 32-bit / 8-bit
# lanes: index arithmetic on NPUs is 32-bit (PyTorchSim's vector templates use i32 index vectors).
DTYPES = {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16", torch.int8: "int8",
          torch.uint8: "int8", torch.bool: "int8", torch.int32: "int32", torch.int64: "int32",
          torch.float64: "fp64", torch.int16: "fp16"}


def kdtype(node) -> str:
    v = val(node)
    if isinstance(v, (tuple, list)):
        v = next((x for x in v if isinstance(x, torch.Tensor)), None)
    return DTYPES.get(getattr(v, "dtype", torch.float32), "fp32")


def buffer_name(node) -> str:
    """Global DRAM buffer of a value: views resolve to the tensor they view."""
    while isinstance(node, fx.Node) and node.op == "call_function" and (
            A.op_name(node.target) in A.VIEW_OPS or A.op_name(node.target) == "getitem"):
        if not node.args or not isinstance(node.args[0], fx.Node):
            break
        node = node.args[0]
    return node.name if isinstance(node, fx.Node) else ""


def _epilogue_ops(group: Group) -> tuple[str, ...]:
    """Vector ops per output element after a GEMM/conv: bias, the fused chain, then fused reductions'
    per-element work (their per-row finishing ops: reduction_epilogue)."""
    ops: list[str] = []
    if A.op_name(group.anchor.target) in ("addmm", "baddbmm"):
        ops.append("add")
    for n in group.chain:
        if A.is_pointwise(n.target):
            ops.extend(A.node_cost(n))
    for guest in group.guests:
        ops.extend(reduce_ops(guest)[0])
    return tuple(ops)


def _gemm_side_kind(shp: tuple, cshape: tuple) -> str:
    """A GEMM/BMM side input smaller than the output: broadcast along the rows (bias: last dim = N) or one
    value per row."""
    cols = cshape[-1] if cshape else 1
    return "side_col" if shp and shp[-1] == cols and cols > 1 else "side_row"


def _conv_side_kind(shp: tuple, cshape: tuple) -> str:
    """A conv side input smaller than the NCHW output: one value per pixel when it has no channel extent,
    else per output channel (bias, eval-mode batch-norm statistics; a per-image-and-channel scale such as
    squeeze-excitation's is timed as its per-channel slice)."""
    full = (1,) * (4 - len(shp)) + tuple(shp)  # right-aligned broadcast against (N, O, OH, OW)
    return "side_row" if full[1] == 1 and cshape[1] > 1 else "side_col"


def epilogue_sides(g: Group, operands: dict, conv_bias=None) -> dict[str, int]:
    """params side_full / side_row / side_col of GEMM/BMM/conv group g: the tensors its epilogue reads besides
    the accumulators (a bias, a residual, SwiGLU's other half, batch-norm statistics), each as a full output
    tile, a per-row (per-pixel) or a per-column (per-channel) slice (lowering/gemm.py and lowering/conv.py
    load them per output tile); operands E0.. in that order. conv_bias: a conv's bias argument (per channel)."""
    members = set(g.nodes)
    total = numel(g.cshape)
    kind_of = _conv_side_kind if g.kind == "conv" else _gemm_side_kind
    anchor = [g.anchor.args[0]] if A.op_name(g.anchor.target) in ("addmm", "baddbmm") else []
    reads = [*anchor, *(a for n in g.chain if A.is_pointwise(n.target) for a in n.all_input_nodes if a not in members)]
    kinds: dict[str, list[str]] = {k: [] for k in SIDE_KINDS}
    seen = set()
    for x in ([conv_bias] if conv_bias is not None else []) + reads:
        v = val(x)
        if not isinstance(x, fx.Node) or x in seen or not isinstance(v, torch.Tensor) or v.numel() <= 1:
            continue
        seen.add(x)
        if x is conv_bias:
            kind = "side_col"
        else:
            kind = "side_full" if v.numel() >= total else kind_of(shape_of(x), g.cshape)
        kinds[kind].append(buffer_name(x))
    names = [n for k in SIDE_KINDS for n in kinds[k]]
    operands.update({f"E{i}": n for i, n in enumerate(names)})
    return {k: len(v) for k, v in kinds.items() if v}


def reduction_epilogue(g: Group, operands: dict) -> tuple[tuple[str, ...], str, dict]:
    """(per-row finishing ops, reduced GEMM dimension, params) of the reductions fused into GEMM group g's
    epilogue (empty when none): lowering/gemm.py runs the finishing ops after the reduced loop and stores
    every result (operands R0, R1, ...: var_mean has two) as an M x 1 (N: 1 x N) tensor."""
    if not g.guests:
        return (), "", {}
    from npusim_frontends.reduction_fusion import epilogue_axis

    finish = [op for guest in g.guests for op in reduce_ops(guest)[1]] + finisher_ops(g)
    names = result_buffers(g.guests, g.finishers)
    operands.update({f"R{i}": name for i, name in enumerate(names)})
    return tuple(finish), epilogue_axis(g.guests[0], g), {"reduce_outputs": len(names)}


def finisher_ops(k: Group) -> list[str]:
    """Vector ops of the elementwise groups run on kernel k's per-row results (reduction_fusion finishers)."""
    return [op for f in k.finishers for op in _chain_ops(f.nodes)]


def result_buffers(reductions, finishers=()) -> list[str]:
    """DRAM buffers a reduction kernel stores, in order: the reduce groups' results (var_mean has two: var,
    then mean as "<name>.1"; readers of either resolve to the node's name, see buffer_name), then its
    finishers' outputs; a value only read by the kernel's own finishers is not stored."""
    from npusim_frontends.reduction_fusion import consumers

    inside = {n for f in finishers for n in f.nodes}
    names: list[str] = []
    for r in reductions:
        v = val(r.anchor)
        name = buffer_name(r.out)
        if not isinstance(v, (tuple, list)):
            names += [name] if not inside or any(u not in inside for u in consumers(r.out)) else []
            continue
        for i in range(len(v)):
            readers = [c for u in r.out.users if u.args[1:2] == (i,) for c in consumers(u)]
            if not inside or any(u not in inside for u in readers):
                names.append(name if i == 0 else f"{name}.{i}")
    names += [buffer_name(f.out) for f in finishers if any(u not in inside for u in consumers(f.out))]
    return names


def _operand_prologues(g: Group, operands: dict) -> tuple[tuple[str, ...], dict[str, int]]:
    """GEMM prologue ops: those of A's chain then B's; params["prologue_a"] = how many belong to A (they
    run on every loaded A tile, the rest on every B tile). The GEMM reads each chain's input tensor and
    its small broadcast inputs (prologue_sides)."""
    ops: dict[str, list[str]] = {"A": [], "B": []}
    sides: dict[str, list[str]] = {k: [] for k in PROLOGUE_SIDE_KINDS}
    for role, pro in g.operand_prologues.items():
        ops[role] = _chain_ops(pro.group.nodes)
        src = prologue_source(pro)
        if src is not None:
            operands[role] = buffer_name(src)
        for kind, name in prologue_sides(pro, role, src):
            sides[kind].append(name)
    if not g.operand_prologues:
        return (), {}
    names = [n for k in PROLOGUE_SIDE_KINDS for n in sides[k]]
    operands.update({f"P{i}": n for i, n in enumerate(names)})
    return (*ops["A"], *ops["B"]), {"prologue_a": len(ops["A"]), **{k: len(v) for k, v in sides.items() if v}}


def prologue_sides(pro, role: str, src) -> list[tuple[str, str]]:
    """(kind, tensor) of the smaller-than-operand inputs an operand prologue reads (a per-row divisor, a
    per-channel dequant scale): one that has no extent along the producer's last dim follows its rows,
    any other its columns; a transposed operand (K^T) swaps the two."""
    members = set(pro.group.nodes)
    out_shape = shape_of(pro.group.out)
    out: list[tuple[str, str]] = []
    seen = set()
    for n in pro.group.nodes:
        for x in n.all_input_nodes:
            v = val(x)
            if x in members or x is src or x in seen or not isinstance(v, torch.Tensor) or v.numel() <= 1:
                continue
            seen.add(x)
            shp = shape_of(x)
            follows_rows = (not shp or shp[-1] == 1) and bool(out_shape) and out_shape[-1] > 1
            axis = "row" if follows_rows != pro.transposed else "col"
            out.append((f"pro_{role.lower()}_{axis}", buffer_name(x)))
    return out


def prologue_source(pro):
    """The tensor a GEMM operand prologue reads from DRAM (its first full-size input), or None."""
    return next((i for i in pro.group.anchor.all_input_nodes
                 if isinstance(val(i), torch.Tensor) and numel(shape_of(i)) == numel(pro.group.cshape)), None)


def operand_bytes(g: Group, dt: str, a, b) -> dict[str, int]:
    """Bytes per element of the GEMM's DRAM operands where they differ from the kernel dtype's width:
    a_bytes/b_bytes for an operand read through a cast prologue (int8 weights dequantized on load),
    c_bytes for an output wider than the inputs (_int_mm's int32, or a dequant epilogue's fp32)."""
    width = DTYPE_BYTES[dt]
    out: dict[str, int] = {}
    for role, node in (("A", a), ("B", b)):
        pro = g.operand_prologues.get(role)
        src = prologue_source(pro) if pro is not None else node
        if isinstance(val(src), torch.Tensor) and val(src).element_size() != width:
            out[f"{role.lower()}_bytes"] = val(src).element_size()
    c = val(g.out)
    if isinstance(c, torch.Tensor) and c.element_size() != width:
        out["c_bytes"] = c.element_size()
    return out


def _chain_ops(nodes) -> list[str]:
    return [op for n in nodes if A.is_pointwise(n.target) for op in A.node_cost(n)]


def reduce_ops(g: Group) -> tuple[list[str], list[str]]:
    """(vector ops per input element incl. the fused prologue and the reduce op, ops per reduced row)."""
    pre, post = A.REDUCTIONS[A.op_name(g.anchor.target)]
    fused = _chain_ops(g.prologue.nodes) if g.prologue is not None else []
    return [*fused, *pre], list(post)


def _rc(shape) -> dict[str, int]:
    c = shape[-1] if shape else 1
    return {"R": max(numel(shape) // max(c, 1), 1), "C": max(c, 1)}


def group_kernels(g: Group, gname: str) -> list[KernelSpec]:
    """KernelSpecs timing group `g` (empty for views; untimed groups are reported separately)."""
    name = A.op_name(g.anchor.target)
    dt = kdtype(g.anchor)
    out = buffer_name(g.out)
    if g.host is not None:
        return []  # fused into its host group's kernel
    if g.kind == "gemm":
        a, b = (g.anchor.args[1], g.anchor.args[2]) if name == "addmm" else g.anchor.args[:2]
        (m, k), (_, n) = shape_of(a), shape_of(b)
        operands = {"A": buffer_name(a), "B": buffer_name(b), "C": out}
        prologue, params = _operand_prologues(g, operands)
        dt = kdtype(a)  # the element type the array multiplies (int8 for _int_mm, whose output is int32)
        params.update(operand_bytes(g, dt, a, b))
        finish, red, rparams = reduction_epilogue(g, operands)
        params.update(epilogue_sides(g, operands))
        return [KernelSpec("gemm", {"M": m, "N": n, "K": k}, dt, params={**params, **rparams}, prologue=prologue,
                           epilogue=(*_epilogue_ops(g), *finish), reduce=red, name=gname, operands=operands)]
    if g.kind == "bmm":
        a, b = (g.anchor.args[1], g.anchor.args[2]) if name == "baddbmm" else g.anchor.args[:2]
        (bb, m, k), (_, _, n) = shape_of(a), shape_of(b)
        operands = {"A": buffer_name(a), "B": buffer_name(b), "C": out}
        prologue, params = _operand_prologues(g, operands)
        params.update(operand_bytes(g, dt, a, b))
        finish, red, rparams = reduction_epilogue(g, operands)
        params.update(epilogue_sides(g, operands))
        return [KernelSpec("bmm", {"B": bb, "M": m, "N": n, "K": k}, dt, params={**params, **rparams},
                           prologue=prologue, epilogue=(*_epilogue_ops(g), *finish), reduce=red, name=gname,
                           operands=operands)]
    if g.kind == "grouped_mm":
        # Expert row counts are data-dependent; kernels are built from shapes, so the timing assumes
        # balanced routing: E expert GEMMs of ceil(S/E) rows each (all E weight matrices are read).
        (s_rows, k), (e, _, n) = shape_of(g.anchor.args[0]), shape_of(g.anchor.args[1])
        return [KernelSpec("bmm", {"B": e, "M": max(1, -(-s_rows // e)), "N": n, "K": k}, dt, name=gname,
                           operands={"A": buffer_name(g.anchor.args[0]), "B": buffer_name(g.anchor.args[1]),
                                     "C": out})]
    if g.kind == "conv":
        return [conv_kernel(g, gname, dt, out)]
    if g.kind == "pointwise":
        ops = []
        for n in [g.anchor, *g.chain]:
            if A.is_pointwise(n.target):
                ops.extend(A.node_cost(n))
        x = next((buffer_name(i) for i in g.anchor.all_input_nodes if isinstance(val(i), torch.Tensor)), "")
        return [KernelSpec("vector", dict(zip("RC", g.cshape)), dt, epilogue=tuple(ops), name=gname,
                           operands={"X": x, "Y": out})]
    if g.kind == "reduce":
        return [reduce_kernel(g, gname)]
    if g.kind == "copy":
        return copy_kernels(g, gname)
    return []


def conv_kernel(g: Group, gname: str, dt: str, out: str) -> KernelSpec:
    """aten.convolution(x NCHW, w OIHW, bias, stride, pad, dilation, transposed, out_pad, groups) -> conv kernel."""
    x, w, bias, stride, pad, dil, transposed, _, groups = g.anchor.args[:9]
    xs, ws = shape_of(x), shape_of(w)
    if len(xs) == 3:  # conv1d: one image row
        xs, ws = (xs[0], xs[1], 1, xs[2]), (*ws[:2], 1, ws[2])
        stride, pad, dil = [1, *stride], [0, *pad], [1, *dil]
    n, c, h, wd = xs
    if transposed:
        # A transposed conv is timed as the direct conv producing its input gradient-equivalent:
        # input = its output, C <-> O (the standard dgrad identity).
        ys = shape_of(g.anchor)
        n, c, h, wd = ys[0], ws[1] * groups, ys[2], ys[3] if len(ys) > 3 else 1
        o = ws[0]
        stride, pad = [1, 1], [ws[-2] // 2, ws[-1] // 2]
    else:
        o = ws[0]
    ops = (("add",) if bias is not None else ()) + _epilogue_ops(g)
    operands = {"X": buffer_name(x), "W": buffer_name(w), "Y": out}
    sides = epilogue_sides(g, operands, bias) if ops else {}
    return KernelSpec("conv", {"N": n, "H": h, "W": wd, "C": c, "O": o, "KH": ws[-2], "KW": ws[-1]}, dt,
                      params={"stride": int(stride[0]), "pad": int(pad[0]), "dilation": int(dil[0]),
                              "groups": int(groups), **sides},
                      epilogue=ops, name=gname, operands=operands)


def reduce_dims(node: fx.Node) -> tuple[list[int], int, int]:
    """(reduced dims, rows kept R, reduced extent C) of a reduction node."""
    shp = shape_of(node.args[0])
    nd = len(shp)
    dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    if A.op_name(node.target) in ("_softmax", "_log_softmax"):
        dims = [node.args[1]]
    if dims is None or dims == [] or isinstance(dims, bool):
        dims = list(range(nd))
    if isinstance(dims, int):
        dims = [dims]
    dims = sorted({d % nd for d in dims}) if nd else []
    c = numel([shp[d] for d in dims])
    return dims, max(numel(shp) // max(c, 1), 1), max(c, 1)


def reduce_kernel(g: Group, gname: str) -> KernelSpec:
    """Vector reduction along C; fused sibling reductions (guests) add their per-tile and per-row ops."""
    _, r, c = reduce_dims(g.anchor)
    dt = kdtype(g.anchor.args[0])
    x = buffer_name(g.anchor.args[0])
    if g.prologue is not None:  # the elementwise ops run on every input tile before the reduction
        x = next((buffer_name(i) for i in g.prologue.anchor.all_input_nodes if isinstance(val(i), torch.Tensor)), "")
    per_tile, post = reduce_ops(g)
    for guest in g.guests:  # vector lowering: ops up to the last reduce_* run per input tile
        gp, gq = reduce_ops(guest)
        per_tile += gp
        post += gq
    post += finisher_ops(g)
    names = result_buffers([g, *g.guests], g.finishers)  # stored results (lowering/vector.py: Y, Y1, ...)
    operands = {"X": x, "Y": names[0], **{f"Y{i}": n for i, n in enumerate(names) if i}}
    return KernelSpec("vector", {"R": r, "C": c}, dt, params={"reduce_outputs": len(names)} if len(names) > 1 else {},
                      epilogue=(*per_tile, *post), reduce="C", name=gname, operands=operands)


def copy_kernels(g: Group, gname: str) -> list[KernelSpec]:
    """Data movement (gather, concat, pooling, fills, foreach updates): vector kernels over the outputs."""
    node = g.anchor
    name = A.op_name(node.target)
    v = val(node)
    outs = [x for x in (v if isinstance(v, (tuple, list)) else [v]) if isinstance(x, torch.Tensor)]
    if name.startswith("_foreach_"):
        base = name[len("_foreach_"):].rstrip("_")
        ops = A.POINTWISE_COST.get(base, A.DEFAULT_POINTWISE)
        return [KernelSpec("vector", _rc(tuple(o.shape)), DTYPES.get(o.dtype, "fp32"), epilogue=ops,
                           name=f"{gname}.{i}", operands={"Y": f"{node.name}.{i}"})
                for i, o in enumerate(outs) if o.numel()]
    if not outs or outs[0].numel() == 0:
        return []
    o = outs[0]
    if name in A.WINDOW_OPS:
        src = shape_of(node.args[0])
        window = max(numel(src) // max(o.numel(), 1), 1)
        if name in ("sort", "topk", "cumsum"):
            window = src[-1] if src else 1
        return [KernelSpec("vector", {"R": o.numel(), "C": window}, DTYPES.get(o.dtype, "fp32"),
                           epilogue=(A.WINDOW_OPS[name],), reduce="C", name=gname,
                           operands={"X": buffer_name(node.args[0]), "Y": node.name})]
    ops = ("copy",) if name not in A.POINTWISE_COST else A.pointwise_cost(node.target)
    return [KernelSpec("vector", _rc(tuple(o.shape)), DTYPES.get(o.dtype, "fp32"), epilogue=ops, name=gname,
                       operands={"Y": node.name})]


def untimed_record(node: fx.Node) -> dict:
    """untimed_ops entry: op, output shapes, FLOPs (one per output element) and bytes read + written."""
    v = val(node)
    outs = [x for x in (v if isinstance(v, (tuple, list)) else [v]) if isinstance(x, torch.Tensor)]
    ins = [val(a) for a in node.all_input_nodes if isinstance(val(a), torch.Tensor)]
    nbytes = sum(t.numel() * t.element_size() for t in [*ins, *outs])
    return {"op": A.full_name(node.target), "node": node.name, "shapes": [list(t.shape) for t in outs],
            "flops": int(sum(t.numel() for t in outs)), "bytes": int(nbytes)}
