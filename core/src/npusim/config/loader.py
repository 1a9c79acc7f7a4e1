"""Load a machine config from a preset name, a JSON/TOML file or a dict; validate it against the registry."""
from __future__ import annotations

import copy
import json
import os
import tomllib
from pathlib import Path
from typing import Any

from npusim.config import pytorchsim
from npusim.config.fields import build
from npusim.config.schema import COMPONENT_SECTIONS, DEFAULT_IMPLS, KERNEL_SECTIONS, MachineConfig
from npusim.errors import ConfigError, RegistryError
from npusim.registry import closest

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"
TOP_KEYS = {"name", "description", "base", *KERNEL_SECTIONS, *COMPONENT_SECTIONS}


def preset_names() -> list[str]:
    """Names of the shipped machine presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml")) + sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def _read_file(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        return json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None


def _locate(spec: str) -> Path:
    path = Path(spec)
    if path.suffix in (".toml", ".json") or os.sep in spec:
        return path
    for ext in (".toml", ".json"):
        cand = PRESET_DIR / f"{spec}{ext}"
        if cand.is_file():
            return cand
    raise ConfigError(f"unknown config preset {spec!r}{closest(spec, preset_names())}")


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k != "partition":
            if "impl" in v and v.get("impl") != out[k].get("impl"):
                out[k] = copy.deepcopy(v)  # a different implementation replaces the section
            else:
                out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def read_raw(spec: str | Path | dict, _seen: tuple = ()) -> tuple[dict, Path, str]:
    """Raw sectioned dict of `spec` with `base` presets merged in, its directory and its source name."""
    if isinstance(spec, dict):
        raw, base_dir, source = copy.deepcopy(spec), Path.cwd(), "<dict>"
    else:
        path = _locate(str(spec))
        raw, base_dir, source = _read_file(path), path.resolve().parent, str(path)
        if str(path) in _seen:
            raise ConfigError(f"{path}: circular 'base' chain")
        _seen = (*_seen, str(path))
    if pytorchsim.is_flat(raw):
        raw = pytorchsim.from_flat(raw, source)
    raw = _resolve_paths(raw, base_dir)
    if "base" in raw:
        parent, _, _ = read_raw(raw.pop("base"), _seen)
        raw = _merge(parent, raw)
    return raw, base_dir, source


def _resolve_paths(raw: dict, base_dir: Path) -> dict:
    for sec, body in raw.items():
        if isinstance(body, dict):
            for key, val in body.items():
                if isinstance(val, str) and val and (key.endswith("_path") or key.endswith("_file")):
                    p = Path(os.path.expandvars(val)).expanduser()
                    body[key] = str(p if p.is_absolute() else (base_dir / p).resolve())
    return raw


def _env_overrides(raw: dict) -> None:
    sim = raw.setdefault("sim", {})
    for env, key in (("NPUSIM_TLS_MODE", "tls"), ("NPUSIM_FUNCTIONAL", "functional")):
        val = os.environ.get(env)
        if val is not None and val != "":
            if val not in ("0", "1"):
                raise ConfigError(f"environment variable {env}={val!r}: expected 0 or 1")
            sim[key] = val == "1"
    if os.environ.get("NPUSIM_DUMP_PATH"):
        sim["dump_path"] = os.environ["NPUSIM_DUMP_PATH"]
    plan = os.environ.get("NPUSIM_SRAM_BUFFER_PLAN_PATH") or os.environ.get("SRAM_BUFFER_PLAN_PATH")
    if plan and (raw.get("cache") or {}).get("impl", "none") != "none":
        raw["cache"]["plan_path"] = str(Path(plan).resolve())  # PyTorchSim's persistent-L2 plan env var
        raw["cache"]["mode"] = "plan"


def load_config(spec: str | Path | dict | None = None, plugins=None,
                overrides: dict[str, Any] | None = None) -> MachineConfig:
    """Load and validate a machine config.

    spec: preset name, path to .toml/.json, or a dict; None means $NPUSIM_CONFIG or 'tpuv3'.
    overrides: dotted keys, e.g. {"core.num_cores": 2, "dram.impl": "simple"}.
    """
    if spec is None:
        spec = os.environ.get("NPUSIM_CONFIG") or "tpuv3"
    raw, _, source = read_raw(spec)
    for dotted, value in (overrides or {}).items():
        sec, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"override {dotted!r}: expected SECTION.KEY")
        if key == "impl" and raw.get(sec, {}).get("impl") != value:
            raw[sec] = {}
        raw.setdefault(sec, {})[key] = value
    _env_overrides(raw)
    if plugins is None:
        from npusim.plugins import make_plugins

        plugins = make_plugins()
    plugins.hook.npusim_configure(config=raw)
    for key in raw:
        if key not in TOP_KEYS:
            raise ConfigError(f"unknown config section {key!r} in {source}{closest(key, TOP_KEYS)}")
    kw: dict[str, Any] = {"name": str(raw.get("name", Path(str(source)).stem)),
                          "description": str(raw.get("description", "")), "source": source}
    for sec, cls in KERNEL_SECTIONS.items():
        kw[sec] = build(cls, raw.get(sec), sec)
    comps = {}
    for sec, kind in COMPONENT_SECTIONS.items():
        body = dict(raw.get(sec) or {})
        impl = str(body.pop("impl", DEFAULT_IMPLS[sec]))
        try:
            spec_ = plugins.registry.get(kind, impl)
        except RegistryError as exc:
            raise ConfigError(f"{sec}.impl: {exc}") from None
        comps[sec] = (impl, build(spec_.config_cls, body, f"{sec}"))
    cfg = MachineConfig(components=comps, **kw)
    _check(cfg)
    return cfg


def _check(cfg: MachineConfig) -> None:
    c = cfg.core
    for name in ("num_cores", "num_systolic_arrays", "array_rows", "array_cols", "vector_lanes",
                 "spad_kib_per_lane", "vlen_bits", "dma_engines", "dma_max_outstanding", "dma_bytes_per_cycle",
                 "injection_ports",
                 "issue_window"):
        if getattr(c, name) <= 0:
            raise ConfigError(f"core.{name} must be > 0, got {getattr(c, name)}")
    if c.dma_latency_cycles < 0:
        raise ConfigError(f"core.dma_latency_cycles must be >= 0, got {c.dma_latency_cycles}")
    if c.freq_mhz <= 0:
        raise ConfigError(f"core.freq_mhz must be > 0, got {c.freq_mhz}")
    if cfg.memory.interleave_bytes <= 0 or cfg.memory.interleave_bytes & (cfg.memory.interleave_bytes - 1):
        raise ConfigError(f"memory.interleave_bytes must be a power of two, got {cfg.memory.interleave_bytes}")
    if cfg.memory.txn_bytes <= 0 or cfg.memory.txn_bytes > cfg.memory.interleave_bytes:
        raise ConfigError(f"memory.txn_bytes must be in 1..interleave_bytes, got {cfg.memory.txn_bytes}")
    parts = cfg.scheduler.num_partitions
    for core, p in cfg.scheduler.partition.items():
        if not str(core).isdigit() or int(core) >= c.num_cores:
            raise ConfigError(f"scheduler.partition: core {core!r} does not exist (cores 0..{c.num_cores - 1})")
        if not 0 <= p < parts:
            raise ConfigError(f"scheduler.partition.{core}: partition {p} not in 0..{parts - 1}")


def dump_config(cfg: MachineConfig) -> str:
    """JSON text of a resolved config (round-trips through load_config)."""
    return json.dumps(cfg.to_dict(), indent=2, default=str)


__all__ = ["load_config", "preset_names", "read_raw", "dump_config"]
