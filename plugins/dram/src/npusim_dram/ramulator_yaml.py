"""Read a Ramulator 2 YAML config (PyTorchSim's ramulator_config_path) into npusim DRAM overrides.

Two shapes are accepted:
  * Ramulator 2.0 YAML: ``MemorySystem: {impl: GenericDRAM, DRAM: {impl, org: {preset, ...}, timing: {preset,
    nXX/tXX, rate}}, Controller: {Scheduler, RefreshManager, RowPolicy, read/write_buffer_size, wr_*_watermark},
    AddrMapper: {impl}}``;
  * Ramulator 2.1 JSON-as-YAML as PyTorchSim generates it: ``memory_system: {controllers: [{scheduler,
    refresh_manager, row_policy, addr_mapper, dram: {impl, org: {count}, timing: [positional list]}}]}``.
``Frontend``/``frontend`` and the per-instance channel count are ignored: npusim builds ``channels`` channels.
The page size comes from the organisation preset (org ``column``/``dq``/``density`` are not used).
"""
from __future__ import annotations

from pathlib import Path

import yaml

from npusim.errors import ConfigError
from npusim.registry import closest
from npusim_dram.presets import STANDARD_NAMES, TIMING_ALIASES, TIMING_KEYS

SCHEDULERS = {"FRFCFS": "frfcfs", "FRFCFS_CAP": "frfcfs", "FRFCFS-ROWHIT": "frfcfs_rowhit", "FCFS": "fcfs"}
REFRESH = {"ALLBANK": "all_bank", "PERBANK": "per_bank", "NOREFRESH": "none", "NONE": "none", "NO": "none"}
ROW_POLICIES = {"OPENROWPOLICY": "open", "OPEN": "open", "CLOSEDROWPOLICY": "closed", "CLOSED": "closed"}
MAPPINGS = {"ROBARACOCH": "RoBaRaCoCh", "CHRABAROCO": "ChRaBaRoCo", "MOP4CLXOR": "MOP4CLXOR"}
# Ramulator 2.1 HBM2 positional timing list (PyTorchSim HBM2*.yaml), decoded against its timing_constraints.
HBM2_TIMING_ORDER = ("rate", "nBL", "nCL", "nRCDRD", "nRCDWR", "nRP", "nRAS", "nRC", "nWR", "nRTP", "nCWL",
                     "nCCDS", "nCCDL", "nRRDS", "nRRDL", "nWTRS", "nWTRL", "nFAW", "nRFC", "nRFCpb", "nRREFD",
                     "nREFI", "nREFIpb", "tCK_ps")


def _impl(section, where: str, table: dict, path: Path) -> str:
    name = section.get("impl") if isinstance(section, dict) else section
    key = str(name).upper()
    if key not in table:
        raise ConfigError(f"{path}: {where}.impl {name!r} is not supported{closest(key, sorted(table))}")
    return table[key]


def _standard(name, path: Path, where: str) -> str:
    if str(name) not in STANDARD_NAMES:
        raise ConfigError(f"{path}: {where} {name!r} is not supported{closest(str(name), STANDARD_NAMES)}")
    return STANDARD_NAMES[str(name)]


def _timing_overrides(timing: dict, path: Path) -> tuple[dict, dict, float | None]:
    """(cycle overrides, ns overrides, rate MT/s) from a Ramulator 2.0 timing section."""
    cyc, ns, rate = {}, {}, None
    for key, val in timing.items():
        if key == "preset":
            continue
        if key == "rate":
            rate = float(val)
            continue
        base = "n" + key[1:] if key.startswith("t") else key
        names = TIMING_ALIASES.get(base, (base,) if base in TIMING_KEYS else ())
        if not names:
            raise ConfigError(f"{path}: unknown timing parameter {key!r}{closest(base, TIMING_KEYS)}")
        for n in names:
            (ns if key.startswith("t") else cyc)[n] = float(val) if key.startswith("t") else int(val)
    return cyc, ns, rate


