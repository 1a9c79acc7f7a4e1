"""Autotune mapper: rank thousands of tilings with the analytical cost model, simulate the top-k (plus the
heuristic's choice, so autotune is never slower than heuristic), keep the fastest, cache it on disk."""
from __future__ import annotations

import heapq
import json

from npusim.errors import NpusimError
from npusim.kernels import KernelSpec, Mapping

from npusim_mappers import geometry as geo
from npusim_mappers.cache import MappingCache, machine_key
from npusim_mappers.config import MapperConfig
from npusim_mappers.costmodel import CostModel
from npusim_mappers.heuristic import HeuristicMapper
from npusim_mappers.space import fits, tile_space

LANE_STRIDES = (1, 2, 4, 8, 16, 32)


def ident(m: Mapping) -> str:
    """Hashable identity of a mapping (Mapping holds dicts, so it is not hashable itself)."""
    return json.dumps({k: v for k, v in m.to_dict().items() if k != "source"}, sort_keys=True)


class AutotuneMapper:
    """Ask/tell search: propose() yields top-k candidates, report() records simulated cycles, best() picks."""

    name = "autotune"

    def __init__(self, config: MapperConfig, machine, timing=None):
        self.config = config
        self.machine = machine
        self.model = CostModel(machine, timing, config.dram_efficiency)
        self.heuristic = HeuristicMapper(config, machine, timing)
        self.cache = MappingCache(config.cache_dir)
        self.mkey = machine_key(machine, {"double_buffer": config.double_buffer, "topk": config.topk,
                                          "dram_efficiency": config.dram_efficiency,
                                          "max_candidates": config.max_candidates})
        self._queue: dict[str, list[Mapping]] = {}
        self._results: dict[str, dict[str, float]] = {}
        self.evaluated = 0  # candidates ranked by the cost model (for benchmarks)

    # -- search space ---------------------------------------------------------------------------------
    def candidates(self, kernel: KernelSpec):
        """Every mapping in the search space that fits the scratchpad: tiles x loop orders x lane split x
        double buffering (single buffering may use the whole scratchpad)."""
        outer, accum = geo.outer_accum(kernel)
        orders = [(*outer, *accum)]
        fixed = kernel.op in ("gemm", "bmm") and kernel.reduce in ("M", "N")  # reduced dim stays inner
        if len(outer) >= 2 and not fixed:
            orders.append((*outer[:-2], outer[-1], outer[-2], *accum))
        lanes = [("", 1)]
        if kernel.op == "vector":
            lanes = [(ax, s) for ax in ("R", "C") for s in LANE_STRIDES]
        for tiles in tile_space(kernel, self.machine, dense=True, cap=self.config.max_candidates):
            for db in (True, False):
                for axis, stride in lanes:
                    ok, _ = fits(kernel, tiles, self.machine, db, axis, stride)
                    if not ok:
                        continue
                    for order in orders:
                        yield Mapping(tiles, order, double_buffer=db, lane_axis=axis, lane_stride=stride,
                                      source=self.name)
                    if kernel.op in ("gemm", "bmm") and tiles["K"] == kernel.dims["K"]:
                        for res, inner in (("A", ("M", "N", "K")), ("B", ("N", "M", "K"))):
                            if fixed and inner[1] != kernel.reduce:
                                continue
                            yield Mapping(tiles, (*outer[:-2], *inner), double_buffer=db, resident=res,
                                          source=self.name)

    def cost(self, kernel: KernelSpec, m: Mapping) -> float:
        """Cost-model cycles of one mapping."""
        return self.model.cycles(kernel, m.tiles, m.double_buffer, m.lane_axis, m.lane_stride, m.resident)

    def rank(self, kernel: KernelSpec, k: int) -> list[tuple[float, Mapping]]:
        """The k cheapest candidates by the cost model with distinct tiles (variants that only differ in
        loop order / buffering / lane split keep their cheapest); ties: first in enumeration order."""
        best: dict[tuple, tuple[float, int, Mapping]] = {}
        for i, m in enumerate(self.candidates(kernel)):
            c = self.cost(kernel, m)
            self.evaluated += 1
            key = tuple(sorted(m.tiles.items()))
            if key not in best or c < best[key][0]:
                best[key] = (c, i, m)
        top = heapq.nsmallest(k, best.values(), key=lambda x: (x[0], x[1]))
        return [(c, m) for c, _, m in top]

    # -- ask / tell -----------------------------------------------------------------------------------
    def _plan(self, kernel: KernelSpec) -> list[Mapping]:
        """Candidates to simulate: top-k + max_retry spares by cost, and the heuristic's mapping first."""
        key = kernel.signature()
        if key not in self._queue:
            h = self.heuristic.best(kernel)
            want = max(1, self.config.topk) + self.config.max_retry
            ranked = [m for _, m in self.rank(kernel, want + 1)]
            plan = ([h] + [m for m in ranked if m.tiles != h.tiles])[:1 + want]
            self._queue[key] = plan
            self._results.setdefault(key, {})
        return self._queue[key]

    def propose(self, kernel: KernelSpec) -> Mapping | None:
        """Next candidate not yet reported (heuristic first, then by cost); None after the heuristic + top-k
        (each failed simulation buys one more candidate, up to max_retry)."""
        plan = self._plan(kernel)
        done = self._results[kernel.signature()]
        keys = [ident(m) for m in plan]
        tried = [k for k in keys if k in done]
        failed = sum(1 for k in tried if done[k] == float("inf"))
        allowed = 1 + max(1, self.config.topk) + min(failed, self.config.max_retry)
        if len(tried) >= allowed:
            return None
        return next((m for m, k in zip(plan, keys) if k not in done), None)

    def report(self, kernel: KernelSpec, mapping: Mapping, cycles) -> None:
        """Record the simulated cycles of `mapping` (None / inf = simulation failed)."""
        self._plan(kernel)
        self._results[kernel.signature()][ident(mapping)] = float("inf") if cycles is None else float(cycles)

    def engine_simulate(self, kernel: KernelSpec):
        """simulate(mapping) -> total cycles of `kernel` alone on a fresh npusim engine for this machine."""
        from npusim.engine.simulator import Simulator
        from npusim.lowering import lower

        def run(mapping: Mapping) -> int:
            return Simulator(self.machine).run([lower(kernel, mapping, self.machine)]).total_cycles

        return run

    def best(self, kernel: KernelSpec, simulate=None) -> Mapping:
        """Fastest mapping: simulated by `simulate(mapping) -> cycles` (default: the engine when config
        simulate='engine'), else ranked by the cost model."""
        if simulate is None and self.config.simulate == "engine":
            simulate = self.engine_simulate(kernel)
        sig = kernel.signature()
        hit = self.cache.get(sig, self.mkey)
        if hit is not None and (hit["simulated"] or simulate is None):
            return hit["mapping"]
        if simulate is not None:
            while (m := self.propose(kernel)) is not None:
                try:
                    cycles = simulate(m)
                except NpusimError:
                    cycles = None
                self.report(kernel, m, cycles)
        results = {k: c for k, c in self._results.get(sig, {}).items() if c != float("inf")}
        if results:
            plan = self._plan(kernel)
            simulated = [(results[ident(m)], i, m) for i, m in enumerate(plan) if ident(m) in results]
            c, _, chosen = min(simulated, key=lambda x: (x[0], x[1]))
            self.cache.put(sig, self.mkey, chosen, c, True)
            return chosen
        plan = self._plan(kernel)
        costs = [(self.cost(kernel, m), i, m) for i, m in enumerate(plan)]
        c, _, chosen = min(costs, key=lambda x: (x[0], x[1]))
        self.cache.put(sig, self.mkey, chosen, c, False)
        return chosen
