"""Reduction fusion: reductions of a GEMM's output in its epilogue, sibling reductions of one input in one kernel.

reduction_epilogue: a reduction (sum/mean/amax/amin/var_mean, with its elementwise prologue) over the
columns (trailing dims = N) or, for a 2-D GEMM, the rows (dim 0 = M) of a GEMM/BMM output runs on each
output tile while it is in the scratchpad; partial results are combined across tiles. The separate
kernel's DRAM read of the GEMM output disappears (the output is still stored: gemm lowering always
stores C, which other consumers need).
reduction_reduction: reductions over the same input and axis become one vector kernel that reads the
input once. A reduction whose prologue reads a sibling's result is fused only for the two patterns
with an exact one-pass form: sum(exp(x - max(x))) (online softmax, Milakov & Gimelshein 2018,
arXiv:1805.02867) and sum((x - mean(x))**2) (Chan et al. pairwise variance update).
"""
from __future__ import annotations

import torch
import torch.fx as fx

from npusim_frontends import aten_ops as A
from npusim_frontends.groups import Group, is_contiguous_reshape, numel, shape_of, val

# Reductions the tiled executor combines across tiles (execute._REDUCERS).
FUSABLE = ("sum", "mean", "amax", "amin", "var_mean")
# Elementwise ops allowed after sub(x, sibling) in a dependent reduction's prologue (see module doc).
ONLINE_OPS = ("exp", "pow", "mul", "square")


def strip_views(node):
    """The tensor a chain of view ops (any) starts from."""
    while isinstance(node, fx.Node) and node.op == "call_function" and A.op_name(node.target) in A.VIEW_OPS:
        node = node.args[0]
    return node


def external_inputs(g: Group) -> list:
    """Tensor values the reduce group reads from outside itself (in first-use order)."""
    members = set(g.nodes)
    ins: list = []
    for n in g.nodes:
        for a in n.all_input_nodes:
            if a not in members and isinstance(val(a), torch.Tensor) and a not in ins:
                ins.append(a)
    return ins


def _axis(g: Group):
    """(base input, reduced dims, R, C) of a fusable reduce group, or None."""
    from npusim_frontends.specs import reduce_dims

    if g.kind != "reduce" or g.host is not None or A.op_name(g.anchor.target) not in FUSABLE:
        return None
    dims, r, c = reduce_dims(g.anchor)
    full = [a for a in external_inputs(g) if numel(shape_of(a)) == r * c]
    if len(full) != 1:
        return None
    return full[0], tuple(dims), r, c


def _online_dependent(g: Group, base, sibling_outs: set) -> bool:
    """g's prologue is sub(base, sibling) followed by exp or a square (module doc), g sums it."""
    if g.prologue is None or A.op_name(g.anchor.target) not in ("sum", "mean"):
        return False
    nodes = g.prologue.nodes
    first = nodes[0]
    if A.op_name(first.target) != "sub" or len(first.args) < 2 or first.args[0] is not base:
        return False
    if strip_views(first.args[1]) not in sibling_outs:
        return False
    prev = first
    for n in nodes[1:]:
        name = A.op_name(n.target)
        if name not in ONLINE_OPS or n.args[0] is not prev:
            return False
        if name == "pow" and n.args[1] != 2:
            return False
        if name == "mul" and (len(n.args) < 2 or n.args[1] is not prev):
            return False
        prev = n
    return True


def _ready(g: Group, base, host_pos: int, pos: dict, sibling_outs: set) -> str:
    """'yes' when every input of g besides `base` exists before the host kernel runs, 'online' when the
    only late input is a sibling reduction's result in an online-fusable pattern, else 'no'."""
    late = [a for a in external_inputs(g) if a is not base and pos.get(a, -1) >= host_pos]
    if not late:
        return "yes"
    if all(strip_views(a) in sibling_outs for a in late) and _online_dependent(g, base, sibling_outs):
        return "online"
    return "no"


def _gemm_axis(h: Group, base, dims: tuple, c: int) -> bool:
    """The reduction runs over the GEMM output's columns (trailing dims, C = N) or a 2-D GEMM's rows."""
    shp = shape_of(base)
    nd = len(shp)
    n = h.cshape[-1]
    if dims == tuple(range(nd - len(dims), nd)) and c == n:
        return True
    return h.kind == "gemm" and shp == tuple(h.cshape) and dims == (0,)


def _gemm_producer(node, owner: dict):
    """The GEMM/BMM group whose output `node` is (possibly through contiguous reshapes), or None."""
    while isinstance(node, fx.Node):
        g = owner.get(node)
        if g is not None and g.kind in ("gemm", "bmm") and g.out is node:
            return g
        if not is_contiguous_reshape(node):
            return None
        node = node.args[0]
    return None


def _host_pos(h: Group, pos: dict) -> int:
    return pos[h.out]


def fuse_reductions(groups: list[Group], owner: dict, pos: dict, passes: set[str]) -> None:
    """Mark reduce groups fused into a GEMM epilogue or a sibling reduction (group.host / host.guests)."""
    order = sorted((g for g in groups if g.kind == "reduce"), key=lambda g: pos[g.out])
    siblings_ok = "reduction_reduction" in passes
    if "reduction_epilogue" in passes:
        for g in order:
            ax = _axis(g)
            if ax is None:
                continue
            base, dims, r, c = ax
            h = _gemm_producer(base, owner)
            if h is None:
                continue
            if numel(shape_of(base)) != numel(h.cshape) or not _gemm_axis(h, base, dims, c):
                continue
            outs = {x.out for x in h.guests if _axis_key(x) == (dims, r, c)} if siblings_ok else set()
            if _ready(g, base, _host_pos(h, pos), pos, outs) == "no":
                continue
            g.host = h
            h.guests.append(g)
    if not siblings_ok:
        return
    hosts: dict = {}  # (base, dims, R, C) -> first reduce group over it
    for g in order:
        ax = _axis(g)
        if ax is None:
            continue
        h = hosts.get(ax)
        if h is None:
            hosts[ax] = g
            continue
        outs = {h.out, *(x.out for x in h.guests)}
        if _ready(g, ax[0], _host_pos(h, pos), pos, outs) == "no":
            continue
        g.host = h
        h.guests.append(g)


def _axis_key(g: Group):
    from npusim_frontends.specs import reduce_dims

    dims, r, c = reduce_dims(g.anchor)
    return tuple(dims), r, c
