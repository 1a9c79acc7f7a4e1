"""The `sectored` L2 component: config class and the Python factory building the C++ SectoredL2."""
from __future__ import annotations

import json
from pathlib import Path

import attrs

from npusim.config.fields import param
from npusim.cpp import load_cpp
from npusim.errors import ConfigError
from npusim.interfaces.context import BuildContext
from npusim_cache.accelsim import CacheGeometry, parse_cache_string
from npusim_cache.plan import load_plan

CPP_DIR = Path(__file__).resolve().parent / "cpp"
# AccelSim's RTX 3070 L2 (gpgpusim.config -gpgpu_cache:dl2): 64 sets x 16 ways x 128 B = 128 KiB per slice.
DEFAULT_STRING = "S:64:128:16,L:B:m:L:P,A:192:4,32:0,32"


def load_library() -> None:
    """Compile (once) and load the cache plugin's C++ sources."""
    load_cpp("npusim_cache", [CPP_DIR / "l2_policy.cpp", CPP_DIR / "sectored_l2.cpp"],
             [CPP_DIR / "flat_map.hpp", CPP_DIR / "slot_pool.hpp", CPP_DIR / "l2_policy.hpp",
              CPP_DIR / "sectored_l2.hpp"], [CPP_DIR])
    import cppyy

    cls = cppyy.gbl.npusim.SectoredL2
    if not getattr(cls, "_npusim_keepalive", False):
        # The proxy keeps its downstream proxy (and so the C++ device) alive, whoever connects them:
        # the C++ side holds a raw pointer only.
        raw = cls.set_downstream

        def set_downstream(self, nxt):
            self._downstream_keepalive = nxt
            return raw(self, nxt)

        cls.set_downstream = set_downstream
        cls._npusim_keepalive = True


def cpp_params(geom: CacheGeometry):
    """npusim::l2::Params for a decoded cache string."""
    load_library()
    import cppyy

    p = cppyy.gbl.npusim.l2.Params()
    p.sectored = int(geom.sectored)
    p.sets = geom.sets
    p.line_bytes = geom.line_bytes
    p.assoc = geom.assoc
    p.sector_bytes = geom.sector_bytes
    p.replacement = geom.replacement
    p.write_policy = geom.write_policy
    p.alloc_on_fill = geom.alloc_on_fill
    p.write_alloc = geom.write_alloc
    p.set_index = geom.set_index
    p.mshr_entries = geom.mshr_entries
    p.mshr_max_merge = geom.mshr_max_merge
    return p


def functional_policy(text: str):
    """A C++ npusim::l2::L2Policy (one slice, no timing) for the cache string `text`."""
    params = cpp_params(parse_cache_string(text))
    import cppyy

    return cppyy.gbl.npusim.l2.L2Policy(params)


@attrs.define
class SectoredCacheConfig:
    """AccelSim-style sectored L2, one slice per memory channel, with an optional persistent plan."""

    config: str = param(DEFAULT_STRING, "AccelSim cache string T:sets:line:assoc[,sector],rep:wp:alloc:wralloc[:sif],"
                        "mshr:entries:merge[,miss_queue[:fifo]][,port] per slice (PyTorchSim l2d_config)")
    hit_latency_cycles: int = param(1, "L2 cycles from lookup (or fill) to response (PyTorchSim l2d_hit_latency, "
                                    "default 1 in TOGSim SimulationConfig.h)", "cycles")
    freq_mhz: float = param(0.0, "L2 clock; 0 = the core clock (TOGSim ticks the L2 in core_cycle)", "MHz")
    plan_path: str = param("", "persistent-cache plan file naming the cacheable tensors (PyTorchSim "
                           "SRAM_BUFFER_PLAN_PATH, e.g. plan = {\"arg0_1\"}); used when mode = 'plan'")
    mode: str = param("transparent", "'plan': only tensors named in plan_path are cacheable (TPUv4 CMEM); "
                      "'transparent': every tensor is cacheable", choices=("plan", "transparent"))
    input_queue_size: int = param(32, "requests that may wait per slice before try_send refuses", "requests")


class SectoredCache:
    """Memory-side sectored set-associative L2 in C++ (npusim::SectoredL2) in front of the DRAM."""

    def __init__(self, config: SectoredCacheConfig, ctx: BuildContext):
        self.config = config
        self.geometry = parse_cache_string(config.config)
        if config.hit_latency_cycles < 1:
            raise ConfigError(f"cache.hit_latency_cycles: {config.hit_latency_cycles} is invalid; expected >= 1")
        if config.input_queue_size < 1:
            raise ConfigError(f"cache.input_queue_size: {config.input_queue_size} is invalid; expected >= 1")
        if config.mode == "plan":
            if not config.plan_path:
                raise ConfigError("cache.plan_path: required when cache.mode = 'plan' "
                                  "(a file like plan = {\"arg0_1\"})")
            self.plan: set[str] | None = load_plan(config.plan_path)
        else:
            if config.plan_path:
                raise ConfigError("cache.plan_path is set but cache.mode = 'transparent'; set cache.mode = 'plan' "
                                  "or drop plan_path")
            self.plan = None
        channels = ctx.num_channels
        if channels < 1:
            raise ConfigError("cache: the DRAM must be built first (ctx.num_channels is 0)")
        freq = config.freq_mhz if config.freq_mhz > 0 else ctx.machine.core.freq_mhz
        if freq <= 0:
            raise ConfigError(f"cache.freq_mhz: {config.freq_mhz} is invalid; expected > 0 (or 0 = core clock)")
        self.freq_mhz = freq
        g = self.geometry
        params = cpp_params(g)
        import cppyy

        self.cpp = cppyy.gbl.npusim.SectoredL2(channels, params, freq, config.hit_latency_cycles,
                                               g.miss_queue_size, config.input_queue_size, g.data_port_bytes)
        self.capacity_bytes = g.slice_bytes * channels
        self._downstream = None

    def cacheable(self, tensor: str) -> bool:
        """Whether DMA of `tensor` should carry the cacheable flag (MemRequest.flags bit 0)."""
        return self.plan is None or tensor in self.plan

    def connect(self, downstream) -> None:
        """Attach the downstream component (its `cpp` MemoryDevice), keeping it alive."""
        self.cpp.set_downstream(getattr(downstream, "cpp", downstream))
        self._downstream = downstream

    def stats(self) -> dict:
        """Cache statistics (top-level totals plus per-slice lists) and the plan in use."""
        out = json.loads(str(self.cpp.stats_json()))
        out["mode"] = self.config.mode
        out["plan"] = sorted(self.plan) if self.plan is not None else None
        out["config"] = self.geometry.text
        return out
