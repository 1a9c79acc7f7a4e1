"""Config loading: presets, TOML/JSON files, PyTorchSim flat configs, one-line errors."""
import json

import pytest

from npusim.config import load_config, preset_names
from npusim.errors import ConfigError

FIXED = {"mapper.impl": "fixed"}


def test_presets_load():
    for name in ("tpuv3", "tpuv3-2core", "tpuv2", "tpuv4", "small-8x8"):
        assert name in preset_names()
        cfg = load_config(name)
        assert cfg.core.num_cores >= 1
    two = load_config("tpuv3-2core")
    assert two.core.num_cores == 2 and two.partition_of_core() == [0, 1]
    assert load_config("tpuv3").core.spad_bytes == 16 * 1024 * 1024


def test_unknown_key_names_closest(tmp_path):
    p = tmp_path / "m.toml"
    p.write_text('base = "tpuv3"\n[core]\nnum_corez = 2\n')
    with pytest.raises(ConfigError, match=r"core\.num_corez.*num_cores"):
        load_config(str(p))


def test_wrong_type_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"core\.freq_mhz: expected a number"):
        load_config({"core": {"freq_mhz": "fast"}})
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="unknown config preset 'tpuv33'.*tpuv3"):
        load_config("tpuv33")
    with pytest.raises(ConfigError, match="dram.impl: unknown dram implementation 'hbm9'"):
        load_config({"dram": {"impl": "hbm9"}})


def test_pytorchsim_flat_json_loads_unchanged(tmp_path):
    flat = {"num_cores": 1, "core_freq_mhz": 940, "num_systolic_array_per_core": 2, "vpu_num_lanes": 128,
            "vpu_spad_size_kb_per_lane": 128, "vpu_vector_length_bits": 256, "dram_type": "simple",
            "dram_freq_mhz": 940, "dram_channels": 16, "dram_req_size_byte": 32, "dram_num_burst_length": 2,
            "dram_latency": 10, "l2d_type": "nocache", "icnt_type": "simple", "icnt_latency_cycles": 10,
            "icnt_freq_mhz": 940, "icnt_injection_ports_per_core": 16, "num_partition": 1,
            "partition": {"core_0": 0}, "codegen_mapping_strategy": "heuristic",
            "codegen_compiler_optimization": "all", "pytorchsim_functional_mode": 1, "pytorchsim_timing_mode": 1,
            "core_print_interval": 10000}
    p = tmp_path / "systolic_ws_128x128_c1_simple_noc_tpuv3.json"
    p.write_text(json.dumps(flat))
    cfg = load_config(str(p))
    assert cfg.core.num_systolic_arrays == 2 and cfg.core.injection_ports == 16
    assert cfg.impl("dram") == "simple" and cfg.params("dram").channels == 16
    assert cfg.params("dram").latency_cycles == 10 and cfg.params("noc").latency_cycles == 10
    readme = {"num_cores": 1, "core_freq": 940, "dram_req_size": 32, "dram_nbl": 2, "dram_latency": 10,
              "icnt_latency": 7, "dram_type": "simple", "icnt_type": "simple", "precision": 2,
              "codegen_mapping_strategy": "heuristic"}
    cfg = load_config(readme)
    assert cfg.params("noc").latency_cycles == 7 and cfg.sim.dtype == "fp16"
    with pytest.raises(ConfigError, match="unknown PyTorchSim config key 'dram_chanels'.*dram_channels"):
        load_config({"num_cores": 1, "dram_chanels": 4})


def test_overrides_and_env(monkeypatch):
    cfg = load_config("tpuv3", overrides={"core.num_cores": 2, "dram.impl": "simple", "dram.channels": 8})
    assert cfg.core.num_cores == 2 and cfg.params("dram").channels == 8
    monkeypatch.setenv("NPUSIM_FUNCTIONAL", "0")
    monkeypatch.setenv("NPUSIM_TLS_MODE", "0")
    cfg = load_config("small-8x8")
    assert cfg.sim.functional is False and cfg.sim.tls is False
    monkeypatch.setenv("NPUSIM_TLS_MODE", "maybe")
    with pytest.raises(ConfigError, match="NPUSIM_TLS_MODE"):
        load_config("small-8x8")


def test_partition_validation():
    with pytest.raises(ConfigError, match="core '3' does not exist"):
        load_config({"base": "tpuv3-2core", "scheduler": {"partition": {"3": 0}}})


def test_flat_simple_models_ignore_cycle_level_paths():
    cfg = load_config({"num_cores": 1, "icnt_type": "simple", "booksim_config_path": "x.icnt", "dram_type": "simple",
                       "ramulator_config_path": "HBM2.yaml", "icnt_latency": 3})
    assert cfg.impl("noc") == "simple" and cfg.params("noc").latency_cycles == 3 and cfg.impl("dram") == "simple"
