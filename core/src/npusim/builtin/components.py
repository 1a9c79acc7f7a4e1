"""Python factories of the builtin components; each builds its C++ object through cppyy."""
from __future__ import annotations

import json
from pathlib import Path

import attrs

from npusim.config.fields import param
from npusim.cpp import load_cpp
from npusim.interfaces.context import BuildContext

HERE = Path(__file__).resolve().parent
# Default vector issue cost per op class (cycles per vector instruction), indexed by npusim::VecOp.
# ALU/FMA/compare: 1 (fully pipelined RVV ALU); div 8, sqrt 8, exp/log/tanh/erf/sigmoid 4 (multi-cycle
# special-function unit, cf. Ara RVV SFU figures); reductions 1 per element group + log2 tree; copy 1.
DEFAULT_OP_CYCLES = [1, 1, 1, 8, 8, 4, 4, 4, 4, 4, 1, 1, 2, 1]


def _load_builtins() -> None:
    load_cpp("npusim_builtin", [HERE / "simple_dram.cpp", HERE / "simple_noc.cpp", HERE / "analytic_core.cpp"],
             [HERE / "simple_dram.hpp", HERE / "simple_noc.hpp", HERE / "analytic_core.hpp"], [HERE])


class _CppComponent:
    cpp = None

    def stats(self) -> dict:
        return json.loads(str(self.cpp.stats_json())) if self.cpp is not None else {}


@attrs.define
class SimpleDramConfig:
    """Fixed-latency DRAM (PyTorchSim 'simple')."""

    channels: int = param(16, "memory channels", "channels")
    freq_mhz: float = param(940.0, "DRAM clock", "MHz")
    latency_cycles: int = param(100, "fixed access latency", "DRAM cycles")
    req_bytes: int = param(32, "bytes transferred per channel per DRAM cycle (PyTorchSim dram_req_size)", "bytes")
    burst_length: int = param(2, "burst length (kept for PyTorchSim configs; the simple model moves req_bytes "
                              "per cycle)", "beats")
    queue_size: int = param(32, "requests that may wait per channel before back-pressure", "requests")


class SimpleDram(_CppComponent):
    """Fixed latency, one req_bytes request per DRAM cycle per channel."""

    def __init__(self, config: SimpleDramConfig, ctx: BuildContext):
        _load_builtins()
        import cppyy

        self.config = config
        self.cpp = cppyy.gbl.npusim.SimpleDram(config.channels, config.freq_mhz, config.latency_cycles,
                                               config.req_bytes, config.queue_size)
        ctx.num_channels = config.channels
        ctx.dram_freq_mhz = config.freq_mhz


@attrs.define
class SimpleNocConfig:
    """Fixed-latency interconnect (PyTorchSim 'simple')."""

    freq_mhz: float = param(940.0, "interconnect clock", "MHz")
    latency_cycles: int = param(10, "fixed packet latency", "NoC cycles")


class SimpleNoc(_CppComponent):
    """Fixed latency, FIFO per (src,dst), one packet per cycle into each destination."""

    def __init__(self, config: SimpleNocConfig, ctx: BuildContext):
        _load_builtins()
        import cppyy

        self.config = config
        self.cpp = cppyy.gbl.npusim.SimpleNoc(ctx.num_nodes, config.freq_mhz, config.latency_cycles)


@attrs.define
class NoCacheConfig:
    """No L2: DMA requests go straight to DRAM."""


class NoCache(_CppComponent):
    """Absent cache (the engine connects the NoC directly to the DRAM)."""

    def __init__(self, config: NoCacheConfig, ctx: BuildContext):
        self.config = config
        self.cpp = None


@attrs.define
class AnalyticCoreConfig:
    """Analytic compute timing (SCALE-Sim formula without preload overlap; vector throughput model)."""

    dataflow: str = param("ws", "systolic dataflow", choices=("ws", "os", "is"))
    op_cycles: list[int] = param(DEFAULT_OP_CYCLES, "issue cycles per vector instruction, by op class "
                                 "(add, fma, cmp, div, sqrt, exp, log, tanh, erf, sigmoid, rsum, rmax, "
                                 "transpose, copy)", "cycles")


class AnalyticCore(_CppComponent):
    """Closed-form compute timing."""

    def __init__(self, config: AnalyticCoreConfig, ctx: BuildContext):
        _load_builtins()
        import cppyy

        core = ctx.machine.core
        self.config = config
        ops = cppyy.gbl.std.vector["int64_t"](list(config.op_cycles))
        self.cpp = cppyy.gbl.npusim.AnalyticCore(core.array_rows, core.array_cols,
                                                 ("ws", "os", "is").index(config.dataflow),
                                                 core.vector_lanes, core.vlen_bits, ops)
