"""What a component constructor receives (BuildContext) and what it must provide (Component)."""
from __future__ import annotations

from typing import Any, Protocol

import attrs

from npusim.config.schema import MachineConfig


@attrs.define
class BuildContext:
    """Machine facts a component needs when it is built.

    Components are built in the order dram -> cache -> noc -> timing; fields are filled as soon as
    they are known (num_channels after the DRAM is built).
    """

    machine: MachineConfig
    num_channels: int = 0  # memory channels (set by the DRAM component)
    dram_freq_mhz: float = 0.0  # DRAM command clock (set by the DRAM component)

    @property
    def num_cores(self) -> int:
        return self.machine.core.num_cores

    @property
    def ports_per_core(self) -> int:
        return self.machine.core.injection_ports

    @property
    def num_core_ports(self) -> int:
        return self.num_cores * self.ports_per_core

    @property
    def num_nodes(self) -> int:
        """NoC nodes: core ports first (core c, port p -> c*ports+p), then memory channels."""
        return self.num_core_ports + self.num_channels


class Component(Protocol):
    """A component instance: built as `Impl(config, ctx)`; `cpp` is the C++ object the engine calls.

    DRAM: npusim::MemoryDevice; cache: npusim::CacheDevice (or None for no cache);
    NoC: npusim::Interconnect; timing: npusim::ComputeTiming. Mappers/frontends/reporters are
    pure Python and have no `cpp`.
    """

    cpp: Any

    def stats(self) -> dict:
        """Component statistics after a run (defaults to json.loads(cpp.stats_json()))."""
