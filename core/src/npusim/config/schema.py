"""Machine config schema: fixed kernel sections (attrs) plus one `impl`-selected section per component."""
from __future__ import annotations

import attrs

from npusim.config.fields import param

# Component sections: section name -> registry kind. Each holds `impl` plus that impl's params.
COMPONENT_SECTIONS = {"timing": "core", "dram": "dram", "noc": "noc", "cache": "cache", "mapper": "mapper"}
DEFAULT_IMPLS = {"timing": "analytic", "dram": "simple", "noc": "simple", "cache": "none", "mapper": "heuristic"}


@attrs.define
class CoreConfig:
    """NPU core hardware shared by all cores (defaults: one TPUv3-like core, PyTorchSim tpuv3 preset)."""

    num_cores: int = param(1, "number of NPU cores", "cores")
    freq_mhz: float = param(940.0, "core clock frequency", "MHz")
    num_systolic_arrays: int = param(2, "systolic arrays per core", "arrays")
    array_rows: int = param(128, "systolic array rows (PEs along the reduction dimension)", "PEs")
    array_cols: int = param(128, "systolic array columns (PEs along the output-column dimension)", "PEs")
    vector_lanes: int = param(128, "vector unit lanes (each owns a scratchpad slice)", "lanes")
    spad_kib_per_lane: int = param(128, "scratchpad capacity per vector lane", "KiB")
    vlen_bits: int = param(256, "vector register length per lane (RISC-V V VLEN)", "bits")
    accum_kib: int = param(4096, "accumulator SRAM for GEMM partial sums (separate from scratchpad)", "KiB")
    dma_engines: int = param(2, "DMA queues per core; with >1 the last queue carries stores (MOVOUT) and the "
                             "others loads (MOVIN), so stores never block the next tile's loads", "queues")
    dma_max_outstanding: int = param(512, "outstanding memory transactions per DMA queue", "transactions")
    dma_bytes_per_cycle: int = param(512, "bytes a DMA queue can issue per core cycle (481 GB/s at 940 MHz is "
                                     "512 B/cycle)", "bytes/cycle")
    dma_latency_cycles: int = param(0, "fixed DMA pipeline latency from a DMA's last memory response to its "
                                    "completion (descriptor handling, on-chip return path, completion signal); "
                                    "charged once per DMA, it never limits bandwidth", "cycles")
    injection_ports: int = param(1, "NoC injection ports per core (PyTorchSim icnt_injection_ports_per_core)",
                                 "ports")
    issue_window: int = param(64, "instructions in flight per core (in-order issue, out-of-order completion)",
                              "instructions")

    @property
    def spad_bytes(self) -> int:
        return self.vector_lanes * self.spad_kib_per_lane * 1024


@attrs.define
class MemoryMapConfig:
    """How DMA addresses map to memory channels and how DMA tiles are cut into transactions."""

    interleave: str = param("ipoly", "channel interleaving: 'plain' (addr/granule mod channels) or 'ipoly' "
                            "(PyTorchSim's XOR/polynomial hash)", choices=("plain", "ipoly"))
    interleave_bytes: int = param(256, "channel interleaving granularity", "bytes")
    txn_bytes: int = param(128, "largest DMA transaction sent to memory (aligned; the DRAM splits it into its "
                           "column accesses, e.g. 4 x 32 B on HBM2)",
                           "bytes")
    numa_partitions: int = param(1, "DRAM NUMA partitions (PyTorchSim dram_num_partitions); channel c is in "
                                 "partition c*P/channels, core k is local to partition k*P/cores", "partitions")


@attrs.define
class SchedulerConfig:
    """Request queues and their cores (PyTorchSim num_partition / partition)."""

    num_partitions: int = param(1, "number of request queues / core partitions", "partitions")
    partition: dict[str, int] = param({}, "core id -> partition id (empty: all cores in partition 0)")


@attrs.define
class SimConfig:
    """Simulation modes and outputs."""

    tls: bool = param(True, "tile-level simulation (True) or instruction-level (False); env NPUSIM_TLS_MODE")
    functional: bool = param(True, "execute tiles functionally and check against eager; env NPUSIM_FUNCTIONAL")
    dump_path: str = param("", "directory for logs/traces/TOGs ('' = none); env NPUSIM_DUMP_PATH")
    max_cycles: int = param(0, "stop after this many core cycles (0 = run to completion)", "cycles")
    timing: bool = param(True, "run the timing simulation (PyTorchSim pytorchsim_timing_mode)")
    trace: bool = param(False, "record a per-unit timeline for Chrome/Perfetto traces (CLI --trace sets it)")
    dtype: str = param("fp32", "default element type of workloads", choices=("fp32", "bf16", "fp16", "int8"))
    compiler_optimization: str | list[str] = param(
        "all", "fusion passes: 'all', 'none', or a list of pass names (PyTorchSim codegen_compiler_optimization)")


@attrs.define
class MachineConfig:
    """One machine: kernel sections plus the selected components with their typed params."""

    name: str = "custom"
    description: str = ""
    core: CoreConfig = attrs.field(factory=CoreConfig)
    memory: MemoryMapConfig = attrs.field(factory=MemoryMapConfig)
    scheduler: SchedulerConfig = attrs.field(factory=SchedulerConfig)
    sim: SimConfig = attrs.field(factory=SimConfig)
    # section -> (impl name, params attrs instance)
    components: dict = attrs.field(factory=dict)
    source: str = ""

    def impl(self, section: str) -> str:
        return self.components[section][0]

    def params(self, section: str):
        return self.components[section][1]

    def to_dict(self) -> dict:
        out = {"name": self.name, "description": self.description}
        for sec in ("core", "memory", "scheduler", "sim"):
            out[sec] = attrs.asdict(getattr(self, sec))
        for sec, (impl, params) in self.components.items():
            out[sec] = {"impl": impl, **attrs.asdict(params)}
        return out

    def partition_of_core(self) -> list[int]:
        """Partition id of every core."""
        part = [0] * self.core.num_cores
        for k, v in self.scheduler.partition.items():
            part[int(k)] = int(v)
        return part


KERNEL_SECTIONS = {"core": CoreConfig, "memory": MemoryMapConfig, "scheduler": SchedulerConfig, "sim": SimConfig}
