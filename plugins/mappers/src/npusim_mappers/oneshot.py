"""Ask/tell behaviour shared by mappers with a single candidate per kernel (heuristic, external)."""
from __future__ import annotations

from npusim.kernels import KernelSpec, Mapping


class OneShot:
    """propose() returns best(kernel) once per kernel, then None; report() has nothing to learn."""

    def __init__(self):
        self._proposed: set[str] = set()

    def propose(self, kernel: KernelSpec) -> Mapping | None:
        key = kernel.signature()
        if key in self._proposed:
            return None
        self._proposed.add(key)
        return self.best(kernel)

    def report(self, kernel: KernelSpec, mapping: Mapping, cycles: int) -> None:
        """A single-candidate mapper ignores simulated costs."""
