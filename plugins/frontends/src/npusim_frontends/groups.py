"""Fusion: partition an ATen FX graph into kernel groups (GEMM/conv + epilogue, elementwise chains, reductions)."""
from __future__ import annotations

import math

import attrs
import torch
import torch.fx as fx

from npusim_frontends import aten_ops as A

# reduction_epilogue, reduction_reduction and prologue are PyTorchSim's codegen_compiler_optimization
# names (PyTorchSimFrontend/extension_config.py); its "fusion" is our four epilogue/chain passes.
FUSION_PASSES = ("gemm_epilogue", "conv_epilogue", "elementwise_chain", "reduction_prologue",
                 "reduction_epilogue", "reduction_reduction", "prologue")
PASS_ALIASES = {"fusion": ("gemm_epilogue", "conv_epilogue", "elementwise_chain", "reduction_prologue")}
# PyTorchSim's other codegen_compiler_optimization names select lowering variants, not fusion: they are
# valid here (PyTorchSim configs load unchanged). multi_tile_conv switches the conv lowering's few-channel
# variant (lowering/conv.py); single_batch_conv needs no variant here because a conv GEMM's M is the tile's
# output pixels, not the batch; subtile is always on (K / sub-tile streaming in the GEMM lowering).
LOWERING_OPTIONS = ("single_batch_conv", "multi_tile_conv", "subtile")


def fusion_passes(setting) -> set[str]:
    """Enabled fusion passes from PyTorchSim's codegen_compiler_optimization: 'all', 'none' or a list."""
    if setting in (None, "all", True):
        return set(FUSION_PASSES)
    if setting in ("none", False, ""):
        return set()
    names = [setting] if isinstance(setting, str) else list(setting)
    valid = (*FUSION_PASSES, *PASS_ALIASES, *LOWERING_OPTIONS)
    bad = [n for n in names if n not in valid]
    if bad:
        from npusim.errors import ConfigError

        raise ConfigError(f"sim.compiler_optimization: unknown fusion pass {bad[0]!r} "
                          f"(valid: 'all', 'none' or a list of {', '.join(valid)})")
    return {p for n in names for p in PASS_ALIASES.get(n, (n,))}


@attrs.define(eq=False)
class Group:
    """A set of FX nodes executed and timed together.

    kind: gemm | bmm | grouped_mm | conv | pointwise | reduce | copy | view | untimed.
    anchor: the main node (matmul, conv, reduction, first elementwise op); chain: fused nodes after it
    (elementwise ops and contiguous reshapes) in order; out: the node whose value leaves the group.
    cshape: canonical tile space (gemm (M,N), bmm (B,M,N), conv (N,O,OH,OW), pointwise (R,C)).
    """

    kind: str
    anchor: fx.Node
    chain: list = attrs.field(factory=list)
    cshape: tuple = ()
    prologue: Group | None = None  # reduce groups: elementwise chain producing the reduced input
    # gemm groups: role ("A" | "B") -> OperandPrologue, the elementwise chain applied to loaded operand tiles
    operand_prologues: dict = attrs.field(factory=dict)
    host: Group | None = None  # reduce groups fused into another group's kernel (GEMM epilogue or sibling)
    guests: list = attrs.field(factory=list)  # reduce groups whose work this group's kernel carries
    # pointwise groups on this kernel's per-row reduction results, run with its finishing ops (reduction_fusion)
    finishers: list = attrs.field(factory=list)

    @property
    def out(self) -> fx.Node:
        return self.chain[-1] if self.chain else self.anchor

    @property
    def nodes(self) -> list:
        pro = [n for p in self.operand_prologues.values() for n in (*p.group.nodes, *p.views)]
        return [*pro, *(self.prologue.nodes if self.prologue else ()), self.anchor, *self.chain]


@attrs.define(eq=False)
class OperandPrologue:
    """Elementwise group computing a GEMM operand, run on each loaded tile (`views`: reshapes/transpose
    between it and the GEMM; `transposed`: the group's (R, C) space is the operand's (cols, rows))."""

    group: Group
    views: list
    transposed: bool


def val(node):
    """The FakeTensor (or tuple/scalar) recorded for `node` during tracing."""
    return node.meta.get("val") if isinstance(node, fx.Node) else None


def shape_of(node) -> tuple:
    v = val(node)
    return tuple(int(s) for s in v.shape) if isinstance(v, torch.Tensor) else ()


def numel(shape) -> int:
    return math.prod(shape) if shape else 1


def is_contiguous_reshape(node: fx.Node) -> bool:
    """A view that only regroups dimensions of a contiguous tensor (element order unchanged)."""
    if A.op_name(node.target) not in ("view", "_unsafe_view", "reshape", "_reshape_alias", "unsqueeze", "squeeze"):
        return False
    src = node.args[0]
    v = val(src)
    return isinstance(v, torch.Tensor) and v.is_contiguous()


def classify(node: fx.Node) -> str:
    """Group kind a node starts: gemm/bmm/conv/pointwise/reduce/copy/view/untimed."""
    name = A.op_name(node.target)
    if name == "getitem" or name in A.VIEW_OPS:
        return "view"
    if name in ("mm", "addmm", "_int_mm"):  # _int_mm: int8 x int8 -> int32 accumulation
        return "gemm"
    if name in ("bmm", "baddbmm"):
        return "bmm"
    if name in A.GROUPED_MM_OPS and len(shape_of(node.args[0])) == 2 and len(shape_of(node.args[1])) == 3:
        return "grouped_mm"
    if name == "convolution":
        return "conv"
    if name in A.REDUCTIONS:
        return "reduce"
    if name in A.COPY_OPS or name.startswith("_foreach_"):
        return "copy"
    if A.is_pointwise(node.target):
        v = val(node)
        return "pointwise" if isinstance(v, torch.Tensor) else "copy"
    return "untimed"


