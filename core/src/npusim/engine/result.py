"""SimResult: everything a simulation reports (cycles, per-unit utilization, memory stats, kernels)."""
from __future__ import annotations

from typing import Any

import attrs


@attrs.define
class SimResult:
    """Result of one simulation.

    total_cycles: core cycles from the first launch to the last completion [cycles]; excludes the L2 flush
    flush_cycles: core cycles of the end-of-run L2 flush, from its start until the memory system is idle
        [cycles] (not part of total_cycles); flush_writebacks: dirty lines it wrote back [lines]
    simulated_seconds: total_cycles / core frequency [s]; wall_seconds: host time spent [s]
    cores: per core {arrays: [{busy_cycles, utilization, tiles}], vector, dma, instructions, bytes...}
    dram / noc / cache: component stats (component-defined JSON); kernels: per launch
    {name, start_cycle, end_cycle, cycles, ...}; extra: frontend fields (functional_check, untimed_ops).
    """

    total_cycles: int
    simulated_seconds: float
    wall_seconds: float
    config: dict
    cores: list[dict]
    dram: dict
    noc: dict
    cache: dict
    kernels: list[dict]
    engine_seconds: float = 0.0
    mappings: list[Any] = attrs.field(factory=list)
    extra: dict = attrs.field(factory=dict)
    flush_cycles: int = 0
    flush_writebacks: int = 0
    trace: Any = None  # (unit events, DRAM counter triples, counter window ps) when tracing was on

    def to_dict(self) -> dict:
        out = {"total_cycles": self.total_cycles, "simulated_seconds": self.simulated_seconds,
               "total_cycles_include_flush": False, "flush_cycles": self.flush_cycles,
               "flush_writebacks": self.flush_writebacks,
               "wall_seconds": self.wall_seconds, "engine_seconds": self.engine_seconds, "config": self.config,
               "cores": self.cores, "dram": self.dram, "noc": self.noc, "cache": self.cache, "kernels": self.kernels}
        out.setdefault("untimed_ops", [])
        out.setdefault("functional_check", {"status": "off"})
        out.update(self.extra)
        return out
