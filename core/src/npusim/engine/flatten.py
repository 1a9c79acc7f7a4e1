"""Flatten a TOG into the engine's integer tables (node rows, dims, offsets, deps); see engine.hpp NodeField."""
from __future__ import annotations

from npusim.tog.ops import DTYPE_BYTES, VEC_OPS, Barrier, Compute, Dma, Loop, Tog, Wait

NF = ["TYPE", "PARENT", "VAR", "START", "END", "STEP", "LOOPKIND", "FIRST_CHILD", "NEXT_SIBLING", "DIM_BEGIN",
      "DIM_COUNT", "OFF_BEGIN", "OFF_COUNT", "DEP_BEGIN", "DEP_COUNT", "BASE_ADDR", "ELEM_BYTES", "ASYNC", "TAG",
      "OP", "FLAGS", "CYCLES", "OVERLAP"]
F = {name: i for i, name in enumerate(NF)}
NT_LOOP, NT_LOAD, NT_STORE, NT_GEMM, NT_VECTOR, NT_PRELOAD, NT_WAIT, NT_BARRIER = range(8)
LOOP_KIND = {"outer": 0, "accum": 1, "inner": 2}
UNIT_TYPE = {"gemm": NT_GEMM, "vector": NT_VECTOR, "preload": NT_PRELOAD}


def flatten(tog: Tog, base_addr: dict[str, int], cacheable: set[str] | None) -> tuple:
    """(nodes, dims, offs, deps, nvars, root_first) for Engine::add_kernel.

    base_addr: tensor name -> byte address; cacheable: tensor names whose requests may use the L2
    (None = all).
    """
    order = [n for n, _ in tog.walk()]
    index = {n.id: i for i, n in enumerate(order)}
    var_slot: dict[str, int] = {}
    tags: dict[str, int] = {}
    rows = [[-1 if f in ("PARENT", "VAR", "FIRST_CHILD", "NEXT_SIBLING") else 0 for f in NF] for _ in order]
    dims: list[int] = []
    offs: list[int] = []
    deps: list[int] = []

    def link(ids, parent):
        for a, b in zip(ids, list(ids[1:]) + [None], strict=True):
            rows[index[a]][F["NEXT_SIBLING"]] = index[b] if b is not None else -1
            rows[index[a]][F["PARENT"]] = parent

    link(tog.root, -1)
    for node in order:
        r = rows[index[node.id]]
        if isinstance(node, Loop):
            slot = var_slot.setdefault(node.var, len(var_slot))
            r[F["TYPE"]] = NT_LOOP
            r[F["VAR"]], r[F["START"]], r[F["END"]], r[F["STEP"]] = slot, node.start, node.end, node.step
            r[F["LOOPKIND"]] = LOOP_KIND[node.kind]
            r[F["FIRST_CHILD"]] = index[node.body[0]] if node.body else -1
            link(list(node.body), index[node.id])
        elif isinstance(node, (Dma, Compute)):
            r[F["DIM_BEGIN"]], r[F["DIM_COUNT"]] = len(dims) // 4, len(node.dims)
            for d in node.dims:
                # The engine's extent is min(size, row[3] - value(var)): an offset part shifts the bound.
                bound = d.bound - d.offset if d.bound is not None else 0
                dims += [d.size, d.stride, var_slot[d.var] if d.var else -1, bound]
            r[F["DEP_BEGIN"]], r[F["DEP_COUNT"]] = len(deps), len(node.deps)
            deps += [index[x] for x in node.deps]
            if isinstance(node, Dma):
                t = tog.tensors[node.tensor]
                r[F["TYPE"]] = NT_LOAD if node.direction == "load" else NT_STORE
                r[F["OFF_BEGIN"]], r[F["OFF_COUNT"]] = len(offs) // 2, len(node.offset)
                for var, stride in node.offset.items():
                    offs += [var_slot[var], stride]
                r[F["BASE_ADDR"]] = base_addr[node.tensor]
                r[F["ELEM_BYTES"]] = t.elem_bytes
                r[F["ASYNC"]] = int(node.is_async)
                r[F["TAG"]] = tags.setdefault(node.tag, len(tags))
                r[F["FLAGS"]] = int(cacheable is None or (t.alias or t.name) in cacheable)
            else:
                r[F["TYPE"]] = UNIT_TYPE[node.unit]
                r[F["ELEM_BYTES"]] = DTYPE_BYTES[node.dtype]
                r[F["OP"]] = VEC_OPS.index(node.op) if node.op in VEC_OPS else 0
                r[F["CYCLES"]], r[F["OVERLAP"]] = node.cycles, node.overlap
        elif isinstance(node, Wait):
            r[F["TYPE"]] = NT_WAIT
            r[F["TAG"]] = tags.setdefault(node.tag, len(tags))
        elif isinstance(node, Barrier):
            r[F["TYPE"]] = NT_BARRIER
    nodes = [v for r in rows for v in r]
    root_first = index[tog.root[0]] if tog.root else -1
    return nodes, dims, offs, deps, max(len(var_slot), 1), root_first
