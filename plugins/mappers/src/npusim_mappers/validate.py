"""Mapping validation: tile ranges, loop order, scratchpad fit (total and per lane), and exact coverage of
the lowered TOG (every output element stored exactly once, every reduction index accumulated once)."""
from __future__ import annotations

import itertools

import attrs
from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.tog import Compute, Dma, Loop, Tog
from npusim.tog.validate import footprint_bytes

from npusim_mappers import geometry as geo


@attrs.frozen
class MappingInfo:
    """What check_mapping found: padded extents, scratchpad use vs limits, tile counts, the TOG."""

    extents: dict
    padded: dict
    total_bytes: int
    per_lane_bytes: int
    total_limit: int
    per_lane_limit: int
    outer_tiles: int
    accum_steps: int
    tog: Tog


def check_tiles(kernel: KernelSpec, mapping: Mapping, machine) -> None:
    """Fast checks without lowering: keys, 1 <= tile <= extent, order, lane split, scratchpad fit."""
    where = f"kernel {kernel.name or kernel.op}"
    ext = geo.extents(kernel)
    tiles = mapping.tiles
    unknown = sorted(set(tiles) - set(ext))
    missing = sorted(set(ext) - set(tiles))
    if unknown or missing:
        raise MappingError(f"{where}: mapping tiles must name exactly {tuple(ext)} "
                           f"(missing {missing}, unknown {unknown})")
    for d, e in ext.items():
        if not isinstance(tiles[d], int) or not 1 <= tiles[d] <= e:
            raise MappingError(f"{where}: tile {d}={tiles[d]!r} outside 1..{e}")
    outer, accum = geo.outer_accum(kernel)
    order = tuple(mapping.order)
    if sorted(order) != sorted((*outer, *accum)) or set(order[len(outer):]) != set(accum):
        raise MappingError(f"{where}: loop order {order} must list {outer} (any order) then {accum}")
    if kernel.op == "vector":
        if mapping.lane_axis not in ("R", "C"):
            raise MappingError(f"{where}: lane_axis {mapping.lane_axis!r} must be 'R' or 'C'")
    if mapping.lane_stride < 1:
        raise MappingError(f"{where}: lane_stride must be >= 1, got {mapping.lane_stride}")
    total, per_lane = geo.mapping_footprint(kernel, mapping, machine)
    tl, pl = geo.limits(machine, mapping.double_buffer)
    half = " (half: double buffering)" if mapping.double_buffer else ""
    if total > tl:
        raise MappingError(f"{where}: tiles {dict(tiles)} need {total} B of scratchpad, more than {tl} B{half}")
    if per_lane > pl:
        raise MappingError(f"{where}: tiles {dict(tiles)} need {per_lane} B in one lane, more than {pl} B{half}")


