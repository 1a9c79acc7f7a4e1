"""Heuristic mapper: Gemmini-style largest tile in half the scratchpad, padded to the lane/array unit,
with PyTorchSim's refinements (enough output tiles for every core, no extreme aspect ratio) and a
shrink fallback so it never fails."""
from __future__ import annotations

import math

from npusim.kernels import KernelSpec, Mapping
from npusim.lowering.conv import conv_split
from npusim.lowering.gemm import array_split

from npusim_mappers import geometry as geo
from npusim_mappers.config import MapperConfig
from npusim_mappers.oneshot import OneShot
from npusim_mappers.space import dim_choices, fits, shrink, tile_space


def _n_outer(kernel: KernelSpec, tiles: dict) -> int:
    ext = geo.extents(kernel)
    outer, _ = geo.outer_accum(kernel)
    return math.prod(-(-ext[d] // tiles[d]) for d in outer)


def vector_lane_split(kernel: KernelSpec, tiles: dict, machine) -> tuple[str, int]:
    """Lane axis (the non-reduced one, else the contiguous C) and a stride of one vector register
    (VLEN / element bits, PyTorchSim's vlane_stride idea) that still spreads the tile over all lanes."""
    axis = "R" if kernel.reduce == "C" else "C"
    core = machine.core
    vreg = max(1, core.vlen_bits // (8 * geo.dtype_bytes(kernel)))
    stride = max(1, min(vreg, tiles[axis] // core.vector_lanes))
    return axis, stride


def resident_choice(kernel: KernelSpec, tiles: dict, cores: int, order) -> tuple[tuple, str]:
    """(loop order, resident operand): when one K tile covers the whole reduction, keep the operand that
    would otherwise be re-read most often (A once per N tile, B once per M tile) in the scratchpad, as
    long as its own dimension still has a tile for every core."""
    d = kernel.dims
    if tiles["K"] != d["K"]:
        return tuple(order), ""
    n_m, n_n = -(-d["M"] // tiles["M"]), -(-d["N"] // tiles["N"])
    save_a = (n_n - 1) * d["M"] * d["K"] if n_m >= cores else 0   # A bytes no longer re-read
    save_b = (n_m - 1) * d["K"] * d["N"] if n_n >= cores else 0
    if kernel.reduce == "N":  # a reduction epilogue over N keeps N as the inner loop: only A's order fits
        save_b = 0
    elif kernel.reduce == "M":
        save_a = 0
    if max(save_a, save_b) <= 0:
        return tuple(order), ""
    if save_a >= save_b:
        return tuple(x for x in order if x not in "MN")[:-1] + ("M", "N", "K"), "A"
    return tuple(x for x in order if x not in "MN")[:-1] + ("N", "M", "K"), "B"


def _parts(kernel: KernelSpec, tiles: dict, machine) -> int:
    """Systolic arrays one output tile is split over by the lowering (1 for vector kernels)."""
    if kernel.op in ("gemm", "bmm"):
        return array_split(tiles, machine)[1]
    if kernel.op == "conv":
        return conv_split(kernel, tiles, machine)[1]
    return 1


class HeuristicMapper(OneShot):
    """Deterministic single-shot mapper (the machine default): ask once, always the same mapping."""

    name = "heuristic"

    def __init__(self, config: MapperConfig, machine, timing=None):
        self.config = config
        self.machine = machine
        self.timing = timing
        self._memo: dict[str, Mapping] = {}
        super().__init__()

    def best(self, kernel: KernelSpec, simulate=None) -> Mapping:
        """The heuristic mapping (simulate is ignored: there is one candidate)."""
        key = kernel.signature()
        if key not in self._memo:
            self._memo[key] = self.choose(kernel)
        return self._memo[key]

    def choose(self, kernel: KernelSpec) -> Mapping:
        db = self.config.double_buffer
        m = self.machine
        cores = m.core.num_cores
        # Each accumulation chain runs on one systolic array, so GEMM/conv kernels need a chain for every
        # array of every core to keep them all busy (TPUv3: 2 MXUs per core); the lowering splits an output
        # tile between a core's arrays (array_split / conv_split), each part being one chain.
        units = cores * (m.core.num_systolic_arrays if kernel.op in ("gemm", "bmm", "conv") else 1)
        best = None
        best_key = None
        relaxed = None
        relaxed_key = None
        ext = geo.extents(kernel)
        for tiles in tile_space(kernel, m, cap=min(self.config.max_candidates, 5000)):
            axis, stride = vector_lane_split(kernel, tiles, m) if kernel.op == "vector" else ("", 1)
            ok, total = fits(kernel, tiles, m, db, axis, stride)
            if not ok:
                continue
            key = self._score(kernel, tiles, total)
            if relaxed_key is None or key > relaxed_key:
                relaxed, relaxed_key = tiles, key
            chains = _n_outer(kernel, tiles) * _parts(kernel, tiles, m)
            if chains < min(units, _n_outer(kernel, {d: 1 for d in ext})):
                continue  # PyTorchSim min_tile: at least one output tile per core (here: per systolic array)
            f = geo.align_factors(kernel, m)
            if kernel.op == "conv" and tiles["C"] > f["C"]:
                continue  # PyTorchSim conv mapping: input-channel tile at most one array/lane width
            if kernel.op in ("gemm", "bmm"):
                if max(tiles["N"], f["N"]) // max(tiles["M"], f["M"]) >= self.config.max_aspect:
                    continue  # PyTorchSim: avoid extreme N:M tile aspect ratios
            if best_key is None or key > best_key:
                best, best_key = tiles, key
        tiles = best or relaxed
        if tiles is None:
            start = {d: min(v) for d, v in dim_choices(kernel, m).items()}
            tiles = shrink(kernel, start, m, db, *(
                vector_lane_split(kernel, start, m) if kernel.op == "vector" else ("", 1)))
        axis, stride = vector_lane_split(kernel, tiles, m) if kernel.op == "vector" else ("", 1)
        if kernel.op == "vector":
            tiles = shrink(kernel, tiles, m, db, axis, stride)
        order, resident = geo.default_order(kernel), ""
        if kernel.op in ("gemm", "bmm"):
            order, resident = resident_choice(kernel, tiles, cores, order)
        return Mapping(tiles, order, double_buffer=db, lane_axis=axis, lane_stride=stride, resident=resident,
                       source=self.name)

    @staticmethod
    def _score(kernel: KernelSpec, tiles: dict, total: int) -> tuple:
        """Bigger is better: conv maximizes the kernel window first (PyTorchSim conv mapping), all
        maximize scratchpad use, then output-tile area, then the M / row tile (deterministic ties)."""
        if kernel.op == "conv":
            return (tiles["KH"] * tiles["KW"], total, tiles["H"] * tiles["W"], tiles["N"], tiles["O"], tiles["C"])
        if kernel.op in ("gemm", "bmm"):
            return (total, tiles["M"] * tiles["N"], tiles["M"], tiles["N"])
        return (total, tiles["R"], tiles["C"])

