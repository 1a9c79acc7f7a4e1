"""TOG JSON (de)serialization with a format version."""
from __future__ import annotations

import json
from pathlib import Path

from npusim.errors import TogError
from npusim.tog.ops import FORMAT_VERSION, Barrier, Compute, Dim, Dma, Loop, Tensor, Tog, Wait

_TYPES = {"loop": Loop, "dma": Dma, "compute": Compute, "wait": Wait, "barrier": Barrier}
_NAMES = {v: k for k, v in _TYPES.items()}


def _node_dict(node) -> dict:
    d = {"type": _NAMES[type(node)]}
    for f in node.__attrs_attrs__:
        v = getattr(node, f.name)
        if f.name == "dims":
            v = [[x.size, x.stride, x.var, x.bound] + ([x.offset] if x.offset else []) for x in v]
        elif isinstance(v, tuple):
            v = list(v)
        d[f.name] = v
    return d


def to_json(tog: Tog) -> dict:
    """JSON-able dict of `tog` (format `npusim-tog`, version FORMAT_VERSION)."""
    return {"format": "npusim-tog", "version": FORMAT_VERSION, "name": tog.name, "spad_bytes": tog.spad_bytes,
            "meta": tog.meta,
            "tensors": [{"name": t.name, "shape": list(t.shape), "dtype": t.dtype, "alias": t.alias}
                        for t in tog.tensors.values()],
            "root": list(tog.root), "nodes": [_node_dict(n) for n in tog.nodes.values()]}


def from_json(data: dict, source: str = "<json>") -> Tog:
    """Inverse of to_json; raises TogError naming `source` on a bad format or version."""
    if data.get("format") != "npusim-tog":
        raise TogError(f"{source}: not an npusim TOG (format {data.get('format')!r})")
    if data.get("version") != FORMAT_VERSION:
        raise TogError(f"{source}: TOG format version {data.get('version')} unsupported (expected {FORMAT_VERSION})")
    nodes = {}
    for nd in data["nodes"]:
        nd = dict(nd)
        cls = _TYPES.get(nd.pop("type", None))
        if cls is None:
            raise TogError(f"{source}: unknown node type in {nd}")
        if "dims" in nd:
            nd["dims"] = tuple(Dim(*x) for x in nd["dims"])
        try:
            node = cls(**nd)
        except TypeError as exc:
            raise TogError(f"{source}: bad node {nd.get('id')}: {exc}") from None
        nodes[node.id] = node
    tensors = {t["name"]: Tensor(t["name"], tuple(t["shape"]), t["dtype"], t.get("alias", "")) for t in data["tensors"]}
    return Tog(data["name"], tensors, nodes, list(data["root"]), data.get("spad_bytes", 0), data.get("meta", {}))


def save_tog(tog: Tog, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_json(tog)))


def load_tog(path: str | Path) -> Tog:
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise TogError(f"{p}: cannot read TOG: {exc}") from None
    return from_json(data, str(p))
