"""Vector-kernel lowering: (R, C) row-major tiles, elementwise op chain, optional reduction along R or C.

kernel.epilogue lists the vector ops (npusim.tog.ops.VEC_OPS names) in order. With kernel.reduce set,
the reduced dimension becomes the innermost "accum" loop: ops up to and including the last
reduce_* op run on every input tile (several reductions of one input fused into one kernel list
their per-tile ops one after another; a reduce_sum is implied when none is listed), the remaining
ops run once on the reduced tile after the loop, and the output is (R, 1) for reduce "C" or (1, C)
for reduce "R", one such tensor per result (params reduce_outputs, default 1: Y, Y1, ...; var_mean and
fused sibling reductions have several). Lane split (mapping.lane_axis / lane_stride) decides the per-lane scratchpad
layout and is checked by the mapper; the DMA tiles do not depend on it.
"""
from __future__ import annotations

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering.gemm import check_tiles, streamed_tile
from npusim.tog import Dim, TogBuilder

REDUCE_OPS = ("reduce_sum", "reduce_max")


def split_ops(kernel: KernelSpec) -> tuple[list[str], list[str]]:
    """(ops per input tile, ops after the reduction); all ops are per-tile when nothing is reduced."""
    ops = list(kernel.epilogue)
    if not kernel.reduce:
        return ops, []
    last = max((i for i, op in enumerate(ops) if op in REDUCE_OPS), default=None)
    if last is None:
        return [*ops, "reduce_sum"], []
    return ops[:last + 1], ops[last + 1:]


def lower_vector(kernel: KernelSpec, mapping: Mapping, machine):
    """TOG of a vector kernel over an (R, C) tensor tiled by mapping.tiles R and C."""
    where = f"kernel {kernel.name or kernel.op}"
    if kernel.reduce not in ("", "R", "C"):
        raise MappingError(f"{where}: reduce must be '', 'R' or 'C', got {kernel.reduce!r}")
    t = check_tiles(kernel, mapping, ("R", "C"))
    if kernel.reduce:  # the reduced dimension streams in its sub-tiles (accumulating partial results)
        t[kernel.reduce] = streamed_tile(kernel, mapping, t, kernel.reduce)
    R, C = kernel.dims["R"], kernel.dims["C"]
    order = tuple(mapping.order) or (("C", "R") if kernel.reduce == "R" else ("R", "C"))
    if sorted(order) != ["C", "R"]:
        raise MappingError(f"{where}: vector loop order {order} must be a permutation of ('R', 'C')")
    if kernel.reduce and order[-1] != kernel.reduce:
        raise MappingError(f"{where}: vector loop order {order} must end with the reduced dimension "
                           f"{kernel.reduce!r}")
    spad = machine.core.spad_bytes if machine is not None else 0
    b = TogBuilder(kernel.name or kernel.op, spad_bytes=spad)
    per_tile, after = split_ops(kernel)
    b.meta = {"op": "vector", "dims": dict(kernel.dims), "dtype": kernel.dtype, "reduce": kernel.reduce,
              "mapping": mapping.to_dict(), "ops": list(kernel.epilogue)}
    dt = kernel.dtype
    opn = kernel.operands
    x = b.tensor("X", (R, C), dt, opn.get("X", opn.get("A", "")))
    out_shape = {"": (R, C), "C": (R, 1), "R": (1, C)}[kernel.reduce]
    y = b.tensor("Y", out_shape, dt, opn.get("Y", opn.get("C", "")))
    nout = int(kernel.params.get("reduce_outputs", 1)) if kernel.reduce else 1
    results = [y, *(b.tensor(f"Y{i}", out_shape, dt, opn.get(f"Y{i}", "")) for i in range(1, nout))]
    dr, dc = Dim(t["R"], 0, "r", R), Dim(t["C"], 0, "c", C)
    var = {"R": "r", "C": "c"}
    kind = {d: ("accum" if d == kernel.reduce else "outer") for d in ("R", "C")}

    def chain(ops, dims, first_deps):
        last = first_deps
        for op in ops:
            last = [b.vector(op, dims, dt, deps=last, name=f"vec_{op}")]
        return last

    with b.loop(var[order[0]], kernel.dims[order[0]], step=t[order[0]], kind=kind[order[0]]):
        if not kernel.reduce:
            with b.loop(var[order[1]], kernel.dims[order[1]], step=t[order[1]], kind=kind[order[1]]):
                ld = b.load(x, [Dim(t["R"], C, "r", R), Dim(t["C"], 1, "c", C)], tag="ld")
                last = chain(per_tile, [dr, dc], [ld])
                b.store(y, [Dim(t["R"], C, "r", R), Dim(t["C"], 1, "c", C)], tag="st", deps=last)
        else:
            with b.loop(var[order[1]], kernel.dims[order[1]], step=t[order[1]], kind="accum"):
                ld = b.load(x, [Dim(t["R"], C, "r", R), Dim(t["C"], 1, "c", C)], tag="ld")
                last = chain(per_tile, [dr, dc], [ld])
            kept = [dr, Dim(1)] if kernel.reduce == "C" else [Dim(1), dc]
            last = chain(after, kept, last)
            for res in results:
                if kernel.reduce == "C":
                    b.store(res, [Dim(t["R"], 1, "r", R), Dim(1, 1)], tag="st", deps=last)
                else:
                    b.store(res, [Dim(1, C), Dim(t["C"], 1, "c", C)], tag="st", deps=last)
    return b.build()
