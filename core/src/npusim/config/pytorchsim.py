"""Translate PyTorchSim's flat JSON configs (parser and README spellings) into npusim's sectioned form."""
from __future__ import annotations

from npusim.errors import ConfigError
from npusim.registry import closest

# flat key -> (section, key) ; a value of None means "accepted and ignored" (print intervals etc.)
FLAT_KEYS: dict[str, tuple[str, str] | None] = {
    "num_cores": ("core", "num_cores"),
    "core_freq_mhz": ("core", "freq_mhz"),
    "core_freq": ("core", "freq_mhz"),
    "num_systolic_array_per_core": ("core", "num_systolic_arrays"),
    "vpu_num_lanes": ("core", "vector_lanes"),
    "vpu_spad_size_kb_per_lane": ("core", "spad_kib_per_lane"),
    "vpu_vector_length_bits": ("core", "vlen_bits"),
    "icnt_injection_ports_per_core": ("core", "injection_ports"),
    "dram_type": ("dram", "impl"),
    "dram_freq_mhz": ("dram", "freq_mhz"),
    "dram_freq": ("dram", "freq_mhz"),
    "dram_channels": ("dram", "channels"),
    "dram_req_size_byte": ("dram", "req_bytes"),
    "dram_req_size": ("dram", "req_bytes"),
    "dram_num_burst_length": ("dram", "burst_length"),
    "dram_nbl": ("dram", "burst_length"),
    "dram_latency": ("dram", "latency_cycles"),
    "ramulator_config_path": ("dram", "config_path"),
    "dram_config_path": ("dram", "config_path"),
    "dram_num_partitions": ("memory", "numa_partitions"),
    "l2d_type": ("cache", "impl"),
    "l2d_config": ("cache", "config"),
    "l2d_hit_latency": ("cache", "hit_latency_cycles"),
    "icnt_type": ("noc", "impl"),
    "icnt_latency_cycles": ("noc", "latency_cycles"),
    "icnt_latency": ("noc", "latency_cycles"),
    "icnt_freq_mhz": ("noc", "freq_mhz"),
    "icnt_freq": ("noc", "freq_mhz"),
    "booksim_config_path": ("noc", "config_path"),
    "icnt_config_path": ("noc", "config_path"),
    "num_partition": ("scheduler", "num_partitions"),
    "partition": ("scheduler", "partition"),
    "codegen_mapping_strategy": ("mapper", "impl"),
    "codegen_external_mapping_file": ("mapper", "mapping_file"),
    "codegen_autotune_max_retry": ("mapper", "max_retry"),
    "codegen_autotune_template_topk": ("mapper", "topk"),
    "codegen_compiler_optimization": ("sim", "compiler_optimization"),
    "pytorchsim_functional_mode": ("sim", "functional"),
    "pytorchsim_timing_mode": ("sim", "timing"),
    "precision": ("sim", "dtype"),
    "core_type": ("timing", "dataflow"),
    "core_print_interval": None,
    "dram_print_interval": None,
    "icnt_print_interval": None,
    "l2d_print_interval": None,
    "num_stats_print_interval": None,
}

# PyTorchSim component names -> npusim impl names
IMPL_NAMES = {
    ("dram", "ramulator2"): "hbm2", ("dram", "ramulator"): "hbm2", ("dram", "simple"): "simple",
    ("noc", "booksim2"): "booksim", ("noc", "booksim"): "booksim", ("noc", "simple"): "simple",
    ("cache", "nocache"): "none", ("cache", "datacache"): "sectored", ("cache", "none"): "none",
}
PRECISION = {4: "fp32", 2: "fp16", 1: "int8", "4": "fp32", "2": "fp16", "1": "int8"}
CORE_TYPES = {"ws_mesh": "ws", "os_mesh": "os", "is_mesh": "is", "ws": "ws", "os": "os", "is": "is"}


def is_flat(raw: dict) -> bool:
    """True when `raw` looks like a PyTorchSim flat config (no npusim sections, known flat keys)."""
    return any(k in FLAT_KEYS for k in raw) and not any(isinstance(v, dict) and k != "partition"
                                                         for k, v in raw.items())


def from_flat(raw: dict, source: str) -> dict:
    """Sectioned npusim dict equivalent to the flat PyTorchSim config `raw`."""
    out: dict[str, dict] = {"name": raw.get("name", source)} if "name" in raw else {}
    for key, value in raw.items():
        if key in ("name", "description"):
            out[key] = value
            continue
        if key not in FLAT_KEYS:
            raise ConfigError(f"unknown PyTorchSim config key {key!r} in {source}{closest(key, FLAT_KEYS)}")
        target = FLAT_KEYS[key]
        if target is None:
            continue
        section, field = target
        if field == "impl":
            value = IMPL_NAMES.get((section, str(value)), str(value))
        elif key == "precision":
            value = PRECISION.get(value, value)
        elif key == "core_type":
            value = CORE_TYPES.get(str(value), str(value))
        elif key == "partition" and isinstance(value, dict):
            value = {str(k).removeprefix("core_"): int(v) for k, v in value.items()}
        elif key in ("pytorchsim_functional_mode", "pytorchsim_timing_mode"):
            value = bool(int(value))
        out.setdefault(section, {})[field] = value
    # the cache string belongs to the data cache only; the timing dataflow only to timing models
    cache = out.get("cache", {})
    if cache.get("impl", "none") == "none":
        cache.pop("config", None)
        cache.pop("hit_latency_cycles", None)
    # file paths of cycle-level models are ignored when the flat config selects the simple models
    if out.get("noc", {}).get("impl", "simple") == "simple":
        out.get("noc", {}).pop("config_path", None)
    if out.get("dram", {}).get("impl", "simple") == "simple":
        out.get("dram", {}).pop("config_path", None)
    return out
