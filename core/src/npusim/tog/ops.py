"""TOG node types (the tile ISA): loops, DMA load/store, DMA wait, barrier, GEMM/vector compute.

Loop-compressed like PyTorchSim's TOG: each static op is one node; the engine expands loop
iterations lazily. Tile extents may shrink at borders: a Dim bound to loop variable `var` with
`bound` covers min(size, bound - value(var)) elements (edge tiles).
"""
from __future__ import annotations

import attrs

FORMAT_VERSION = 1
LOOP_KINDS = ("outer", "accum", "inner")  # outer = parallel over cores; accum = reduction loop
UNITS = ("gemm", "vector", "preload")
DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1, "int32": 4, "fp64": 8}
VEC_OPS = ("add", "fma", "cmp", "div", "sqrt", "exp", "log", "tanh", "erf", "sigmoid", "reduce_sum",
           "reduce_max", "transpose", "copy")  # index = npusim::VecOp in include/npusim/compute.hpp


@attrs.frozen
class Dim:
    """One tile dimension: `size` elements (shrinks to bound - value(var) at the border).

    stride: element stride of this dimension in the tensor (DMA only; 0 for compute dims).
    var: loop variable giving this dimension's start index (None = starts at 0).
    bound: extent of the full tensor along this dimension (needed when var is set).
    offset: elements past value(var) where this dimension starts (compute dims only: the part of an
        output tile one systolic array takes); the extent is min(size, bound - value(var) - offset),
        and a part that starts past the bound is empty.
    """

    size: int
    stride: int = 0
    var: str | None = None
    bound: int | None = None
    offset: int = 0


@attrs.frozen
class Tensor:
    """A DRAM tensor the kernel reads or writes (base address assigned by the engine)."""

    name: str
    shape: tuple[int, ...] = attrs.field(converter=tuple)
    dtype: str = "fp32"
    alias: str = ""  # global name shared across kernels (same alias = same DRAM buffer); "" = private

    @property
    def elem_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    @property
    def nbytes(self) -> int:
        n = self.elem_bytes
        for s in self.shape:
            n *= s
        return n


@attrs.frozen
class Loop:
    """`for var in range(start, end, step)` over the child nodes `body` (ids, in program order)."""

    id: int
    var: str
    start: int
    end: int
    step: int
    kind: str = "inner"
    body: tuple[int, ...] = attrs.field(default=(), converter=tuple)

    @property
    def trips(self) -> int:
        return max(0, -(-(self.end - self.start) // self.step))


@attrs.frozen
class Dma:
    """DMA MOVIN (load: DRAM -> scratchpad) or MOVOUT (store: scratchpad -> DRAM) of one tile.

    dims: tile dimensions outermost first; the last dim with stride 1 is contiguous in DRAM.
    offset: extra element offsets {var: stride} from loop variables not tied to a dim (e.g. batch).
    is_async: when True, issue does not wait; a later Wait(tag) does. tag groups async DMAs.
    deps: node ids whose most recent instance must finish before this DMA starts.
    """

    id: int
    direction: str  # "load" | "store"
    tensor: str
    dims: tuple[Dim, ...] = attrs.field(converter=tuple)
    offset: dict[str, int] = attrs.field(factory=dict)
    is_async: bool = True
    tag: str = ""
    deps: tuple[int, ...] = attrs.field(default=(), converter=tuple)

    def tile_elems(self) -> int:
        n = 1
        for d in self.dims:
            n *= d.size
        return n


@attrs.frozen
class Compute:
    """A compute tile: GEMM on a systolic array (dims m,n,k), weight preload, or a vector op.

    gemm:   dims = (m, n, k): C[m,n] += A[m,k] B[k,n]; dims bound to loop vars shrink at borders.
    vector: op = one of VEC_OPS, dims = tile shape; elements = product of extents.
    """

    id: int
    unit: str
    dims: tuple[Dim, ...] = attrs.field(converter=tuple)
    op: str = "add"
    dtype: str = "fp32"
    deps: tuple[int, ...] = attrs.field(default=(), converter=tuple)
    name: str = ""
    cycles: int = 0  # > 0: fixed latency [core cycles] instead of the timing component (imported TOGs)
    overlap: int = 0  # cycles of `cycles` that overlap the next tile on the same unit [core cycles]


@attrs.frozen
class Wait:
    """DMA wait: blocks issue until every outstanding async DMA with `tag` has completed."""

    id: int
    tag: str


@attrs.frozen
class Barrier:
    """Core barrier: blocks issue until every instruction issued before it has completed."""

    id: int


Node = Loop | Dma | Compute | Wait | Barrier


@attrs.define
class Tog:
    """One kernel's Tile-Operation Graph."""

    name: str
    tensors: dict[str, Tensor]
    nodes: dict[int, Node]
    root: list[int]
    spad_bytes: int = 0  # scratchpad capacity the graph was tiled for (0 = unchecked)
    meta: dict = attrs.field(factory=dict)  # kernel info (op class, shape, mapping, flops, bytes)

    def walk(self, ids=None, depth=0):
        """Yield (node, depth, enclosing loops) in program order."""
        yield from self._walk(self.root if ids is None else ids, ())

    def _walk(self, ids, loops):
        for i in ids:
            node = self.nodes[i]
            yield node, loops
            if isinstance(node, Loop):
                yield from self._walk(node.body, (*loops, node))
