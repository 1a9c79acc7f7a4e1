"""Ramulator 2 YAML configs (PyTorchSim shape) load through ramulator_config_path and map onto the DRAM config."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dram_helpers import make
from npusim.config import load_config
from npusim.engine.components import build_one
from npusim.errors import ConfigError
from npusim.interfaces.context import BuildContext
from npusim.plugins import make_plugins

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "dram"

FLAT_TPUV3 = {  # PyTorchSim systolic_ws_128x128_c1_*_tpuv3 keys, DRAM through Ramulator 2
    "num_cores": 1, "core_freq_mhz": 940, "num_systolic_array_per_core": 2, "vpu_num_lanes": 128,
    "vpu_spad_size_kb_per_lane": 128, "vpu_vector_length_bits": 256,
    "dram_type": "ramulator2", "dram_freq_mhz": 940, "dram_channels": 16, "dram_req_size_byte": 32,
    "dram_num_burst_length": 2, "ramulator_config_path": "HBM2_TPUv3.yaml",
    "icnt_type": "simple", "icnt_latency_cycles": 10, "icnt_freq_mhz": 940,
}


def _build(spec):
    plugins = make_plugins()
    cfg = load_config(spec, plugins)
    ctx = BuildContext(cfg)
    return cfg, build_one("dram", cfg, plugins, ctx), ctx


def test_pytorchsim_flat_config_with_hbm2_tpuv3_yaml(tmp_path):
    shutil.copy(CONFIGS / "HBM2_TPUv3.yaml", tmp_path)
    path = tmp_path / "tpuv3.json"
    path.write_text(json.dumps(FLAT_TPUV3))
    cfg, comp, ctx = _build(str(path))
    assert cfg.impl("dram") == "hbm2"
    assert Path(cfg.params("dram").config_path) == tmp_path / "HBM2_TPUv3.yaml"
    r = comp.resolved
    assert (r["standard"], r["org_preset"], r["timing_preset"]) == ("hbm2", "HBM2_8Gb", "HBM2_1880Mbps")
    s = r["spec"]
    assert (s["scheduler"], s["row_policy"], s["refresh"], s["mapping"]) == (0, 0, 0, 0)
    assert s["tck_ps"] == 1064 and s["nBL"] == 2 and s["channels"] == 16
    assert ctx.num_channels == 16 and abs(ctx.dram_freq_mhz - 940) < 1
    assert abs(comp.cpp.peak_bytes_per_ps() * 1000 - 481.2) < 0.5  # 16 ch x 32 B x 940 MHz (PyTorchSim tpuv3)


def test_yaml_controller_sections_map_onto_policies(tmp_path):
    y = tmp_path / "d.yaml"
    y.write_text("""
Frontend: {impl: LoadStoreTrace, clock_ratio: 1}
MemorySystem:
  impl: GenericDRAM
  DRAM:
    impl: DDR4
    org: {preset: DDR4_8Gb_x8, channel: 1, rank: 2}
    timing: {preset: DDR4_2400R, nCL: 17, tRP: 15.0}
  Controller:
    impl: Generic
    Scheduler: {impl: FCFS}
    RefreshManager: {impl: AllBank}
    RowPolicy: {impl: ClosedRowPolicy, cap: 4}
    read_buffer_size: 48
  AddrMapper: {impl: ChRaBaRoCo}
