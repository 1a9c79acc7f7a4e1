"""Conformance tests every mapper must pass: tiles cover the iteration space once and fit the scratchpad."""
from __future__ import annotations

from hypothesis import given

from npusim.config import load_config
from npusim.kernels import KernelSpec
from npusim.lowering import lower
from npusim.testing.strategies import awkward_sizes
from npusim.tog.validate import footprint_bytes


def check_cover(kernel: KernelSpec, mapping) -> None:
    """Every index of every dimension lies in exactly one tile (tiles are contiguous ranges of size tile)."""
    for dim, size in kernel.dims.items():
        t = mapping.tiles.get(dim, size)
        assert 1 <= t <= max(size, 1), f"tile {dim}={t} outside 1..{size}"
        starts = list(range(0, size, t))
        covered = sum(min(t, size - s) for s in starts)
        assert covered == size


class MapperConformance:
    """Base class: `make_mapper(machine)` returns a mapper built for `machine` (a MachineConfig)."""

    machine_name = "small-8x8"

    def make_mapper(self, machine):
        raise NotImplementedError("subclasses build the mapper under test")

    def _machine(self):
        return load_config(self.machine_name)

    @given(awkward_sizes(), awkward_sizes(), awkward_sizes())
    def test_gemm_mapping_covers_and_fits(self, m, n, k):
        machine = self._machine()
        kernel = KernelSpec("gemm", {"M": m, "N": n, "K": k})
        mapping = self.make_mapper(machine).best(kernel)
        check_cover(kernel, mapping)
        tog = lower(kernel, mapping, machine)  # lowering validates the TOG, incl. scratchpad fit
        assert footprint_bytes(tog) <= machine.core.spad_bytes

    @given(awkward_sizes(), awkward_sizes())
    def test_deterministic(self, m, n):
        machine = self._machine()
        kernel = KernelSpec("gemm", {"M": m, "N": n, "K": 64})
        assert self.make_mapper(machine).best(kernel) == self.make_mapper(machine).best(kernel)
