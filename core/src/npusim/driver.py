"""Map -> lower -> simulate a list of kernels on a machine (the path every frontend uses)."""
from __future__ import annotations

from npusim.config import load_config
from npusim.config.schema import MachineConfig
from npusim.engine.result import SimResult
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec
from npusim.lowering import lower


def make_mapper(machine: MachineConfig, plugins, timing=None):
    """The machine's configured mapper, built with its timing component."""
    spec = plugins.registry.get("mapper", machine.impl("mapper"))
    return spec.load()(machine.params("mapper"), machine, timing)


def run_kernels(kernels: list[KernelSpec], machine: MachineConfig | str | None = None, plugins=None,
                trace: bool = False) -> SimResult:
    """Map every kernel with the machine's mapper, lower it to a TOG and simulate all in order."""
    if plugins is None:
        from npusim.plugins import make_plugins

        plugins = make_plugins()
    if not isinstance(machine, MachineConfig):
        machine = load_config(machine, plugins)
    sim = Simulator(machine, plugins, trace=trace)
    mapper = make_mapper(machine, plugins, sim.components.timing)
    mappings = []
    for kernel in kernels:
        mapping = mapper.best(kernel)
        mappings.append(mapping)
        sim.launch(lower(kernel, mapping, machine))
    sim.run_until(None)
    result = sim.result()
    result.mappings = mappings
    return result
