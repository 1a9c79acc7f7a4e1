"""Autotune mapper: rank thousands of tilings with the analytical cost model, simulate the top-k (plus the
heuristic's choice, so autotune is never slower than heuristic), keep the fastest, cache it on disk."""
from __future__ import annotations

import heapq

from npusim.errors import NpusimError
from npusim.kernels import KernelSpec, Mapping
from npusim_mappers import geometry as geo
from npusim_mappers.cache import MappingCache, machine_key
from npusim_mappers.config import MapperConfig
from npusim_mappers.costmodel import CostModel
from npusim_mappers.heuristic import HeuristicMapper
from npusim_mappers.space import fits, tile_space

LANE_STRIDES = (1, 2, 4, 8, 16, 32)


class AutotuneMapper:
    """Ask/tell search: propose() yields top-k candidates, report() records simulated cycles, best() picks."""

    name = "autotune"

    def __init__(self, config: MapperConfig, machine, timing=None):
        self.config = config
        self.machine = machine
        self.model = CostModel(machine, timing)
        self.heuristic = HeuristicMapper(config, machine, timing)
        self.cache = MappingCache(config.cache_dir)
        self.mkey = machine_key(machine, {"double_buffer": config.double_buffer, "topk": config.topk})
        self._queue: dict[str, list[Mapping]] = {}
        self._results: dict[str, dict[Mapping, float]] = {}
        self.evaluated = 0  # candidates ranked by the cost model (for benchmarks)

    # -- search space ---------------------------------------------------------------------------------
    def candidates(self, kernel: KernelSpec):
        """Every mapping in the search space that fits the scratchpad: tiles x loop orders x lane split x
        double buffering (single buffering may use the whole scratchpad)."""
        outer, accum = geo.outer_accum(kernel)
        orders = [(*outer, *accum)]
        if len(outer) >= 2:
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

    def cost(self, kernel: KernelSpec, m: Mapping) -> float:
        """Cost-model cycles of one mapping."""
        return self.model.cycles(kernel, m.tiles, m.double_buffer, m.lane_axis, m.lane_stride)

    def rank(self, kernel: KernelSpec, k: int) -> list[tuple[float, Mapping]]:
        """The k cheapest candidates by the cost model (ties: first in enumeration order)."""
        heap: list = []
        for i, m in enumerate(self.candidates(kernel)):
            c = self.cost(kernel, m)
            self.evaluated += 1
            item = (-c, -i, m)
            if len(heap) < k:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
        return sorted(((-c, m) for c, _, m in heap), key=lambda x: x[0])

    # -- ask / tell -----------------------------------------------------------------------------------
    def _plan(self, kernel: KernelSpec) -> list[Mapping]:
        """Candidates to simulate: top-k + max_retry spares by cost, and the heuristic's mapping first."""
        key = kernel.signature()
        if key not in self._queue:
            h = self.heuristic.best(kernel)
            ranked = [m for _, m in self.rank(kernel, max(1, self.config.topk) + self.config.max_retry)]
            plan = [h] + [m for m in ranked if m != h]
            self._queue[key] = plan
            self._results.setdefault(key, {})
        return self._queue[key]

    def propose(self, kernel: KernelSpec) -> Mapping | None:
        """Next candidate not yet reported (heuristic first, then by cost); None after top-k + retries."""
        key = kernel.signature()
        plan = self._plan(kernel)
        done = self._results[key]
        budget = 1 + max(1, self.config.topk) + sum(1 for v in done.values() if v == float("inf"))
        budget = min(budget, 1 + max(1, self.config.topk) + self.config.max_retry)
        tried = 0
        for m in plan:
            if tried >= budget:
                return None
            if m not in done:
                return m
            tried += 1
        return None

    def report(self, kernel: KernelSpec, mapping: Mapping, cycles) -> None:
        """Record the simulated cycles of `mapping` (None / inf = simulation failed)."""
        self._plan(kernel)
        self._results[kernel.signature()][mapping] = float("inf") if cycles is None else float(cycles)

    def best(self, kernel: KernelSpec, simulate=None) -> Mapping:
        """Fastest mapping: simulated when `simulate(mapping) -> cycles` is given, else by the cost model."""
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
        results = {m: c for m, c in self._results.get(sig, {}).items() if c != float("inf")}
        if results:
            plan = self._plan(kernel)
            chosen = min(results, key=lambda m: (results[m], plan.index(m)))
            self.cache.put(sig, self.mkey, chosen, results[chosen], True)
            return chosen
        plan = self._plan(kernel)
        costs = [(self.cost(kernel, m), i, m) for i, m in enumerate(plan)]
        c, _, chosen = min(costs, key=lambda x: (x[0], x[1]))
        self.cache.put(sig, self.mkey, chosen, c, False)
        return chosen
