"""Typed config of the cycle-level DRAM (one class for every standard) and its resolution into a DramSpec."""
from __future__ import annotations

import attrs

from npusim.config.fields import param
from npusim.errors import ConfigError
from npusim.registry import closest
from npusim_dram import presets as P
from npusim_dram.ramulator_yaml import load_ramulator_yaml

MAPPINGS = ("RoBaRaCoCh", "ChRaBaRoCo", "MOP4CLXOR")
POLICY_FIELDS = ("scheduler", "row_policy", "refresh", "address_mapping", "read_queue_size", "write_queue_size",
                 "write_high_watermark", "write_low_watermark")


@attrs.define
class DramConfig:
    """Cycle-level DRAM (Ramulator 2 semantics); PyTorchSim dram_* keys map onto these fields."""

    channels: int = param(16, "memory channels (PyTorchSim dram_channels)", "channels")
    freq_mhz: float = param(0.0, "DRAM command clock; 0 = the timing preset's clock (ns timings are rescaled "
                            "to this clock, PyTorchSim dram_freq_mhz)", "MHz")
    req_bytes: int = param(32, "bytes moved by one column access (PyTorchSim dram_req_size); larger requests are "
                           "split into accesses of this size", "bytes")
    burst_length: int = param(0, "data-bus cycles per column access (nBL); 0 = from the timing preset "
                              "(PyTorchSim dram_num_burst_length)", "tCK")
    latency_cycles: int = param(0, "extra fixed PHY/controller latency added to every access (PyTorchSim "
                                "dram_latency)", "tCK")
    config_path: str = param("", "Ramulator 2 YAML config (PyTorchSim ramulator_config_path); its values override "
                             "the presets, explicit non-default fields here override it")
    org_preset: str = param("", "organisation preset, e.g. HBM2_8Gb ('' = the standard's default or the YAML's)")
    timing_preset: str = param("", "timing preset, e.g. HBM2_2000Mbps ('' = the standard's default or the YAML's)")
    scheduler: str = param("frfcfs", "request scheduler, as Ramulator 2.1's: frfcfs (of the ready commands the oldest "
                           "request's, per command bus), frfcfs_rowhit (frfcfs, but no PRE for a request younger than a "
                           "queued hit to the open row) or strict fcfs", choices=("frfcfs", "fcfs", "frfcfs_rowhit"))
    row_policy: str = param("open", "row-buffer policy: keep rows open, or auto-precharge after the last queued "
                            "hit", choices=("open", "closed"))
    refresh: str = param("all_bank", "refresh: all-bank REFab every tREFI per pseudo-channel/rank, per-bank REFpb "
                         "every tREFIpb for the channel (bank by bank), or none", choices=("all_bank", "per_bank", "none"))
    refresh_hold: str = param("channel", "what a pending refresh holds back: channel (no new read/write commands in "
                              "the channel until it issues, as Ramulator 2.1's priority buffer) or target (only the "
                              "banks being refreshed)", choices=("channel", "target"))
    address_mapping: str = param("RoBaRaCoCh", "address mapping of the channel-local address (Ramulator 2 names; "
                                 "Ch = pseudo-channel)", choices=MAPPINGS)
    read_queue_size: int = param(32, "read queue depth per channel", "accesses")
    write_queue_size: int = param(32, "write queue depth per channel", "accesses")
    write_high_watermark: float = param(0.8, "write-queue fill that starts write draining (Ramulator 2 "
                                        "wr_high_watermark)", "fraction")
    write_low_watermark: float = param(0.2, "write-queue fill below which draining stops when reads wait "
                                       "(Ramulator 2 wr_low_watermark)", "fraction")
    command_log: bool = param(False, "record every DRAM command (for the timing checker; costs memory)")


def _pow2(v: int) -> bool:
    return v > 0 and v & (v - 1) == 0


def _preset(table: dict, name: str, where: str, standard: str):
    if name not in table:
        raise ConfigError(f"{where}: unknown {standard} preset {name!r}{closest(name, table)}")
    return table[name]


