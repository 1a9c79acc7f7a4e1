"""Strategies 'external-then-heuristic' / 'external-then-autotune': the mapping file first, else the search."""
from __future__ import annotations

from npusim.kernels import KernelSpec, Mapping

from npusim_mappers.autotune import AutotuneMapper
from npusim_mappers.config import MapperConfig
from npusim_mappers.external import ExternalMapper
from npusim_mappers.heuristic import HeuristicMapper


class _ExternalThen:
    """Use the file's entry when the kernel has one (invalid entries still raise); else delegate."""

    fallback_cls: type = HeuristicMapper
    name = "external-then"

    def __init__(self, config: MapperConfig, machine, timing=None):
        self.config = config
        self.external = ExternalMapper(config, machine, timing)
        self.fallback = self.fallback_cls(config, machine, timing)
        self._listed: dict[str, bool] = {}

    def _in_file(self, kernel: KernelSpec) -> bool:
        key = kernel.signature()
        if key not in self._listed:
            self._listed[key] = bool(self.config.mapping_file) and self.external.lookup(kernel) is not None
        return self._listed[key]

    def propose(self, kernel: KernelSpec) -> Mapping | None:
        return self.external.propose(kernel) if self._in_file(kernel) else self.fallback.propose(kernel)

    def report(self, kernel: KernelSpec, mapping: Mapping, cycles: int) -> None:
        if not self._in_file(kernel):
            self.fallback.report(kernel, mapping, cycles)

    def best(self, kernel: KernelSpec, simulate=None) -> Mapping:
        if self._in_file(kernel):
            return self.external.best(kernel)
        return self.fallback.best(kernel, simulate)


class ExternalThenHeuristic(_ExternalThen):
    """Mapping file first, heuristic for unlisted kernels."""

    fallback_cls = HeuristicMapper
    name = "external-then-heuristic"


class ExternalThenAutotune(_ExternalThen):
    """Mapping file first, autotune for unlisted kernels."""

    fallback_cls = AutotuneMapper
    name = "external-then-autotune"
