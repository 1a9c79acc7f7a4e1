"""Read BookSim 2 config files (`key = value;`, `//` comments) and check their keys against what npusim_noc models."""
from __future__ import annotations

import re
from pathlib import Path

from npusim.errors import ConfigError
from npusim.registry import closest

# Keys that shape the network model, with BookSim 2's defaults (src/booksim_config.cpp) and their type.
# flit_size comes from gpgpu-sim's BookSim (PyTorchSim .icnt files); 32 B is PyTorchSim's dram_req_size.
MODEL_KEYS: dict[str, tuple[type, object]] = {
    "topology": (str, "torus"),
    "k": (int, 8),
    "n": (int, 2),
    "routing_function": (str, ""),  # "" = the topology's own (dim_order / dest_tag / min)
    "num_vcs": (int, 16),
    "vc_buf_size": (int, 8),
    "wait_for_tail_credit": (int, 0),
    "routing_delay": (int, 1),
    "vc_alloc_delay": (int, 1),
    "sw_alloc_delay": (int, 1),
    "st_prepare_delay": (int, 0),
    "st_final_delay": (int, 1),
    "credit_delay": (int, 0),
    "vc_allocator": (str, "islip"),
    "sw_allocator": (str, "islip"),
    "alloc_iters": (int, 1),
    "input_speedup": (int, 1),
    "output_speedup": (int, 1),
    "internal_speedup": (float, 1.0),
    "flit_size": (int, 32),
    "network_file": (str, ""),
    "input_buffer_size": (int, -1),  # gpgpu-sim: source queue capacity in flits (-1: unbounded)
    "subnets": (int, 1),  # 2 = separate request and response networks (gpgpu-sim interface)
    "hold_switch_for_packet": (int, 0),  # keep a switch connection for the rest of a packet once granted
    "speculative": (int, 0),  # switch allocation in parallel with VC allocation, at lower priority
    "c": (int, 1),  # concentration: terminals per router (topology = cmesh; c = xr * yr)
    "xr": (int, 1),  # cmesh: terminals per router in x
    "yr": (int, 1),  # cmesh: terminals per router in y
    "x": (int, 8),  # cmesh: routers in x (must equal k when given)
    "y": (int, 8),  # cmesh: routers in y (must equal k when given)
    "use_noc_latency": (int, 1),  # cmesh: channels take xr (x) / yr (y) cycles instead of 1
}
# Keys whose only accepted value is BookSim's default (features npusim_noc does not model).
FIXED_KEYS: dict[str, tuple[type, object]] = {
    "classes": (int, 1),
    "use_map": (int, 0),
    "spec_check_elig": (int, 1),  # speculative bids only with a free output VC ...
    "spec_check_cred": (int, 1),  # ... that has a credit
    "spec_mask_by_reqs": (int, 0),
    "spec_sw_allocator": (str, "prio"),  # speculative requests share the switch allocator at lower priority
    "vct": (int, 0),
    "noq": (int, 0),
    "perfect_icnt": (int, 0),
    "router": (str, "iq"),
    "priority": (str, "none"),
    "buffer_policy": (str, "private"),
    "injection_process": (str, "bernoulli"),
}
# Keys of BookSim's traffic manager / gpgpu-sim's interface. The synthetic sweep reads traffic,
# injection_rate, packet_size, warmup_periods, sample_period, seed; the others only steer BookSim's own
# run loop, printing or the GPU interface buffers (npusim drains deliveries every cycle) and do not
# change the network model.
HARNESS_KEYS: dict[str, tuple[type, object]] = {
    "traffic": (str, "uniform"),
    "injection_rate": (float, 0.1),
    "injection_rate_uses_flits": (int, 0),
    "packet_size": (int, 1),
    "sim_type": (str, "latency"),
    "warmup_periods": (int, 3),
    "sample_period": (int, 1000),
    "max_samples": (int, 10),
    "sim_count": (int, 1),
    "seed": (str, "0"),
    "latency_thres": (float, 500.0),
    "warmup_thres": (float, 0.05),
    "acc_warmup_thres": (float, 0.05),
    "stopping_thres": (float, 0.05),
    "acc_stopping_thres": (float, 0.05),
    "include_queuing": (int, 1),
    "measure_stats": (int, 1),
    "print_activity": (int, 0),
    "print_csv_results": (int, 0),
    "deadlock_warn_timeout": (int, 256),
    "watch_file": (str, ""),
    "watch_packets": (str, ""),
    "watch_flits": (str, ""),
    "watch_out": (str, ""),
    "stats_out": (str, ""),
    "ejection_buffer_size": (int, 0),
    "boundary_buffer_size": (int, 0),
    "fixed_lat_per_hop": (int, 0),
    "enable_link_stats": (int, 0),
    "network_count": (int, 1),  # gpgpu-sim legacy key, unused there too ("see subnets")
}
ALL_KEYS = {**MODEL_KEYS, **FIXED_KEYS, **HARNESS_KEYS}
TOPOLOGIES = ("mesh", "torus", "fly", "anynet", "cmesh")
ROUTING = {"mesh": ("dim_order", "dor", "dim_order_mesh"), "torus": ("dim_order", "dor", "dim_order_torus"),
           "fly": ("dest_tag", "dest_tag_fly"), "anynet": ("min",),
           "cmesh": ("dor_no_express", "dor_no_express_cmesh")}  # express channels are not modelled
