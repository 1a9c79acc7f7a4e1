"""TOG validation: acyclic deps, known tensors/vars, consistent shapes, waits match DMAs, spad fit."""
from __future__ import annotations

from npusim.errors import TogError
from npusim.tog.ops import LOOP_KINDS, UNITS, VEC_OPS, Barrier, Compute, Dma, Loop, Tog, Wait


def footprint_bytes(tog: Tog) -> int:
    """Scratchpad bytes of one instance of every load/store tile (what one iteration keeps live)."""
    total = 0
    for node, _ in tog.walk():
        if isinstance(node, Dma):
            total += node.tile_elems() * tog.tensors[node.tensor].elem_bytes
    return total


def validate(tog: Tog) -> None:
    """Raise TogError (one line, naming the node) if `tog` is malformed."""
    seen: set[int] = set()
    order: dict[int, int] = {}
    async_tags: set[str] = set()
    for pos, (node, loops) in enumerate(tog.walk()):
        if node is None:
            raise TogError(f"{tog.name}: unclosed loop")
        if node.id in seen:
            raise TogError(f"{tog.name}: node {node.id} appears twice in the graph")
        seen.add(node.id)
        order[node.id] = pos
        scope = {lp.var: lp for lp in loops}
        where = f"{tog.name}: node {node.id} ({type(node).__name__})"
        if isinstance(node, Loop):
            if node.kind not in LOOP_KINDS:
                raise TogError(f"{where}: loop kind {node.kind!r} not one of {LOOP_KINDS}")
            if node.step <= 0:
                raise TogError(f"{where}: loop step must be > 0, got {node.step}")
            if node.var in scope:
                raise TogError(f"{where}: loop variable {node.var!r} shadows an enclosing loop")
            if node.kind == "outer" and any(lp.kind != "outer" for lp in loops):
                raise TogError(f"{where}: an outer (parallel) loop must not be nested in a non-outer loop")
            continue
        if isinstance(node, (Dma, Compute)):
            for dep in node.deps:
                if dep not in order:
                    raise TogError(f"{where}: dependency {dep} does not come earlier in program order")
            for d in node.dims:
                if d.size <= 0:
                    raise TogError(f"{where}: tile dim size must be > 0, got {d.size}")
                if d.offset < 0 or (d.offset and (isinstance(node, Dma) or d.var is None)):
                    raise TogError(f"{where}: dim offset {d.offset} invalid (only a compute dim bound to a loop "
                                   "variable may start offset >= 0 past it; DMA positions come from the node offset)")
                if d.var is not None:
                    if d.var not in scope:
                        raise TogError(f"{where}: dim variable {d.var!r} is not an enclosing loop variable")
                    if d.bound is None:
                        raise TogError(f"{where}: dim bound to {d.var!r} needs a bound")
                    lp = scope[d.var]
                    if lp.end > d.bound:
                        raise TogError(f"{where}: loop {d.var!r} runs to {lp.end} beyond the dim bound {d.bound}")
        if isinstance(node, Dma):
            if node.direction not in ("load", "store"):
                raise TogError(f"{where}: direction must be 'load' or 'store', got {node.direction!r}")
            if node.tensor not in tog.tensors:
                raise TogError(f"{where}: unknown tensor {node.tensor!r}")
            tensor = tog.tensors[node.tensor]
            for var in node.offset:
                if var not in scope:
                    raise TogError(f"{where}: offset variable {var!r} is not an enclosing loop variable")
            # The farthest element the tile can touch must lie inside the tensor.
            last = sum(
                (min(d.bound - 1, lp_end(scope, d.var) + d.size - 1) if d.var else d.size - 1) * d.stride
                for d in node.dims) + sum(lp_end(scope, v) * s for v, s in node.offset.items())
            nelem = tensor.nbytes // tensor.elem_bytes
            if last >= nelem:
                raise TogError(f"{where}: tile reaches element {last} of tensor {node.tensor!r} "
                               f"which has {nelem} elements")
            if node.is_async:
                async_tags.add(node.tag)
        if isinstance(node, Compute):
            if node.unit not in UNITS:
                raise TogError(f"{where}: unit {node.unit!r} not one of {UNITS}")
            if node.unit == "gemm" and len(node.dims) != 3:
                raise TogError(f"{where}: gemm needs dims (m, n, k), got {len(node.dims)} dims")
            if node.unit == "vector" and node.op not in VEC_OPS:
                raise TogError(f"{where}: vector op {node.op!r} not one of {', '.join(VEC_OPS)}")
        if isinstance(node, Wait) and node.tag not in async_tags:
            raise TogError(f"{where}: wait on tag {node.tag!r} with no earlier async DMA carrying that tag")
        if not isinstance(node, (Dma, Compute, Wait, Barrier)):
            raise TogError(f"{where}: unknown node type")
    missing = set(tog.nodes) - seen
    if missing:
        raise TogError(f"{tog.name}: nodes {sorted(missing)[:5]} are not reachable from the root")
    if tog.spad_bytes:
        need = footprint_bytes(tog)
        if need > tog.spad_bytes:
            raise TogError(f"{tog.name}: tiles need {need} B of scratchpad, more than the declared "
                           f"{tog.spad_bytes} B")


def lp_end(scope: dict, var: str) -> int:
    """Largest value loop `var` takes."""
    lp = scope[var]
    return lp.start + (lp.trips - 1) * lp.step if lp.trips else lp.start