""")
    comp = make("hbm2", config_path=str(y))  # the file's DRAM.impl selects the standard
    r = comp.resolved
    s = r["spec"]
    assert r["standard"] == "ddr4" and r["timing_preset"] == "DDR4_2400R"
    assert s["ranks"] == 2 and s["nCL"] == 17 and s["nRP"] == 18  # 15 ns at 833 ps -> 18 tCK
    assert (s["scheduler"], s["row_policy"], s["mapping"], s["rq_size"]) == (1, 1, 1, 48)


def test_explicit_fields_beat_the_yaml():
    comp = make("hbm2", config_path=str(CONFIGS / "HBM2_TPUv3.yaml"), address_mapping="MOP4CLXOR",
                timing_preset="HBM2_2000Mbps")
    assert comp.resolved["spec"]["mapping"] == 2 and comp.resolved["spec"]["tck_ps"] == 1000


def test_ramulator21_positional_hbm2_file(tmp_path):
    # Ramulator 2.1 JSON-as-YAML shape that newer PyTorchSim generates (HBM2_2000Mbps values, JESD235).
    timing = [2000, 2, 14, 14, 12, 14, 34, 48, 16, 5, 5, 2, 4, 4, 4, 6, 8, 15, 350, 160, 8, 3900, 122, 1000]
    doc = {"frontend": {"impl": "External"}, "memory_system": {"impl": "GenericDRAM", "controllers": [{
        "impl": "HBM", "read_buffer_size": 32, "write_buffer_size": 32, "wr_low_watermark": 0.2,
        "wr_high_watermark": 0.8, "scheduler": {"impl": "FRFCFS"}, "refresh_manager": {"impl": "AllBank"},
        "row_policy": {"impl": "Open"}, "addr_mapper": {"impl": "RoBaRaCoCh"},
        "dram": {"impl": "HBM2", "org": {"dq": 64, "count": [1, 2, 4, 4, 65536, 32]}, "timing": timing}}]}}
    y = tmp_path / "HBM2.yaml"
    y.write_text(json.dumps(doc))
    s = make("hbm2", config_path=str(y)).resolved["spec"]
    assert s["tck_ps"] == 1000 and s["nCWL"] == 5 and s["nFAW"] == 15 and s["nRFC"] == 350 and s["rows"] == 65536


@pytest.mark.parametrize("name", ["HBM2_TPUv3.yaml", "HBM2_TPUv2.yaml", "HBM3.yaml", "DDR4_3200.yaml", "LPDDR5.yaml"])
def test_shipped_yaml_files_load(name):
    comp = make("hbm2", config_path=str(CONFIGS / name), channels=2)
    assert comp.cpp.peak_bytes_per_ps() > 0


@pytest.mark.parametrize("text, needle", [
    ("MemorySystem: {DRAM: {impl: HBM2, timing: {preset: HBM2_9Gbps}}}", "timing.preset: unknown hbm2 preset 'HBM2_9Gbps'"),
    ("MemorySystem: {DRAM: {impl: GDDR6}}", "GDDR6"),
    ("MemorySystem: {DRAM: {impl: HBM2, timing: {nXYZ: 3}}}", "nXYZ"),
    ("MemorySystem: {DRAM: {impl: HBM2}, Controller: {Scheduler: {impl: BLISS}}}", "BLISS"),
    ("Frontend: {impl: GEM5}", "MemorySystem"),
    ("MemorySystem: [", "not valid YAML"),
])
def test_bad_yaml_gives_one_line_error(tmp_path, text, needle):
    y = tmp_path / "bad.yaml"
    y.write_text(text)
    with pytest.raises(ConfigError) as err:
        make("hbm2", config_path=str(y))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_bad_fields_give_one_line_errors(tmp_path):
    for params, needle in ((dict(org_preset="HBM2_16Gb"), "org_preset"), (dict(req_bytes=48), "req_bytes"),
                           (dict(config_path=str(tmp_path / "nope.yaml")), "not found"),
                           (dict(channels=0), "channels")):
        with pytest.raises(ConfigError) as err:
            make("hbm2", **params)
        assert needle in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="per-bank"):
        make("ddr4", refresh="per_bank")


@pytest.mark.parametrize("impl,scheduler", [("FRFCFS", 0), ("FCFS", 1), ("FRFCFS-RowHit", 2)])
def test_ramulator_scheduler_names_map_to_the_same_policy(tmp_path, impl, scheduler):
    y = tmp_path / "s.yaml"
    y.write_text(f"MemorySystem: {{DRAM: {{impl: HBM2}}, Controller: {{Scheduler: {{impl: {impl}}}}}}}\n")
    assert make("hbm2", config_path=str(y)).resolved["spec"]["scheduler"] == scheduler
