"""Python orchestration of the C++ engine: build components, allocate tensors, launch TOGs, collect results."""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from npusim.config import load_config
from npusim.config.schema import MachineConfig
from npusim.cpp import load_cpp
from npusim.engine.components import build_components
from npusim.engine.flatten import flatten
from npusim.engine.result import SimResult
from npusim.errors import NpusimError
from npusim.tog.ops import Dma, Tog

HERE = Path(__file__).resolve().parent
ALIGN = 4096  # tensor base alignment [bytes] (one DRAM page)


class SimulationError(NpusimError):
    """The engine stopped with an error (scratchpad overflow, memory-path deadlock)."""


def _load_engine():
    load_cpp("npusim_engine", [HERE / "engine.cpp"], [HERE / "sparsity.hpp", HERE / "engine.hpp"], [HERE],
             extra_flags=["-O3"])


class Simulator:
    """One machine, one engine; launch TOGs on partitions and run.

    >>> sim = Simulator("tpuv3"); res = sim.run([tog]); res.total_cycles
    """

    def __init__(self, machine: MachineConfig | str | dict | None = None, plugins=None, trace: bool = False,
                 profile: bool = False):
        t0 = time.perf_counter()
        if plugins is None:
            from npusim.plugins import make_plugins

            plugins = make_plugins()
        self.plugins = plugins
        self.machine = machine if isinstance(machine, MachineConfig) else load_config(machine, plugins)
        self.components = build_components(self.machine, plugins)
        _load_engine()
        import cppyy

        core = self.machine.core
        p = cppyy.gbl.npusim.EngineParams()
        p.num_cores, p.core_mhz, p.arrays = core.num_cores, core.freq_mhz, core.num_systolic_arrays
        p.dma_engines, p.dma_max_outstanding = core.dma_engines, core.dma_max_outstanding
        p.dma_bytes_per_cycle, p.dma_latency_cycles = core.dma_bytes_per_cycle, core.dma_latency_cycles
        p.ports_per_core, p.issue_window, p.spad_bytes = core.injection_ports, core.issue_window, core.spad_bytes
        mem = self.machine.memory
        p.interleave_bytes, p.interleave_ipoly = mem.interleave_bytes, int(mem.interleave == "ipoly")
        p.txn_bytes, p.numa_partitions = mem.txn_bytes, mem.numa_partitions
        trace = trace or self.machine.sim.trace
        p.trace = int(trace)
        p.profile = int(profile)  # host time inside the memory device / NoC -> result.extra["engine"]["profile"]
        self.trace_enabled = trace
        self.trace_window_ps = p.trace_window
        c = self.components
        top = c.cache.cpp if c.cache.cpp is not None else c.dram.cpp
        self.engine = cppyy.gbl.npusim.Engine(p, top, c.noc.cpp, c.timing.cpp)
        if c.cache.cpp is not None:
            self.engine.set_cache(c.cache.cpp)
        for core_id, part in enumerate(self.machine.partition_of_core()):
            self.engine.set_partition(core_id, part)
        self._cacheable = getattr(c.cache, "plan", None) if c.cache.cpp is not None else None
        self._next_addr = 0
        self._addr: dict[str, int] = {}
        self._kernels: list[Tog] = []
        self._bases: list[dict[str, int]] = []  # per kernel: tensor name -> base byte address
        self._launches: list[tuple[int, int, int]] = []  # (launch id, kernel index, partition)
        self._wall0 = time.perf_counter()
        self.setup_seconds = self._wall0 - t0
        self.engine_seconds = 0.0
        self._started = False
        self._flushed = True  # nothing to flush before the first launch

    # -- memory -------------------------------------------------------------------------------
    def address_of(self, key: str, nbytes: int) -> int:
        """Base address of buffer `key` (allocated on first use, 4 KiB aligned)."""
        if key.startswith("@"):  # fixed address (imported TOGs): "@<byte address>"
            return int(key[1:])
        if key not in self._addr:
            self._addr[key] = self._next_addr
            self._next_addr += -(-max(nbytes, 1) // ALIGN) * ALIGN
        return self._addr[key]

    # -- launching ----------------------------------------------------------------------------
    def add(self, tog: Tog) -> int:
        """Register a TOG with the engine; returns its kernel index."""
        import cppyy

        idx = len(self._kernels)
        base = {name: self.address_of(t.alias or f"k{idx}.{name}", t.nbytes) for name, t in tog.tensors.items()}
        nodes, dims, offs, deps, nvars, root = flatten(tog, base, self._cacheable)
        v = cppyy.gbl.std.vector["int64_t"]
        kid = self.engine.add_kernel(tog.name, v(nodes), v(dims), v(offs), v(deps), nvars, root)
        assert kid == idx
        self._kernels.append(tog)
        self._bases.append(base)
        return idx

    # -- data-dependent timing (sparsity) -------------------------------------------------------
    def _node_index(self, kid: int, node_id: int) -> int:
        return next(i for i, (n, _) in enumerate(self._kernels[kid].walk()) if n.id == node_id)

    def _byte_addr(self, kid: int, node_id: int, elem_offset: int) -> int:
        tog = self._kernels[kid]
        t = tog.tensors[tog.nodes[node_id].tensor]
        return self._bases[kid][t.name] + int(elem_offset) * t.elem_bytes

    def skip_loads(self, kid: int, node_id: int, elem_offsets) -> None:
        """Load node `node_id` of kernel `kid` skips (no MOVIN) every instance whose tile starts at one of
        `elem_offsets` (elements from its tensor's start): all-zero tiles."""
        import cppyy

        addrs = [self._byte_addr(kid, node_id, o) for o in elem_offsets]
        self.engine.sparsity().skip_loads(kid, self._node_index(kid, node_id), cppyy.gbl.std.vector["int64_t"](addrs))

    def sparse_gemms(self, kid: int, node_id: int, rows) -> None:
        """GEMM node `node_id` of kernel `kid`: rows (A tile offset, B tile offset, latency, occupancy) override
        the timing of the instance whose two load dependencies start at those element offsets; latency 0 =
        every product is zero (not issued)."""
        import cppyy

        tog = self._kernels[kid]
        la, lb = [d for d in tog.nodes[node_id].deps if isinstance(tog.nodes[d], Dma)][:2]
        flat = []
        for a_off, b_off, lat, occ in rows:
            flat += [self._byte_addr(kid, la, a_off), self._byte_addr(kid, lb, b_off), int(lat), int(occ)]
        self.engine.sparsity().gemm_timings(kid, self._node_index(kid, node_id), cppyy.gbl.std.vector["int64_t"](flat))

    def launch(self, tog: Tog | int, partition: int = 0, at_cycle: float = 0, tenant: int = 0) -> int:
        """Queue a kernel on `partition` no earlier than `at_cycle` (core cycles); returns a launch id."""
        kid = tog if isinstance(tog, int) else self.add(tog)
        if not 0 <= partition < self.machine.scheduler.num_partitions:
            raise NpusimError(f"partition {partition} does not exist (0..{self.machine.scheduler.num_partitions - 1})")
        at = int(round(at_cycle * self.period_ps))
        lid = int(self.engine.launch(kid, partition, at, tenant))
        self._flushed = False
        self._launches.append((lid, kid, partition))
        return lid

    @property
    def period_ps(self) -> int:
        return int(self.engine.core_period())

    def run_until(self, cycle: float | None = None) -> float:
        """Run until `cycle` (core cycles) or until idle (None). Returns the current cycle."""
        limit = 2**62 if cycle is None else int(cycle * self.period_ps)
        if not self._started:
            self._started = True
            self.plugins.hook.npusim_sim_start(sim=self)
        t0 = time.perf_counter()
        self.engine.run(limit)
        self.engine_seconds += time.perf_counter() - t0
        err = str(self.engine.error())
        if err:
            raise SimulationError(err)
        return self.now_cycles

    @property
    def now_cycles(self) -> float:
        return int(self.engine.now()) / self.period_ps

    def launch_span(self, launch_id: int) -> tuple[float, float]:
        """(start, end) of a launch in core cycles; end is -1 while it runs."""
        s, e = int(self.engine.launch_start(launch_id)), int(self.engine.launch_end(launch_id))
        return (s / self.period_ps if s >= 0 else -1, e / self.period_ps if e >= 0 else -1)

    def run(self, togs: list[Tog] | None = None, partition: int = 0) -> SimResult:
        """Launch `togs` in order on `partition`, run to completion and return the result."""
        for tog in togs or []:
            self.launch(tog, partition)
        self.run_until(None)
        return self.result()

    def flush(self) -> int:
        """End of run: write the L2's dirty lines back (CacheDevice::flush) and drain the memory system.

        Only once every launch is done (no-op otherwise, and without a cache). The flush's time is
        reported as flush_cycles, outside every kernel's span and outside total_cycles (PyTorchSim
        reports kernel cycles without it). Returns the write-backs queued by this call.
        """
        if self._flushed or self.components.cache.cpp is None:
            return 0
        if any(self.engine.partition_busy(p) for p in range(self.machine.scheduler.num_partitions)):
            return 0
        self._flushed = True
        t0 = time.perf_counter()
        n = int(self.engine.flush_cache())
        self.engine_seconds += time.perf_counter() - t0
        err = str(self.engine.error())
        if err:
            raise SimulationError(err)
        return n

    # -- results ------------------------------------------------------------------------------
    def result(self) -> SimResult:
        """Collect stats of everything simulated so far (after the end-of-run L2 flush, see flush())."""
        self.flush()
        stats = json.loads(str(self.engine.stats_json()))
        period = self.period_ps
        kernels = []
        core = self.machine.core
        peak = self.components.dram.cpp.peak_bytes_per_ps() * period  # bytes per core cycle
        cores_of = Counter(self.machine.partition_of_core())
        for lid, kid, part in self._launches:
            s, e = self.launch_span(lid)
            tog = self._kernels[kid]
            cycles = e - s if e >= 0 else None
            busy = int(self.engine.launch_array_busy(lid)) / period
            nbytes = int(self.engine.launch_bytes(lid))
            arrays = core.num_systolic_arrays * cores_of[part]
            util = {"array_utilization": busy / (arrays * cycles) if cycles else 0.0,
                    "dram_utilization": nbytes / (peak * cycles) if cycles else 0.0}
            # bound: the resource closer to saturation over the kernel's span
            util["bound"] = "compute" if util["array_utilization"] >= util["dram_utilization"] else "memory"
            kernels.append({"name": tog.name, "launch": lid, "partition": part, "start_cycle": s, "end_cycle": e,
                            "cycles": cycles, "dram_bytes": nbytes, **util,
                            **{k: v for k, v in tog.meta.items() if k in ("op", "dims", "dtype", "mapping", "flops")}})
        end = max((k["end_cycle"] for k in kernels), default=0)
        start = min((k["start_cycle"] for k in kernels), default=0)
        total = int(round(end - start)) if kernels else 0
        cores = stats["cores"]
        for c in cores:
            for unit in [*c["arrays"], c["vector"], *c["dma"]]:
                busy = unit.get("busy_cycles", unit.get("active_cycles", 0))
                unit["utilization"] = busy / total if total else 0.0
            span_s = total * period * 1e-12
            c["read_GBps"] = c["bytes_read"] / span_s / 1e9 if span_s else 0.0
            c["write_GBps"] = c["bytes_written"] / span_s / 1e9 if span_s else 0.0
        comp = self.components
        trace = None
        if self.trace_enabled:
            ev = self.engine.trace()
            trace = ([(e.track, e.name, e.kernel, e.start, e.end) for e in ev], list(self.engine.dram_counters()),
                     int(self.trace_window_ps))
        res = SimResult(
            total_cycles=total, simulated_seconds=total * period * 1e-12,
            wall_seconds=time.perf_counter() - self._wall0 + self.setup_seconds, config=self.machine.to_dict(),
            cores=cores, dram=comp.dram.stats(), noc=comp.noc.stats(),
            cache=comp.cache.stats() if comp.cache.cpp is not None else {}, kernels=kernels,
            engine_seconds=self.engine_seconds, trace=trace,
            flush_cycles=int(round(int(self.engine.flush_ps()) / period)),
            flush_writebacks=int(self.engine.flush_writebacks()),
            extra={"tenant_bytes": stats["tenant_bytes"], "sparsity": stats["sparsity"], "engine": stats["engine"]})
        self.plugins.hook.npusim_sim_finish(sim=self, result=res)
        extra: dict = {}
        self.plugins.hook.npusim_report(result=res, out=extra)  # plugins add report entries
        res.extra.update(extra)
        return res


def simulate(togs: list[Tog], machine=None, trace: bool = False) -> SimResult:
    """Run `togs` in order on partition 0 of `machine` (preset name, path, dict or MachineConfig)."""
    return Simulator(machine, trace=trace).run(togs)
