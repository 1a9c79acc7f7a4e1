"""Analytical cost model: compute cycles from the machine's timing component, DMA bytes / DRAM bandwidth,
overlap under double buffering, output tiles spread over cores. Mirrors the lowering templates' DMAs.

Per-dimension edge tiles are summed exactly (a dim of extent E tiled by t has E//t full tiles and one of
E%t); DMA bytes factorize over dimensions, compute does not and is summed over edge combinations.
"""
from __future__ import annotations

import itertools
import math

from npusim.kernels import KernelSpec
from npusim.lowering.conv import conv_geometry, conv_split, packs_window, window
from npusim.lowering.gemm import array_split
from npusim.lowering.vector import split_ops
from npusim.tog.ops import VEC_OPS

from npusim_mappers import geometry as geo

# DESIGN.md default machine: 16 channels x 940 MHz x 32 B = 481 GB/s (PyTorchSim tpuv3 config); used
# only when the DRAM section exposes no channels / freq_mhz / req_bytes.
DEFAULT_DRAM_BYTES_PER_S = 16 * 940e6 * 32


def splits(extent: int, tile: int) -> list[tuple[int, int]]:
    """[(tile extent, how many tiles)] of a dim: full tiles plus the shrunk border tile."""
    full, rem = divmod(extent, tile)
    out = [(tile, full)] if full else []
    if rem:
        out.append((rem, 1))
    return out


