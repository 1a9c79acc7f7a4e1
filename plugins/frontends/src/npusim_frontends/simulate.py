"""Kernels -> simulation: the core driver (map, lower, simulate) or, with timing off, mappings only."""
from __future__ import annotations

import attrs
from npusim.errors import MappingError, NpusimError
from npusim.kernels import DIM_NAMES, KernelSpec, Mapping


@attrs.define
class MappingOnlyResult:
    """Result of a run with the timing simulation off (sim.timing = false): mappings, no cycles."""

    kernels: list = attrs.field(factory=list)
    mappings: list = attrs.field(factory=list)
    extra: dict = attrs.field(factory=dict)
    total_cycles: int | None = None

    def to_dict(self) -> dict:
        return {"total_cycles": None, "timing": "off", "kernels": self.kernels, **self.extra}


def whole_mapping(kernel: KernelSpec) -> Mapping:
    """One tile per dimension (the whole kernel) in the canonical loop order."""
    return Mapping(dict(kernel.dims), DIM_NAMES[kernel.op], source="whole")


def map_only(kernels: list[KernelSpec], machine, plugins=None) -> MappingOnlyResult:
    """Ask the machine's mapper for every kernel's mapping (whole tiles where it has none)."""
    from npusim.plugins import make_plugins

    plugins = plugins or make_plugins()
    impl = machine.impl("mapper")
    mapper = plugins.registry.get("mapper", impl).load()(machine.params("mapper"), machine, None)
    res = MappingOnlyResult()
    for k in kernels:
        try:
            m = mapper.best(k)
        except MappingError:
            m = whole_mapping(k)
        res.mappings.append(m)
        res.kernels.append({"name": k.name, "op": k.op, "dims": dict(k.dims), "mapping": m.to_dict(),
                            "cycles": None, "bound": None})
    return res


def run(kernels: list[KernelSpec], machine, plugins=None, trace: bool = False):
    """SimResult of `kernels` on `machine` (npusim.driver.run_kernels), or mappings only with timing off."""
    if not machine.sim.timing:
        return map_only(kernels, machine, plugins)
    try:
        from npusim.driver import run_kernels
    except ImportError as exc:
        raise NpusimError(f"timing simulation needs npusim.driver.run_kernels ({exc}); "
                          "set sim.timing = false for a functional-only run") from None
    return run_kernels(kernels, machine, plugins=plugins, trace=trace)