def load_ramulator_yaml(path: str | Path) -> dict:
    """Overrides dict: standard, org_preset, timing_preset, org, timing_cycles, timing_ns, rate, tck_ps,
    scheduler, row_policy, refresh, address_mapping, read_queue_size, write_queue_size, watermarks."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"dram.config_path: file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with MemorySystem (Ramulator 2 config)")
    if "MemorySystem" in raw:
        return _from_v20(raw["MemorySystem"], path)
    if "memory_system" in raw:
        return _from_v21(raw["memory_system"], path)
    raise ConfigError(f"{path}: no MemorySystem (or memory_system) section; valid top-level keys: Frontend, "
                      "MemorySystem")


def _from_v20(ms: dict, path: Path) -> dict:
    out: dict = {}
    dram = ms.get("DRAM")
    if not isinstance(dram, dict) or "impl" not in dram:
        raise ConfigError(f"{path}: MemorySystem.DRAM.impl is required (HBM2, HBM3, DDR4, LPDDR5)")
    out["standard"] = _standard(dram["impl"], path, "MemorySystem.DRAM.impl")
    org = dram.get("org") or {}
    if "preset" in org:
        out["org_preset"] = str(org["preset"])
    levels = {"pseudochannel": "pcs", "rank": "ranks", "bankgroup": "bankgroups", "bank": "banks", "row": "rows"}
    out["org"] = {levels[k]: int(v) for k, v in org.items() if k in levels}
    timing = dram.get("timing") or {}
    if "preset" in timing:
        out["timing_preset"] = str(timing["preset"])
    out["timing_cycles"], out["timing_ns"], out["rate"] = _timing_overrides(timing, path)
    ctrl = ms.get("Controller") or {}
    if "Scheduler" in ctrl:
        out["scheduler"] = _impl(ctrl["Scheduler"], "Controller.Scheduler", SCHEDULERS, path)
    if "RefreshManager" in ctrl:
        out["refresh"] = _impl(ctrl["RefreshManager"], "Controller.RefreshManager", REFRESH, path)
    if "RowPolicy" in ctrl:
        out["row_policy"] = _impl(ctrl["RowPolicy"], "Controller.RowPolicy", ROW_POLICIES, path)
    mapper = ms.get("AddrMapper", ctrl.get("AddrMapper"))
    if mapper is not None:
        out["address_mapping"] = _impl(mapper, "AddrMapper", MAPPINGS, path)
    _queues(ctrl, out)
    return out


def _queues(ctrl: dict, out: dict) -> None:
    for src, dst in (("read_buffer_size", "read_queue_size"), ("write_buffer_size", "write_queue_size")):
        if src in ctrl:
            out[dst] = int(ctrl[src])
    for src, dst in (("wr_high_watermark", "write_high_watermark"), ("wr_low_watermark", "write_low_watermark")):
        if src in ctrl:
            out[dst] = float(ctrl[src])


def _from_v21(ms: dict, path: Path) -> dict:
    ctrls = ms.get("controllers") if isinstance(ms, dict) else None
    if not ctrls or not isinstance(ctrls, list) or not isinstance(ctrls[0], dict):
        raise ConfigError(f"{path}: memory_system.controllers must be a non-empty list")
    ctrl = ctrls[0]
    dram = ctrl.get("dram") or {}
    out: dict = {"standard": _standard(dram.get("impl"), path, "memory_system.controllers[0].dram.impl")}
    for key, table, dst in (("scheduler", SCHEDULERS, "scheduler"), ("refresh_manager", REFRESH, "refresh"),
                            ("row_policy", ROW_POLICIES, "row_policy"), ("addr_mapper", MAPPINGS, "address_mapping")):
        if key in ctrl:
            out[dst] = _impl(ctrl[key], key, table, path)
    _queues(ctrl, out)
    count = (dram.get("org") or {}).get("count")
    if count:
        if len(count) != 6:
            raise ConfigError(f"{path}: dram.org.count must list 6 levels (channel, pseudochannel/rank, "
                              f"bankgroup, bank, row, column), got {len(count)}")
        second = "pcs" if out["standard"].startswith("hbm") else "ranks"
        out["org"] = {second: int(count[1]), "bankgroups": int(count[2]), "banks": int(count[3]),
                      "rows": int(count[4])}
    timing = dram.get("timing")
    if isinstance(timing, list):
        if out["standard"] != "hbm2" or len(timing) != len(HBM2_TIMING_ORDER):
            raise ConfigError(f"{path}: positional dram.timing lists are read for HBM2 ({len(HBM2_TIMING_ORDER)} "
                              "entries) only; give a timing preset instead")
        vals = dict(zip(HBM2_TIMING_ORDER, timing))
        out["tck_ps"] = int(vals.pop("tCK_ps"))
        vals.pop("rate")
        out["timing_cycles"] = {k: int(v) for k, v in vals.items()}
        out["timing_preset"] = "HBM2_2000Mbps"  # base for the parameters the list does not carry (nRTRS)
    return out
