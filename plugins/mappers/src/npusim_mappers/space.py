"""Candidate tile sets per op class (the heuristic's and autotune's search spaces) and the shrink fallback."""
from __future__ import annotations

import itertools
import math

from npusim.kernels import KernelSpec

from npusim_mappers import geometry as geo


def _thin(values: list[int], keep: int) -> list[int]:
    """At most `keep` values, spread evenly (always the smallest and largest), deterministic."""
    if len(values) <= keep:
        return values
    idx = sorted({round(i * (len(values) - 1) / (keep - 1)) for i in range(keep)})
    return [values[i] for i in idx]


def dim_choices(kernel: KernelSpec, machine, dense: bool = False) -> dict[str, list[int]]:
    """Tile sizes per dim: padded-unit multiples dividing the padded extent (dense: every multiple)."""
    ext = geo.extents(kernel)
    f = geo.align_factors(kernel, machine)
    out = {}
    for d, e in ext.items():
        if kernel.op == "bmm" and d == "B":
            out[d] = [1]  # the BMM template walks the batch one matrix at a time
        elif kernel.op == "conv" and d in ("KH", "KW"):
            out[d] = geo.divisors(e)
        elif f[d] <= 1:
            out[d] = geo.divisors(e)
        else:
            out[d] = geo.aligned_choices(e, f[d], every_multiple=dense)
    return out


def tile_space(kernel: KernelSpec, machine, dense: bool = False, cap: int = 0):
    """Iterator of tile dicts over the product of dim_choices (thinned so the product stays <= cap)."""
    ch = dim_choices(kernel, machine, dense)
    names = list(ch)
    if cap:
        keep = {d: len(v) for d, v in ch.items()}
        while math.prod(keep.values()) > cap:
            d = max(keep, key=lambda k: (keep[k], k))
            if keep[d] <= 2:
                break
            keep[d] = max(2, keep[d] * 3 // 4)
        ch = {d: _thin(v, keep[d]) for d, v in ch.items()}
    for vals in itertools.product(*(ch[d] for d in names)):
        yield dict(zip(names, vals))


def fits(kernel: KernelSpec, tiles: dict, machine, double_buffer: bool, lane_axis: str = "",
         lane_stride: int = 1) -> tuple[bool, int]:
    """(fits total and per-lane limits, total bytes)."""
    total, per_lane = geo.footprint(kernel, tiles, machine.core.vector_lanes, lane_axis, lane_stride)
    tl, pl = geo.limits(machine, double_buffer)
    return total <= tl and per_lane <= pl, total


def shrink(kernel: KernelSpec, tiles: dict, machine, double_buffer: bool, lane_axis: str = "",
           lane_stride: int = 1) -> dict:
    """Halve the largest tile (KH/KW drop to 1) until the tiles fit; all-ones is the floor.

    PyTorchSim has no such fallback (it stops with a scratchpad-overflow error); we always return tiles.
    """
    t = dict(tiles)
    fixed = {"B"} if kernel.op == "bmm" else set()
    while not fits(kernel, t, machine, double_buffer, lane_axis, lane_stride)[0]:
        window = [d for d in ("KH", "KW") if t.get(d, 1) > 1] if kernel.op == "conv" else []
        if window:
            t[window[0]] = 1
            continue
        cand = [d for d in t if d not in fixed and d not in ("KH", "KW") and t[d] > 1]
        if not cand:
            break
        d = max(cand, key=lambda k: (t[k], k))
        t[d] = (t[d] + 1) // 2
    return t
