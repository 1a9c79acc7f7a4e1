"""Kernel IR (one fused kernel: op class, shapes, dtype) and Mapping (its tiling), shared by frontends,
mappers and lowering."""
from __future__ import annotations

from typing import Protocol

import attrs

OP_CLASSES = ("gemm", "bmm", "conv", "vector")
# Dimension names per op class (the keys of KernelSpec.dims and of Mapping.tiles).
DIM_NAMES = {
    "gemm": ("M", "N", "K"),                   # C[M,N] = A[M,K] @ B[K,N]
    "bmm": ("B", "M", "N", "K"),               # C[b] = A[b] @ B[b]
    "conv": ("N", "H", "W", "C", "O", "KH", "KW"),  # input NHWC (channels-last), O output channels
    "vector": ("R", "C"),                      # rows x columns (the last axis is contiguous)
}
CONV_PARAMS = ("stride", "pad", "dilation", "groups")


@attrs.frozen
class KernelSpec:
    """One kernel to tile: op class, sizes per dimension, element type, fused vector ops.

    `epilogue`/`prologue` are the vector ops fused after/before the main op (per output / input element);
    vector kernels list their ops in `epilogue` and may set `reduce` = "R" or "C" for a reduction along that
    axis; gemm/bmm may set `reduce` = "N" (over the output's columns) or, 2-D gemm only, "M" (over its rows):
    a reduction epilogue whose ops after the last reduce_* run once per kept row (lowering/gemm.py).
    `params` (all optional except conv's geometry):
      conv: stride, pad, dilation, groups.
      gemm/bmm: prologue_a (how many prologue ops run on A tiles; the rest on B), pro_a_row / pro_a_col /
        pro_b_row / pro_b_col (the prologue's broadcast inputs by operand and axis), a_bytes / b_bytes /
        c_bytes (DRAM element width of an operand that differs from dtype).
      gemm/bmm/conv: side_full / side_row / side_col (how many epilogue side inputs of each kind: output-
        shaped, per row or pixel, per column or channel).
      gemm/bmm/vector with `reduce`: reduce_outputs (result tensors stored, e.g. 2 for var_mean).
    `operands` maps roles to global tensor names: A/B/C (gemm, bmm), X/W/Y (conv), X/Y (vector), E0.. (side
    inputs, in side_full, side_row, side_col order), P0.. (prologue broadcast inputs), R0.. (a GEMM reduction
    epilogue's results), Y1.. (a vector kernel's further results).
    """

    op: str
    dims: dict[str, int] = attrs.field(converter=dict)
    dtype: str = "fp32"
    params: dict[str, int] = attrs.field(factory=dict, converter=dict)
    prologue: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    epilogue: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    reduce: str = ""
    name: str = ""
    operands: dict[str, str] = attrs.field(factory=dict, converter=dict)  # role ("A","B","C",...) -> global tensor name

    def signature(self) -> str:
        """Stable key for caches: op, dims, dtype, params, fused ops."""
        dims = "_".join(f"{k}{v}" for k, v in self.dims.items())
        par = "_".join(f"{k}{v}" for k, v in sorted(self.params.items()))
        return f"{self.op}:{dims}:{self.dtype}:{par}:{'.'.join(self.prologue)}:{'.'.join(self.epilogue)}:{self.reduce}"


@attrs.frozen
class Mapping:
    """How a kernel is tiled: tile size per dimension, loop order (outermost first), and options.

    tiles: every dimension of the kernel -> tile size (<= the dimension; edge tiles shrink).
    order: loop order of the tiled dimensions, outermost first.
    sub_tiles: optional finer DMA granularity per dimension (PyTorchSim SUB_TILE_*): the accumulation
        dimension (GEMM K, conv C, a vector kernel's reduced dim) streams in these slices; output-dimension
        sub-tiles are recorded but do not change the TOG.
    resident: operand kept in the scratchpad across the innermost loop ("A", "B", "C" or "").
    lane_axis / lane_stride: for vector kernels, the axis split over vector lanes and the stride.
    source: which mapper produced it.
    """

    tiles: dict[str, int] = attrs.field(converter=dict)
    order: tuple[str, ...] = attrs.field(converter=tuple)
    sub_tiles: dict[str, int] = attrs.field(factory=dict, converter=dict)
    double_buffer: bool = True
    resident: str = ""
    lane_axis: str = ""
    lane_stride: int = 1
    source: str = ""

    def to_dict(self) -> dict:
        return attrs.asdict(self)


class Mapper(Protocol):
    """Ask/tell mapper interface. Built as `Impl(config, machine, timing)`.

    propose(kernel) returns the next candidate mapping (None when it has nothing more to try);
    report(kernel, mapping, cycles) tells it the simulated cost; best(kernel) returns the chosen one.
    """

    def propose(self, kernel: KernelSpec) -> Mapping | None: ...

    def report(self, kernel: KernelSpec, mapping: Mapping, cycles: int) -> None: ...

    def best(self, kernel: KernelSpec) -> Mapping: ...
