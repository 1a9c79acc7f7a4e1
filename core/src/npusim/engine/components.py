"""Build the configured components of a machine (dram -> cache -> noc -> timing) from the registry."""
from __future__ import annotations

import attrs

from npusim.config.schema import MachineConfig
from npusim.interfaces.context import BuildContext

BUILD_ORDER = ("dram", "cache", "noc", "timing")
KIND_OF = {"dram": "dram", "cache": "cache", "noc": "noc", "timing": "core"}


@attrs.define
class MachineComponents:
    """The built component objects of one machine (each has `.cpp`, the C++ interface object)."""

    ctx: BuildContext
    dram: object
    cache: object
    noc: object
    timing: object


def build_one(section: str, machine: MachineConfig, plugins, ctx: BuildContext):
    """Instantiate the component selected in `machine`'s `section`."""
    spec = plugins.registry.get(KIND_OF[section], machine.impl(section))
    return spec.load()(machine.params(section), ctx)


def build_components(machine: MachineConfig, plugins=None) -> MachineComponents:
    """Build all memory-system and timing components of `machine`."""
    if plugins is None:
        from npusim.plugins import make_plugins

        plugins = make_plugins()
    ctx = BuildContext(machine)
    built = {sec: build_one(sec, machine, plugins, ctx) for sec in BUILD_ORDER}
    if built["cache"].cpp is not None:
        built["cache"].cpp.set_downstream(built["dram"].cpp)
    return MachineComponents(ctx, **built)
