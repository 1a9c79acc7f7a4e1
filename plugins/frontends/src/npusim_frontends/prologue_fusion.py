"""GEMM/BMM prologue fusion: an elementwise chain that only feeds a GEMM/BMM operand runs on each loaded tile.

The chain (scale, cast, activation, dequant, ...) is applied to the A or B tile in the scratchpad right
after its DMA, before the matmul, so its output is never written to DRAM and read back; the GEMM
reads the chain's input instead. Between the chain and the GEMM only contiguous reshapes, expands that
keep the shape (matmul's broadcast of an operand that needs none), reshapes of a BMM operand's batch
dims, and one transpose of the last two dims (t / transpose / permute, as in linear's weight or
attention's K^T) are allowed. The operand work repeats
on every reload of its tile (A once per N tile unless resident), so with a `judge` (the Session's:
simulate both variants on the machine) a prologue is kept only when the fused GEMM is not slower than
the elementwise kernel plus the plain GEMM.
"""
from __future__ import annotations

import torch.fx as fx

from npusim_frontends import aten_ops as A
from npusim_frontends.groups import Group, OperandPrologue, is_contiguous_reshape, numel, shape_of, val

TRANSPOSES = ("t", "transpose", "permute")


def _is_transpose(node: fx.Node) -> bool:
    """A swap of the last two dims (every other dim in place)."""
    name = A.op_name(node.target)
    nd = len(shape_of(node.args[0]))
    if name not in TRANSPOSES or nd < 2 or (name == "t" and nd != 2):
        return False
    if name == "permute":
        return [d % nd for d in node.args[1]] == [*range(nd - 2), nd - 1, nd - 2]
    if name == "transpose":
        return {d % nd for d in node.args[1:3]} == {nd - 2, nd - 1}
    return True


def _is_noop_expand(node: fx.Node) -> bool:
    return A.op_name(node.target) == "expand" and shape_of(node) == shape_of(node.args[0])


def _is_batch_reshape(node: fx.Node) -> bool:
    """A view regrouping only the dims before the last two (valid on a last-two-transposed tensor too)."""
    if A.op_name(node.target) not in ("view", "_unsafe_view", "reshape"):
        return False
    src, dst = shape_of(node.args[0]), shape_of(node)
    return len(src) >= 2 and len(dst) >= 2 and src[-2:] == dst[-2:]


def _is_operand_view(node: fx.Node) -> bool:
    return is_contiguous_reshape(node) or _is_transpose(node) or _is_noop_expand(node) or _is_batch_reshape(node)


def _trace_operand(operand: fx.Node, owner: dict):
    """(producer, views, transposed): walk from a GEMM operand back through single-use views to the
    output of an elementwise group."""
    views, transposed = [], False
    node = operand
    while node.op == "call_function" and _is_operand_view(node):
        g = owner.get(node)
        if g is not None and g.kind == "pointwise" and g.out is node:
            break
        if len(node.users) != 1:
            return None
        if _is_transpose(node):
            if transposed:
                return None
            transposed = True
        views.append(node)
        node = node.args[0]
    return node, views, transposed


def _full_inputs(p: Group) -> int:
    """Tensors of the operand's full size the elementwise group reads from outside itself: the GEMM loads one
    (the chain's source, specs.prologue_source) per tile, so a chain reading two (x * y) stays a kernel."""
    members = set(p.nodes)
    size = numel(p.cshape)
    ins = {a for n in p.nodes for a in n.all_input_nodes if a not in members}
    return sum(1 for a in ins if getattr(val(a), "shape", None) is not None and numel(shape_of(a)) == size)


def _worth_it(h: Group, role: str, pro: OperandPrologue, judge) -> bool:
    """judge(fused kernels, unfused kernels) on this GEMM with and without the prologue."""
    if judge is None:
        return True
    from npusim_frontends.specs import group_kernels

    unfused = [*group_kernels(pro.group, "judge.prologue"), *group_kernels(h, "judge.gemm")]
    h.operand_prologues[role] = pro
    fused = group_kernels(h, "judge.gemm")
    del h.operand_prologues[role]
    return judge(fused, unfused)


def fuse_gemm_prologues(groups: list[Group], owner: dict, judge=None) -> list[Group]:
    """Attach single-use elementwise producers of GEMM/BMM operands to the GEMM group; drop them as kernels."""
    absorbed: set[int] = set()
    for h in groups:
        if h.kind not in ("gemm", "bmm"):
            continue
        name = A.op_name(h.anchor.target)
        a, b = (h.anchor.args[1], h.anchor.args[2]) if name in ("addmm", "baddbmm") else h.anchor.args[:2]
        for role, operand in (("A", a), ("B", b)):
            if not isinstance(operand, fx.Node):
                continue
            traced = _trace_operand(operand, owner)
            if traced is None:
                continue
            src, views, transposed = traced
            p = owner.get(src)
            if p is None or p.kind != "pointwise" or p.out is not src or len(src.users) != 1 or id(p) in absorbed:
                continue
            *batch, rows, cols = shape_of(operand)
            nb = batch[0] if batch else 1  # the producer's (R, C) space holds the batches' matrices in turn
            if tuple(p.cshape) != ((nb * cols, rows) if transposed else (nb * rows, cols)):
                continue
            t = next((v for v in views if _is_transpose(v)), None)
            if t is not None and shape_of(t.args[0])[-2:] != (cols, rows):
                continue  # the transpose must swap exactly the operand's (rows, cols)
            if any(owner.get(v) is None or owner[v].kind != "view" for v in views) or _full_inputs(p) > 1:
                continue
            pro = OperandPrologue(p, views, transposed)
            if not _worth_it(h, role, pro, judge):
                continue
            h.operand_prologues[role] = pro
            absorbed.add(id(p))
            absorbed.update(id(owner[v]) for v in views)
    return [g for g in groups if id(g) not in absorbed]