def _tensor_inputs(node: fx.Node) -> list:
    return [a for a in node.all_input_nodes if isinstance(val(a), torch.Tensor)]


def partition(gm: fx.GraphModule, passes: set[str], judge=None) -> list[Group]:
    """Groups in execution order (a group runs at the position of its last node).

    judge(fused_kernels, unfused_kernels) -> bool, when given, vets fusions whose benefit depends on
    the machine (GEMM prologues: the operand work repeats on every reload of its tile; reduction
    epilogues: the reduced output dimension becomes a sequential loop)."""
    groups: list[Group] = []
    owner: dict[fx.Node, Group] = {}
    for node in gm.graph.nodes:
        if node.op != "call_function":
            continue
        kind = classify(node)
        fused = _try_fuse(node, kind, owner, passes)
        if fused is not None:
            fused.chain.append(node)
            owner[node] = fused
            continue
        g = Group(kind, node, cshape=_cshape(node, kind))
        groups.append(g)
        owner[node] = g
    groups = _split_escaping(groups, owner, passes)
    if "reduction_prologue" in passes:
        groups = _fuse_reduction_prologues(groups, owner)
    pos = {n: i for i, n in enumerate(gm.graph.nodes)}
    if "prologue" in passes:
        from npusim_frontends.prologue_fusion import fuse_gemm_prologues

        groups = fuse_gemm_prologues(groups, owner, judge)
    if "reduction_epilogue" in passes or "reduction_reduction" in passes:
        from npusim_frontends.reduction_fusion import fuse_reductions

        groups = fuse_reductions(groups, owner, pos, passes, judge)
    # Groups run at their last node; order them by that position.
    groups.sort(key=lambda g: pos[g.out])
    return groups


def _split_escaping(groups: list[Group], owner: dict, passes: set[str]) -> list[Group]:
    """Cut each chain after the first member whose value is needed outside the group (it becomes the
    group's output); the nodes after the cut become groups of their own. Repeats until no value escapes."""
    out = []
    work = list(groups)
    while work:
        g = work.pop(0)
        members = [g.anchor, *g.chain]
        inside = set(members)
        cut = next((i for i, m in enumerate(members[:-1]) if any(u not in inside for u in m.users)), None)
        if cut is None:
            out.append(g)
            continue
        g.chain = members[1:cut + 1]
        rest = members[cut + 1:]
        for n in rest:
            del owner[n]
        fresh: list[Group] = []
        for n in rest:  # the cut-off nodes fuse among themselves again
            kind = classify(n)
            ng = _try_fuse(n, kind, owner, passes, allowed=fresh)
            if ng is not None:
                ng.chain.append(n)
            else:
                ng = Group(kind, n, cshape=_cshape(n, kind))
                fresh.append(ng)
            owner[n] = ng
        work[:0] = [g, *fresh]  # re-check the shortened group and the new ones
    return out


def _fuse_reduction_prologues(groups: list[Group], owner: dict) -> list[Group]:
    """A reduction over the trailing dims absorbs the elementwise chain that only feeds it (x.pow(2).mean(-1))."""
    from npusim_frontends.specs import reduce_dims

    absorbed = set()
    for g in groups:
        if g.kind != "reduce" or A.op_name(g.anchor.target) not in ("sum", "mean", "amax", "amin", "var_mean"):
            continue  # reductions the tiled executor computes from input tiles
        src = g.anchor.args[0]
        p = owner.get(src)
        if p is None or p.kind != "pointwise" or p.out is not src or len(src.users) != 1:
            continue
        dims, r, c = reduce_dims(g.anchor)
        nd = len(shape_of(src))
        if dims != list(range(nd - len(dims), nd)):
            continue  # only trailing-dim reductions read the chain's row-major tiles directly
        p.cshape = (r, c)
        g.prologue = p
        absorbed.add(id(p))
    return [g for g in groups if id(g) not in absorbed]


def _cshape(node: fx.Node, kind: str) -> tuple:
    shp = shape_of(node)
    if kind == "pointwise":
        c = shp[-1] if shp else 1
        return (numel(shp) // max(c, 1), c)
    return shp


def _try_fuse(node, kind, owner, passes, allowed=None):
    """Group that `node` joins as an epilogue (one of `allowed` when given), or None."""
    if kind not in ("pointwise", "view"):
        return None
    if kind == "view" and not is_contiguous_reshape(node):
        return None
    for src in _tensor_inputs(node):
        g = owner.get(src)
        if g is None or (kind == "view" and (g.out is not src or len(src.users) != 1)):
            continue
        if g.kind not in ("gemm", "bmm", "conv", "pointwise") or (allowed is not None and g not in allowed):
            continue
        if g.kind in ("gemm", "bmm"):
            ok = "gemm_epilogue" in passes
        elif g.kind == "conv":
            ok = "conv_epilogue" in passes and kind == "pointwise"
        elif g.kind == "pointwise":
            ok = "elementwise_chain" in passes
        else:
            ok = False
        if not ok:
            continue
        if numel(shape_of(node)) != numel(g.cshape):
            continue  # the op broadcasts the chain value: not a per-element epilogue
        if val(node).dtype != val(src).dtype and kind == "view":
            continue
        if sum(1 for a in node.all_input_nodes if a is src) != 1 and kind == "view":
            continue
        return g
    return None