def resolve(cfg: DramConfig, standard: str) -> dict:
    """Every DramSpec field (plus 'standard', 'org_preset', 'timing_preset') for `cfg` on `standard`."""
    y = load_ramulator_yaml(cfg.config_path) if cfg.config_path else {}
    standard = y.get("standard", standard)
    defaults = DramConfig()
    pol = {f: getattr(cfg, f) for f in POLICY_FIELDS}
    for f in POLICY_FIELDS:  # YAML beats a field left at its default
        if f in y and getattr(cfg, f) == getattr(defaults, f):
            pol[f] = y[f]
    org_name = cfg.org_preset or y.get("org_preset") or P.DEFAULTS[standard][0]
    tim_name = cfg.timing_preset or y.get("timing_preset") or P.DEFAULTS[standard][1]
    org_where = "dram.org_preset" if cfg.org_preset else f"{cfg.config_path}: MemorySystem.DRAM.org.preset"
    tim_where = "dram.timing_preset" if cfg.timing_preset else f"{cfg.config_path}: MemorySystem.DRAM.timing.preset"
    org = dict(_preset(P.ORG_PRESETS[standard], org_name, org_where, standard))
    org.update(y.get("org", {}))
    tck, timing = _preset(P.TIMING_PRESETS[standard], tim_name, tim_where, standard)
    timing = dict(timing)
    if "tck_ps" in y:  # a positional timing list carries its own clock
        timing, tck = P.rescale(timing, tck, y["tck_ps"]), y["tck_ps"]
    if y.get("rate"):
        new = round(1e6 / (y["rate"] / 2))
        timing, tck = P.rescale(timing, tck, new), new
    timing.update(y.get("timing_cycles", {}))
    timing.update({k: P.cycles(v * 1000.0, 1, tck) for k, v in y.get("timing_ns", {}).items()})
    if cfg.freq_mhz < 0:
        raise ConfigError(f"dram.freq_mhz must be >= 0 (0 = from the timing preset), got {cfg.freq_mhz}")
    if cfg.freq_mhz > 0:
        new = round(1e6 / cfg.freq_mhz)
        timing, tck = P.rescale(timing, tck, new), new
    if cfg.burst_length < 0:
        raise ConfigError(f"dram.burst_length must be >= 0 (0 = from the timing preset), got {cfg.burst_length}")
    if cfg.burst_length:
        timing["nBL"] = cfg.burst_length
    for name, v in (("channels", cfg.channels), ("read_queue_size", pol["read_queue_size"]),
                    ("write_queue_size", pol["write_queue_size"])):
        if v <= 0:
            raise ConfigError(f"dram.{name} must be > 0, got {v}")
    if not _pow2(cfg.req_bytes):
        raise ConfigError(f"dram.req_bytes must be a power of two, got {cfg.req_bytes}")
    if cfg.latency_cycles < 0:
        raise ConfigError(f"dram.latency_cycles must be >= 0, got {cfg.latency_cycles}")
    for k in ("pcs", "ranks", "bankgroups", "banks", "rows"):
        if not _pow2(int(org[k])):
            raise ConfigError(f"dram organisation {org_name}: {k} must be a power of two, got {org[k]}")
    columns = org["page_bytes"] // cfg.req_bytes
    if columns < 1:
        raise ConfigError(f"dram.req_bytes {cfg.req_bytes} exceeds the {org['page_bytes']}-byte page of {org_name}")
    if pol["refresh"] == "per_bank" and standard == "ddr4":
        raise ConfigError("dram.refresh: DDR4 (JESD79-4) has no per-bank refresh; use all_bank or none")
    if timing["nREFI"] <= timing["nRFC"] or timing["nREFIpb"] <= timing["nRREFD"]:
        raise ConfigError(f"dram timing {tim_name}: refresh cannot keep up (need nREFI > nRFC and nREFIpb > nRREFD, "
                          f"got {timing['nREFI']}/{timing['nRFC']} and {timing['nREFIpb']}/{timing['nRREFD']})")
    if not 0.0 <= pol["write_low_watermark"] <= pol["write_high_watermark"] <= 1.0:
        raise ConfigError("dram.write_low_watermark/write_high_watermark must satisfy 0 <= low <= high <= 1")
    spec = dict(channels=cfg.channels, pcs=org["pcs"], ranks=org["ranks"], bankgroups=org["bankgroups"],
                banks=org["banks"], rows=org["rows"], columns=columns, req_bytes=cfg.req_bytes, tck_ps=tck,
                extra_latency=cfg.latency_cycles,
                scheduler=("frfcfs", "fcfs", "frfcfs_rowhit").index(pol["scheduler"]),
                row_policy=("open", "closed").index(pol["row_policy"]),
                refresh=("all_bank", "per_bank", "none").index(pol["refresh"]),
                refresh_hold=("channel", "target").index(cfg.refresh_hold),
                mapping=MAPPINGS.index(pol["address_mapping"]),
                rq_size=pol["read_queue_size"], wq_size=pol["write_queue_size"],
                wr_high=float(pol["write_high_watermark"]), wr_low=float(pol["write_low_watermark"]),
                split_cmd_bus=P.DEFAULTS[standard][2], act_cycles=P.DEFAULTS[standard][3],
                log_commands=int(cfg.command_log), **timing)
    return {"spec": spec, "standard": standard, "org_preset": org_name, "timing_preset": tim_name}