class PyScaleSim:
    """Fallback compute timing when no timing component is given: SCALE-Sim v3 ws fold formula
    (per fold 2R + C + T - 2, total folds*per_fold - 1; DESIGN.md) and lanes*VLEN vector throughput."""

    def __init__(self, machine):
        core = machine.core
        self.R, self.C = core.array_rows, core.array_cols
        self.lanes, self.vlen = core.vector_lanes, core.vlen_bits

    def gemm(self, m, n, k, eb):
        folds = math.ceil(k / self.R) * math.ceil(n / self.C)
        t = folds * (2 * self.R + self.C + m - 2) - 1
        return t, t

    def vector(self, op, elements, eb):
        per = max(1, self.lanes * self.vlen // (8 * eb))
        n = math.ceil(elements / per)
        return n + 1, n


class CostModel:
    """cycles(kernel, mapping) estimate for one machine; timing call results are memoized."""

    def __init__(self, machine, timing=None, dram_efficiency: float = 0.9):
        self.machine = machine
        self.spad = machine.core.spad_bytes
        core = machine.core
        self.cores = core.num_cores
        self.arrays = core.num_systolic_arrays
        self.lanes = core.vector_lanes
        self.cpp = getattr(timing, "cpp", None) if timing is not None else None
        self.py = PyScaleSim(machine)
        self._gemm: dict = {}
        self._vec: dict = {}
        self.bytes_per_cycle, self.latency = self._memory(machine)
        self.bytes_per_cycle *= dram_efficiency
        self.dma_issue = float(getattr(core, "dma_bytes_per_cycle", 0) or self.bytes_per_cycle)

    @staticmethod
    def _memory(machine):
        """(DRAM bytes per core cycle, fixed DMA latency in core cycles) from the dram/noc sections."""
        core_hz = machine.core.freq_mhz * 1e6
        bw, lat = DEFAULT_DRAM_BYTES_PER_S, 0.0
        try:
            dram = machine.params("dram")
            ch, f, rb = (getattr(dram, "channels", None), getattr(dram, "freq_mhz", None),
                         getattr(dram, "req_bytes", None))
            if ch and f and rb:
                bw = ch * f * 1e6 * rb
            if getattr(dram, "latency_cycles", None) and f:
                lat += dram.latency_cycles * machine.core.freq_mhz / f
            noc = machine.params("noc")
            if getattr(noc, "latency_cycles", None) and getattr(noc, "freq_mhz", None):
                lat += 2 * noc.latency_cycles * machine.core.freq_mhz / noc.freq_mhz  # request + response
        except (KeyError, AttributeError):
            pass
        return bw / core_hz, lat

    def gemm_occ(self, m: int, n: int, k: int, eb: int) -> int:
        key = (m, n, k, eb)
        v = self._gemm.get(key)
        if v is None:
            if self.cpp is not None:
                tt = self.cpp.gemm(m, n, k, eb)
                v = int(tt.occupancy)
            else:
                v = self.py.gemm(m, n, k, eb)[1]
            self._gemm[key] = v
        return v

    def vec_occ(self, op: str, elements: int, eb: int) -> int:
        key = (op, elements, eb)
        v = self._vec.get(key)
        if v is None:
            code = VEC_OPS.index(op) if op in VEC_OPS else 0
            if self.cpp is not None:
                v = int(self.cpp.vector(code, elements, eb).occupancy)
            else:
                v = self.py.vector(code, elements, eb)[1]
            self._vec[key] = v
        return v

    def cycles(self, kernel: KernelSpec, tiles: dict, double_buffer: bool = True, lane_axis: str = "",
               lane_stride: int = 1, resident: str = "") -> float:
        """Estimated kernel cycles for the given tiles (lower is better)."""
        if kernel.op in ("gemm", "bmm"):
            parts = self._gemm_parts(kernel, tiles, resident)
        elif kernel.op == "conv":
            parts = self._conv_parts(kernel, tiles)
        else:
            parts = self._vector_parts(kernel, tiles, lane_axis, lane_stride)
        compute, vec, dma_bytes, n_outer, first_bytes, out_bytes = parts
        store_bytes = out_bytes * n_outer  # border tiles are smaller: a slight overestimate
        load_bytes = max(0.0, dma_bytes - store_bytes)
        per_core = math.ceil(n_outer / self.cores)
        bw = self.bytes_per_cycle / max(1, min(self.cores, n_outer))  # cores share the DRAM
        # Engine behaviour (npusim engine.cpp): only loads hold scratchpad; issue is in order and each
        # DMA queue is FIFO, so a tile's store (waiting for its GEMMs) holds back the next tile's loads.
        # Loads therefore overlap compute only inside one output tile's accumulation chain, and output
        # tiles (chains) run one after another.
        eb = geo.dtype_bytes(kernel)
        loads = geo.buffers(kernel, tiles)[:2 if kernel.op in ("gemm", "bmm") else -1]  # all but the outputs
        step_loads = sum(r * c for r, c in loads) * eb
        overlap = self.spad // max(1, step_loads) >= 2
        comp_tile = (compute + vec) / n_outer
        load_tile = load_bytes / n_outer / bw
        first = min(first_bytes / bw, load_tile)
        store = out_bytes / bw
        if overlap:
            tile = first + max(comp_tile, load_tile - first) + store + 2 * self.latency
        else:
            tile = load_tile + comp_tile + store + 2 * self.latency
        return per_core * tile

    def _epilogue(self, kernel, elems_combos, eb):
        return sum(c * self.vec_occ(op, e, eb) for e, c in elems_combos for op in kernel.epilogue)

    def _gemm_parts(self, kernel, t, resident=""):
        d = kernel.dims
        eb = geo.dtype_bytes(kernel)
        M, N, K = d["M"], d["N"], d["K"]
        nb = d.get("B", 1) if kernel.op == "bmm" else 1
        sm, sn, sk = splits(M, t["M"]), splits(N, t["N"]), splits(K, t["K"])
        nM, nN = sum(c for _, c in sm), sum(c for _, c in sn)
        # The lowering splits each output tile over the core's arrays (array_split): a tile costs its
        # biggest part, and tiles that leave arrays free run side by side on them.
        dim, parts, size = array_split(t, self.machine)
        par = max(1, self.arrays // parts)

        def part(m, n):
            return (min(m, size), n) if dim == "M" else (m, min(n, size))

        compute = nb * sum(cm * cn * ck * self.gemm_occ(*part(m, n), k, eb)
                           for (m, cm), (n, cn), (k, ck) in itertools.product(sm, sn, sk)) / par
        vec = nb * self._epilogue(kernel, [(m * n, cm * cn) for (m, cm), (n, cn) in itertools.product(sm, sn)], eb)
        # A resident panel (TILE_K = K) is read once instead of once per tile of the other dimension.
        dma = nb * eb * (M * K * (1 if resident == "A" else nN) + K * N * (1 if resident == "B" else nM) + M * N)
        first = eb * (t["M"] * t["K"] + t["K"] * t["N"])
        return compute, vec, dma, nb * nM * nN, first, eb * t["M"] * t["N"]

    def _conv_parts(self, kernel, t):
        g = conv_geometry(kernel)
        ext = geo.extents(kernel)
        eb = geo.dtype_bytes(kernel)
        G, Cg, Og, s, dil = g["groups"], g["Cg"], g["Og"], g["stride"], g["dil"]
        N, OH, OW, KH, KW = ext["N"], ext["H"], ext["W"], ext["KH"], ext["KW"]
        nN, nH, nW = -(-N // t["N"]), -(-OH // t["H"]), -(-OW // t["W"])
        so, sc = splits(Og, t["O"]), splits(Cg, t["C"])
        nO = sum(c for _, c in so)
        nKH, nKW = KH // t["KH"], KW // t["KW"]
        m = t["N"] * t["H"] * t["W"]
        # Lowering (conv.py): per accumulation step one GEMM per window position with k = tC, or the
        # positions packed into k (few-channel variant); each output tile split over the arrays.
        dim, parts, size = conv_split(kernel, t, self.machine)
        mp = min(m, size) if dim == "M" else m
        steps = nKH * nKW
        if packs_window(kernel, t, self.machine):
            per_o = [(o, co, steps * self.gemm_occ(mp, min(o, size) if dim == "N" else o,
                                                   t["KH"] * t["KW"] * Cg, eb)) for o, co in so]
        else:
            per_o = [(o, co, steps * t["KH"] * t["KW"] * sum(
                cc * self.gemm_occ(mp, min(o, size) if dim == "N" else o, c, eb) for c, cc in sc)) for o, co in so]
        outer_sp = G * nN * nH * nW
        par = max(1, self.arrays // parts)
        compute = outer_sp * sum(co * occ for _, co, occ in per_o) / par
        vec = outer_sp * self._epilogue(kernel, [(m * o, co) for o, co in so], eb)
        if s == 1:
            rows = OH + nH * (t["KH"] - 1) * dil
            cols = OW + nW * (t["KW"] - 1) * dil
        else:
            rows = nH * window(t["H"], t["KH"], s, dil)
            cols = nW * window(t["W"], t["KW"], s, dil)
        x = G * N * rows * cols * Cg * nKH * nKW * nO
        w = outer_sp * KH * KW * Cg * Og
        y = N * OH * OW * G * Og
        first = (t["N"] * window(t["H"], t["KH"], s, dil) * window(t["W"], t["KW"], s, dil) * t["C"]
                 + t["KH"] * t["KW"] * t["C"] * t["O"])
        return compute, vec, eb * (x + w + y), outer_sp * nO, eb * first, eb * m * t["O"]

    def _vector_parts(self, kernel, t, lane_axis, lane_stride):
        eb = geo.dtype_bytes(kernel)
        R, C = kernel.dims["R"], kernel.dims["C"]
        sr, sc = splits(R, t["R"]), splits(C, t["C"])
        per_tile, after = split_ops(kernel)
        lanes = self.lanes

        def eff(r, c):  # elements the lanes process, padded to the lane split
            if lane_axis == "R":
                return lanes * math.ceil(math.ceil(r / lane_stride) / lanes) * lane_stride * c
            return lanes * r * math.ceil(math.ceil(c / lane_stride) / lanes) * lane_stride

        vec = sum(cr * cc * self.vec_occ(op, eff(r, c), eb)
                  for (r, cr), (c, cc) in itertools.product(sr, sc) for op in per_tile)
        if kernel.reduce == "C":
            vec += sum(cr * self.vec_occ(op, eff(r, 1), eb) for r, cr in sr for op in after)
            out, n_outer = R, sum(c for _, c in sr)
        elif kernel.reduce == "R":
            vec += sum(cc * self.vec_occ(op, eff(1, c), eb) for c, cc in sc for op in after)
            out, n_outer = C, sum(c for _, c in sc)
        else:
            out, n_outer = R * C, sum(c for _, c in sr) * sum(c for _, c in sc)
        last = {"": t["R"] * t["C"], "C": t["R"], "R": t["C"]}[kernel.reduce]
        return 0, vec, eb * (R * C + out), n_outer, eb * t["R"] * t["C"], eb * last
