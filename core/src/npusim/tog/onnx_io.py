"""PyTorchSim TOG interop: read/write `tile_graph.onnx` (op types loop_index_node, loop_end_node, load_node,
store_node, memory_wait_node, compute_node with `torchsim_*` attributes).

Format facts (PyTorchSim AsmParser/onnx_utility.py): nodes appear in program order; a loop is the nodes
between loop_index_node and loop_end_node with the same `torchsim_loop_idx`; memory nodes address
`torchsim_base_addr + sum(loop value * torchsim_loop_stride_list)` elements and move a tile of
`torchsim_tile_size` with `torchsim_tile_stride`; data edges are inputs/outputs named `<node>_output`;
compute nodes carry their latency (`torchsim_cycle`, `torchsim_overlapping_cycle`) and
`torchsim_compute_type` (0: systolic array, otherwise vector unit). PyTorchSim pads tiles, so imported
dims have no edge bounds. Attributes `npusim_*` are ours and make our own exports round-trip exactly.
"""
from __future__ import annotations

from pathlib import Path

from npusim.errors import TogError
from npusim.tog.ops import DTYPE_BYTES, Barrier, Compute, Dim, Dma, Loop, Tensor, Tog, Wait

_ELEM_DTYPE = {4: "fp32", 2: "fp16", 1: "int8", 8: "fp64"}


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _loop_kind(v) -> str:
    v = str(_s(v) or "").lower()
    if "outer" in v or "parallel" in v:
        return "outer"
    if "acc" in v or "reduc" in v:
        return "accum"
    return "inner"


