"""Builder API: construct a TOG in program order with `with b.loop(...)` blocks."""
from __future__ import annotations

import contextlib

from npusim.tog.ops import Barrier, Compute, Dim, Dma, Loop, Tensor, Tog, Wait


class TogBuilder:
    """Append nodes in program order; loops nest with `with builder.loop(var, end) as var:`."""

    def __init__(self, name: str, spad_bytes: int = 0):
        self.name = name
        self.spad_bytes = spad_bytes
        self.tensors: dict[str, Tensor] = {}
        self.nodes: dict = {}
        self.root: list[int] = []
        self._stack: list[list[int]] = [self.root]
        self.meta: dict = {}

    def tensor(self, name: str, shape, dtype: str = "fp32", alias: str = "") -> str:
        self.tensors[name] = Tensor(name, tuple(shape), dtype, alias)
        return name

    def _add(self, node) -> int:
        self.nodes[node.id] = node
        self._stack[-1].append(node.id)
        return node.id

    @contextlib.contextmanager
    def loop(self, var: str, end: int, start: int = 0, step: int = 1, kind: str = "inner"):
        """Open a loop; the body is everything added inside the `with` block."""
        lid = self._reserve()
        body: list[int] = []
        self._stack.append(body)
        try:
            yield var
        finally:
            self._stack.pop()
            node = Loop(lid, var, start, end, step, kind, tuple(body))
            self.nodes[lid] = node
            self._stack[-1].append(lid)

    def _reserve(self) -> int:
        nid = max(self.nodes, default=-1) + 1
        self.nodes[nid] = None  # placeholder until the loop closes
        return nid

    def _id(self) -> int:
        return max(self.nodes, default=-1) + 1

    def load(self, tensor: str, dims: list[Dim], offset=None, tag: str = "", is_async: bool = True,
             deps=()) -> int:
        return self._add(Dma(self._id(), "load", tensor, tuple(dims), dict(offset or {}), is_async, tag,
                             tuple(deps)))

    def store(self, tensor: str, dims: list[Dim], offset=None, tag: str = "", is_async: bool = True,
              deps=()) -> int:
        return self._add(Dma(self._id(), "store", tensor, tuple(dims), dict(offset or {}), is_async, tag,
                             tuple(deps)))

    def gemm(self, m: Dim, n: Dim, k: Dim, dtype: str = "fp32", deps=(), name: str = "") -> int:
        return self._add(Compute(self._id(), "gemm", (m, n, k), "fma", dtype, tuple(deps), name))

    def preload(self, k: Dim, n: Dim, dtype: str = "fp32", deps=()) -> int:
        return self._add(Compute(self._id(), "preload", (k, n), "copy", dtype, tuple(deps)))

    def vector(self, op: str, dims: list[Dim], dtype: str = "fp32", deps=(), name: str = "") -> int:
        return self._add(Compute(self._id(), "vector", tuple(dims), op, dtype, tuple(deps), name))

    def wait(self, tag: str) -> int:
        return self._add(Wait(self._id(), tag))

    def barrier(self) -> int:
        return self._add(Barrier(self._id()))

    def build(self, validate: bool = True) -> Tog:
        tog = Tog(self.name, dict(self.tensors), dict(self.nodes), list(self.root), self.spad_bytes, dict(self.meta))
        if validate:
            from npusim.tog.validate import validate as check

            check(tog)
        return tog