def check_mapping(kernel: KernelSpec, mapping: Mapping, machine) -> MappingInfo:
    """Validate `mapping` for `kernel` on `machine`; raise MappingError (one line) or return MappingInfo."""
    check_tiles(kernel, mapping, machine)
    tog = lower(kernel, mapping, machine)
    check_tog_coverage(tog)
    lowered, _ = geo.lowered_footprint(kernel, mapping, machine)
    if footprint_bytes(tog) != lowered:
        raise MappingError(f"kernel {kernel.name or kernel.op}: mapper footprint {lowered} B disagrees with the "
                           f"lowered TOG's {footprint_bytes(tog)} B")
    total, per_lane = geo.mapping_footprint(kernel, mapping, machine)  # what the mapping reserves
    ext = geo.extents(kernel)
    outer, accum = geo.outer_accum(kernel)
    tiles = mapping.tiles
    n_out = 1
    for d in outer:
        n_out *= -(-ext[d] // tiles[d])
    n_acc = 1
    for d in accum:
        n_acc *= -(-ext[d] // tiles[d])
    tl, pl = geo.limits(machine, mapping.double_buffer)
    return MappingInfo(ext, geo.padded_dims(kernel, machine), total, per_lane, tl, pl, n_out, n_acc, tog)


def _strides(shape) -> list[int]:
    out, s = [], 1
    for n in reversed(shape):
        out.append(s)
        s *= n
    return out[::-1]


def _values(lp: Loop) -> range:
    return range(lp.start, lp.end, lp.step)


def check_tog_coverage(tog: Tog) -> None:
    """Raise MappingError unless every store partitions its tensor and every accum index is used once."""
    parts: dict[tuple[str, int], set] = {}  # (loop var, step) -> (offset, size) of the GEMM parts bound to it
    for node, loops in tog.walk():
        scope = {lp.var: lp for lp in loops}
        where = f"{tog.name}: node {node.id}"
        if isinstance(node, Dma) and node.direction == "store":
            _check_store(node, tog.tensors[node.tensor].shape, scope, where)
        if isinstance(node, Compute):
            for d in node.dims:
                if d.var is not None:
                    lp = scope[d.var]
                    whole = d.offset == 0 and d.size == lp.step
                    if lp.start != 0 or lp.end != d.bound or not (whole or node.unit == "gemm"):
                        raise MappingError(f"{where}: compute dim bound to {d.var!r} (size {d.size}, bound {d.bound}) "
                                           f"does not tile loop {lp.start}..{lp.end} step {lp.step} exactly")
                    if node.unit == "gemm":
                        parts.setdefault((d.var, lp.step), set()).add((d.offset, d.size))
    for (var, step), spans in parts.items():  # the array parts of an output tile partition its loop step
        ends = [off + size for off, size in sorted(spans)]
        if [off for off, _ in sorted(spans)] != [0, *ends[:-1]] or ends[-1] != step:
            raise MappingError(f"{tog.name}: GEMM parts along {var!r} {sorted(spans)} do not partition the tile "
                               f"of {step}")
    for node, loops in tog.walk():
        if isinstance(node, Loop) and node.kind == "accum":
            loads = [x for x, _ in tog.walk(node.body) if isinstance(x, Dma) and x.direction == "load"]
            used = any(node.var in x.offset or any(d.var == node.var for d in x.dims) for x in loads)
            if loads and not used and node.trips > 1:  # a load-free accum loop repeats compute on loaded tiles
                raise MappingError(f"{tog.name}: accum loop {node.var!r} reloads the same tiles {node.trips} times")


def _check_store(node: Dma, shape, scope, where) -> None:
    strides = _strides(shape)
    per_axis: dict[int, list] = {a: [] for a in range(len(shape))}
    taken: set[int] = set()
    for d in node.dims:
        axis = next((a for a in range(len(shape)) if strides[a] == d.stride and a not in taken), None)
        if axis is None:
            raise MappingError(f"{where}: store dim stride {d.stride} matches no free axis of shape {shape}")
        taken.add(axis)
        per_axis[axis].append(("dim", d))
    for var, coef in node.offset.items():
        axis = next((a for a in range(len(shape)) if strides[a] <= coef and coef % strides[a] == 0), None)
        if axis is None:
            raise MappingError(f"{where}: store offset {var}:{coef} matches no axis of shape {shape}")
        per_axis[axis].append(("off", var, coef // strides[axis]))
    used_vars: dict[str, int] = {}
    for axis, items in per_axis.items():
        dims = [it[1] for it in items if it[0] == "dim"]
        if len(dims) > 1:
            raise MappingError(f"{where}: two store dims on axis {axis}")
        vars_ = [d.var for d in dims if d.var is not None] + [it[1] for it in items if it[0] == "off"]
        for v in vars_:
            if v in used_vars and used_vars[v] != axis:
                raise MappingError(f"{where}: loop {v!r} moves the store along two axes")
            used_vars[v] = axis
        ranges = [_values(scope[v]) for v in vars_]
        spans = []
        for vals in itertools.product(*ranges):
            env = dict(zip(vars_, vals))
            start = sum(env[it[1]] * it[2] for it in items if it[0] == "off")
            length = 1
            if dims:
                d = dims[0]
                if d.var is not None:
                    start += env[d.var]
                    length = min(d.size, d.bound - env[d.var])
                else:
                    length = d.size
            spans.append((start, length))
        spans.sort()
        pos = 0
        for start, length in spans:
            if start != pos:
                kind = "overlap" if start < pos else "gap"
                raise MappingError(f"{where}: store tiles {kind} on axis {axis} at index {min(start, pos)}")
            pos = start + length
        if pos != shape[axis]:
            raise MappingError(f"{where}: store tiles cover {pos} of {shape[axis]} indices on axis {axis}")
    for var, lp in scope.items():
        if var not in used_vars and lp.trips > 1:
            raise MappingError(f"{where}: store repeats under loop {var!r} ({lp.trips} times)")