def load_onnx_tog(path: str | Path) -> Tog:
    """Read a PyTorchSim (or npusim-exported) tile_graph.onnx into a Tog."""
    import onnx

    p = Path(path)
    try:
        model = onnx.load(str(p))
    except Exception as exc:  # noqa: BLE001 - onnx raises several types for a bad file
        raise TogError(f"{p}: not a readable ONNX tile graph ({exc})") from None
    nodes: dict = {}
    root: list[int] = []
    stack: list[tuple[str, list[int], dict]] = []
    producer: dict[str, int] = {}
    tensors: dict[str, Tensor] = {}
    extent: dict[str, int] = {}
    loop_max: dict[str, int] = {}
    pending_dma = []
    nid = 0

    def body():
        return stack[-1][1] if stack else root

    for nd in model.graph.node:
        a = _attrs(nd)
        op = nd.op_type
        deps = tuple(producer[i] for i in nd.input if i in producer)
        if op == "loop_index_node":
            var = str(_s(a.get("torchsim_loop_idx", f"l{nid}")))
            start, end, step = (int(a.get(f"torchsim_{k}", d)) for k, d in (("start", 0), ("end", 1), ("stride", 1)))
            kind = str(_s(a.get("npusim_kind", ""))) or _loop_kind(a.get("torchsim_loop_type", ""))
            loop_max[var] = start + max(0, (end - start - 1) // step) * step
            stack.append((var, [], {"id": nid, "start": start, "end": end, "step": step, "kind": kind}))
            nid += 1
            continue
        if op == "loop_end_node":
            if not stack:
                raise TogError(f"{p}: loop_end_node {nd.name!r} without an open loop")
            var, kids, info = stack.pop()
            loop = Loop(info["id"], var, info["start"], info["end"], info["step"], info["kind"], tuple(kids))
            nodes[loop.id] = loop
            body().append(loop.id)
            continue
        if op in ("load_node", "store_node"):
            elem = int(a.get("torchsim_element_size", 4))
            base = int(a.get("torchsim_base_addr", 0))
            sizes = list(a.get("torchsim_tile_size", [1]))
            strides = list(a.get("torchsim_tile_stride", [1] * len(sizes)))
            dvars = [str(_s(v)) or None for v in a.get("npusim_dim_vars", [])] or [None] * len(sizes)
            bounds = list(a.get("npusim_dim_bounds", [])) or [0] * len(sizes)
            dims = tuple(Dim(int(s), int(st), v, int(b) if v else None)
                         for s, st, v, b in zip(sizes, strides, dvars, bounds))
            bound_vars = {v for v in dvars if v}  # npusim exports list dim variables in the loop lists too
            off = {str(_s(v)): int(s) for v, s in zip(a.get("torchsim_loop_idx_list", []),
                                                      a.get("torchsim_loop_stride_list", []))
                   if str(_s(v)) not in bound_vars}
            tname = str(_s(a.get("npusim_tensor", ""))) or f"t{base:x}"
            tag = str(_s(a.get("npusim_tag", ""))) or f"buf{base:x}"
            node = Dma(nid, "load" if op == "load_node" else "store", tname, dims, off,
                       bool(a.get("torchsim_is_async", 1)), tag, deps)
            tensors.setdefault(tname, Tensor(tname, (1,), _ELEM_DTYPE.get(elem, "fp32"), f"@{base}"))
            pending_dma.append(node)
        elif op == "memory_wait_node":
            tag = str(_s(a.get("npusim_tag", ""))) or f"buf{int(a.get('torchsim_base_addr', 0)):x}"
            node = Wait(nid, tag)
        elif op == "compute_node":
            unit = str(_s(a.get("npusim_unit", ""))) or ("gemm" if int(a.get("torchsim_compute_type", 0)) == 0
                                                          else "vector")
            dims = tuple(Dim(int(s), 0, str(_s(v)) or None, int(b) if _s(v) else None)
                         for s, v, b in zip(a.get("npusim_dims", [1, 1, 1] if unit == "gemm" else [1]),
                                            a.get("npusim_dim_vars", [""] * 3), a.get("npusim_dim_bounds", [0] * 3)))
            node = Compute(nid, unit, dims, str(_s(a.get("npusim_op", "fma" if unit == "gemm" else "add"))),
                           str(_s(a.get("npusim_dtype", "fp32"))), deps, nd.name, int(a.get("torchsim_cycle", 0)),
                           int(a.get("torchsim_overlapping_cycle", 0)))
        elif op == "barrier_node":
            node = Barrier(nid)
        else:
            raise TogError(f"{p}: unsupported tile-graph node type {op!r} (node {nd.name!r})")
        nodes[nid] = node
        body().append(nid)
        for out in nd.output:
            producer[out] = nid
        nid += 1
    if stack:
        raise TogError(f"{p}: loop {stack[-1][0]!r} has no loop_end_node")
    # Tensor extents: the farthest element any DMA tile can reach.
    for d in pending_dma:
        far = sum((s.size - 1) * s.stride for s in d.dims) + sum(loop_max.get(v, 0) * st for v, st in d.offset.items())
        far += sum(loop_max.get(s.var, 0) * s.stride for s in d.dims if s.var)
        extent[d.tensor] = max(extent.get(d.tensor, 1), far + 1)
    tensors = {n: Tensor(n, (extent.get(n, 1),), t.dtype, t.alias) for n, t in tensors.items()}
    meta = {prop.key: prop.value for prop in model.metadata_props}
    return Tog(model.graph.name or p.stem, tensors, nodes, root, 0, {"source": str(p), **meta})


def save_onnx_tog(tog: Tog, path: str | Path, base_addr: dict[str, int] | None = None,
                  systolic_size: int = 128) -> None:
    """Write `tog` as a PyTorchSim-style tile_graph.onnx (plus npusim_* attributes for exact round trips)."""
    import onnx

    if base_addr is None:
        base_addr, nxt = {}, 0
        for name, t in tog.tensors.items():
            base_addr[name] = nxt
            nxt += -(-t.nbytes // 4096) * 4096
    out = []

    def make(op, inputs, outputs, **attrs):
        # onnx cannot infer the type of an empty list: declare those explicitly (INTS)
        empty = {k for k, v in attrs.items() if isinstance(v, list) and not v}
        node = onnx.helper.make_node(op, inputs, outputs, **{k: v for k, v in attrs.items() if k not in empty})
        for k in sorted(empty):
            node.attribute.append(onnx.helper.make_attribute(k, [], attr_type=onnx.AttributeProto.INTS))
        return node

    def name(n):
        return f"{type(n).__name__.lower()}{n.id}"

    def emit(ids):
        for i in ids:
            n = tog.nodes[i]
            inputs = [f"{name(tog.nodes[d])}_output" for d in getattr(n, "deps", ())]
            outputs = [f"{name(n)}_output"]
            if isinstance(n, Loop):
                out.append(make("loop_index_node", [], [], name=name(n), torchsim_loop_idx=n.var,
                                                 torchsim_start=n.start, torchsim_end=n.end, torchsim_stride=n.step,
                                                 torchsim_loop_type=f"{n.kind}_loop", npusim_kind=n.kind))
                emit(n.body)
                out.append(make("loop_end_node", [], [], name=f"{name(n)}_end", torchsim_loop_idx=n.var))
            elif isinstance(n, Dma):
                t = tog.tensors[n.tensor]
                base = int(t.alias[1:]) if t.alias.startswith("@") else base_addr[n.tensor]
                out.append(make(
                    "load_node" if n.direction == "load" else "store_node", inputs, outputs, name=name(n),
                    torchsim_base_addr=base, torchsim_tile_size=[d.size for d in n.dims],
                    torchsim_tile_stride=[d.stride for d in n.dims], torchsim_element_size=DTYPE_BYTES[t.dtype],
                    torchsim_tag_idx_list=[], torchsim_tag_stride_list=[],
                    torchsim_loop_idx_list=[*[d.var for d in n.dims if d.var], *n.offset],
                    torchsim_loop_stride_list=[*[d.stride for d in n.dims if d.var], *n.offset.values()],
                    torchsim_is_async=int(n.is_async), torchsim_indirect_mode=0, npusim_tensor=n.tensor,
                    npusim_tag=n.tag, npusim_dim_vars=[d.var or "" for d in n.dims],
                    npusim_dim_bounds=[d.bound or 0 for d in n.dims]))
            elif isinstance(n, Wait):
                out.append(make("memory_wait_node", [], outputs, name=name(n), torchsim_tag_idx_list=[],
                                                 torchsim_tag_stride_list=[], torchsim_tag_divider_list=[],
                                                 torchsim_base_addr=0, npusim_tag=n.tag))
            elif isinstance(n, Compute):
                out.append(make(
                    "compute_node", inputs, outputs, name=name(n), torchsim_cycle=n.cycles,
                    torchsim_overlapping_cycle=n.overlap, torchsim_compute_type=0 if n.unit == "gemm" else 1,
                    npusim_unit=n.unit, npusim_op=n.op, npusim_dtype=n.dtype, npusim_dims=[d.size for d in n.dims],
                    npusim_dim_vars=[d.var or "" for d in n.dims], npusim_dim_bounds=[d.bound or 0 for d in n.dims]))
            elif isinstance(n, Barrier):
                out.append(make("barrier_node", [], outputs, name=name(n)))

    emit(tog.root)
    graph = onnx.helper.make_graph(out, tog.name, [], [])
    model = onnx.helper.make_model(graph, producer_name="npusim")
    model.opset_import[0].version = 13
    prop = model.metadata_props.add()
    prop.key, prop.value = "systolic_size", str(systolic_size)
    onnx.save(model, str(path))
