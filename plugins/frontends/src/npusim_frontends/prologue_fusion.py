"""GEMM prologue fusion: an elementwise chain that only feeds a GEMM operand runs on each loaded tile.

The chain (scale, cast, activation, dequant, ...) is applied to the A or B tile in the scratchpad right
after its DMA, before the matmul, so its output is never written to DRAM and read back; the GEMM
reads the chain's input instead. Between the chain and the GEMM only contiguous reshapes and one 2-D
transpose (t / transpose / permute [1, 0], as in linear's weight) are allowed. The operand work repeats
on every reload of its tile (A once per N tile unless resident), so with a `judge` (the Session's:
simulate both variants on the machine) a prologue is kept only when the fused GEMM is not slower than
the elementwise kernel plus the plain GEMM.
"""
from __future__ import annotations

import torch.fx as fx

from npusim_frontends import aten_ops as A
from npusim_frontends.groups import Group, OperandPrologue, is_contiguous_reshape, shape_of

TRANSPOSES = ("t", "transpose", "permute")


def _is_2d_transpose(node: fx.Node) -> bool:
    name = A.op_name(node.target)
    if name not in TRANSPOSES or len(shape_of(node.args[0])) != 2:
        return False
    if name == "permute":
        return [d % 2 for d in node.args[1]] == [1, 0]
    if name == "transpose":
        return {d % 2 for d in node.args[1:3]} == {0, 1}
    return True


def _trace_operand(operand: fx.Node, owner: dict):
    """(producer, views, transposed): walk from a GEMM operand back through single-use views to the
    output of an elementwise group."""
    views, transposed = [], False
    node = operand
    while node.op == "call_function" and (is_contiguous_reshape(node) or _is_2d_transpose(node)):
        g = owner.get(node)
        if g is not None and g.kind == "pointwise" and g.out is node:
            break
        if len(node.users) != 1:
            return None
        if _is_2d_transpose(node):
            if transposed:
                return None
            transposed = True
        views.append(node)
        node = node.args[0]
    return node, views, transposed


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
    """Attach single-use elementwise producers of 2-D GEMM operands to the GEMM group; drop them as kernels."""
    absorbed: set[int] = set()
    for h in groups:
        if h.kind != "gemm":
            continue
        name = A.op_name(h.anchor.target)
        a, b = (h.anchor.args[1], h.anchor.args[2]) if name == "addmm" else h.anchor.args[:2]
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
            rows, cols = shape_of(operand)
            if tuple(p.cshape) != ((cols, rows) if transposed else (rows, cols)):
                continue
            if any(owner.get(v) is None or owner[v].kind != "view" for v in views):
                continue
            pro = OperandPrologue(p, views, transposed)
            if not _worth_it(h, role, pro, judge):
                continue
            h.operand_prologues[role] = pro
            absorbed.add(id(p))
            absorbed.update(id(owner[v]) for v in views)
    return [g for g in groups if id(g) not in absorbed]