ALLOCATORS = ("islip", "separable_input_first", "separable_output_first")

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def parse_text(text: str, source: str) -> dict[str, str]:
    """Raw `key = value;` pairs of a BookSim config text (later assignments win, as in BookSim)."""
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    out: dict[str, str] = {}
    pos = 0
    for stmt in text.split(";"):
        line = text.count("\n", 0, pos + len(stmt) - len(stmt.lstrip())) + 1
        pos += len(stmt) + 1
        body = stmt.strip()
        if not body:
            continue
        key, eq, value = body.partition("=")
        key, value = key.strip(), value.strip().strip('"')
        if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or not value:
            raise ConfigError(f"{source}:{line}: expected 'key = value;', got {body.splitlines()[0]!r}")
        out[key] = value
    return out


def read_file(path: str | Path) -> dict[str, str]:
    """Raw pairs of BookSim config file `path`."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"noc.config_path: BookSim config file not found: {p}")
    return parse_text(p.read_text(), str(p))


def _convert(key: str, value, source: str):
    tp = ALL_KEYS[key][0]
    if tp is str:
        return str(value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {key} = {value!r}: expected {'an integer' if tp is int else 'a number'}") from None
    if tp is int:
        if f != int(f):
            raise ConfigError(f"{source}: {key} = {value!r}: expected an integer")
        return int(f)
    return f


def resolve(raw: dict, source: str) -> dict:
    """Typed values of every known key (defaults filled in); one-line errors for unknown keys and values."""
    unknown = sorted(k for k in raw if k not in ALL_KEYS)
    if unknown:
        hint = closest(unknown[0], ALL_KEYS) if len(unknown) == 1 else ""
        raise ConfigError(f"{source}: unsupported BookSim key(s) {', '.join(unknown)}{hint} "
                          f"(npusim_noc models: {', '.join(sorted(MODEL_KEYS))})")
    vals = {k: d for k, (_, d) in ALL_KEYS.items()}
    for k, v in raw.items():
        vals[k] = _convert(k, v, source)
    for k, (_, d) in FIXED_KEYS.items():
        if vals[k] != d:
            raise ConfigError(f"{source}: {k} = {vals[k]} is not supported (only {d})")
    topo = vals["topology"]
    if topo not in TOPOLOGIES:
        raise ConfigError(f"{source}: topology = {topo!r}: supported are {', '.join(TOPOLOGIES)}")
    rf = vals["routing_function"] or ROUTING[topo][0]
    if rf not in ROUTING[topo]:
        raise ConfigError(f"{source}: routing_function = {rf!r} is not available on {topo} "
                          f"(use {' or '.join(ROUTING[topo])})")
    vals["routing_function"] = rf
    for key in ("vc_allocator", "sw_allocator"):
        if vals[key] not in ALLOCATORS:
            raise ConfigError(f"{source}: {key} = {vals[key]!r}: supported are {', '.join(ALLOCATORS)}")
    positive = ("k", "n", "num_vcs", "vc_buf_size", "alloc_iters", "input_speedup", "output_speedup", "flit_size")
    for key in positive:
        if vals[key] < 1:
            raise ConfigError(f"{source}: {key} must be >= 1, got {vals[key]}")
    for key in ("routing_delay", "vc_alloc_delay", "sw_alloc_delay", "st_prepare_delay", "st_final_delay",
                "credit_delay"):
        if vals[key] < 0:
            raise ConfigError(f"{source}: {key} must be >= 0, got {vals[key]}")
    if vals["num_vcs"] > 64:
        raise ConfigError(f"{source}: num_vcs must be <= 64, got {vals['num_vcs']}")
    if vals["internal_speedup"] <= 0:
        raise ConfigError(f"{source}: internal_speedup must be > 0, got {vals['internal_speedup']}")
    if topo in ("mesh", "torus", "cmesh") and vals["k"] < 2:
        raise ConfigError(f"{source}: k must be >= 2 for {topo}, got {vals['k']}")
    if topo == "torus" and vals["num_vcs"] < 2:
        raise ConfigError(f"{source}: num_vcs must be >= 2 on a torus (dateline VC classes), got {vals['num_vcs']}")
    if topo != "anynet" and vals["c"] * vals["k"] ** vals["n"] > 1 << 20:
        raise ConfigError(f"{source}: k^n = {vals['k'] ** vals['n']} routers x c = {vals['c']} terminals is too large "
                          f"(max 2^20)")
    for key in ("hold_switch_for_packet", "speculative", "use_noc_latency"):
        if vals[key] not in (0, 1):
            raise ConfigError(f"{source}: {key} = {vals[key]}: supported are 0 and 1")
    if vals["speculative"] and not vals["vc_alloc_delay"] == vals["sw_alloc_delay"] >= 1:
        raise ConfigError(f"{source}: speculative = 1 needs vc_alloc_delay == sw_alloc_delay >= 1 (got "
                          f"{vals['vc_alloc_delay']} and {vals['sw_alloc_delay']})")
    _check_concentration(vals, raw, source)
    if vals["subnets"] not in (1, 2):
        raise ConfigError(f"{source}: subnets = {vals['subnets']}: supported are 1 (shared) and 2 (request/response)")
    if topo == "anynet" and not vals["network_file"]:
        raise ConfigError(f"{source}: topology = anynet needs network_file")
    return vals


def _check_concentration(vals: dict, raw: dict, source: str) -> None:
    """BookSim concentration keys: c > 1 only on cmesh, where c = xr * yr, n = 2 and x = y = k."""
    if vals["topology"] != "cmesh":
        if vals["c"] != 1:
            raise ConfigError(f"{source}: c = {vals['c']}: concentration is modelled for topology = cmesh only")
        return
    if vals["n"] != 2:
        raise ConfigError(f"{source}: cmesh needs n = 2, got {vals['n']}")
    if vals["xr"] < 1 or vals["yr"] < 1 or vals["c"] != vals["xr"] * vals["yr"]:
        raise ConfigError(f"{source}: cmesh needs c = xr * yr, got c = {vals['c']}, xr = {vals['xr']}, "
                          f"yr = {vals['yr']}")
    for key in ("x", "y"):
        if key in raw and vals[key] != vals["k"]:
            raise ConfigError(f"{source}: cmesh {key} = {vals[key]} must equal k = {vals['k']} (routers per dimension)")
