"""AccelSim / PyTorchSim cache strings: both reference strings load, every field decodes, bad fields are named."""
from pathlib import Path

import pytest

from npusim.config import load_config
from npusim.engine.components import build_components
from npusim.errors import ConfigError
from npusim_cache.accelsim import parse_cache_string

PYTORCHSIM = "S:64:128:512,32,L:B:m:W:L,A:192:4,32:0,32"
ACCELSIM_3070 = "S:64:128:16,L:B:m:L:P,A:192:4,32:0,32"


def test_pytorchsim_string_fields():
    g = parse_cache_string(PYTORCHSIM)
    assert (g.sectored, g.sets, g.line_bytes, g.assoc, g.sector_bytes) == (True, 64, 128, 512, 32)
    assert (g.replacement, g.write_policy, g.alloc_on_fill, g.write_alloc, g.set_index) == (0, 0, 0, 1, 0)
    assert (g.mshr_type, g.mshr_entries, g.mshr_max_merge) == ("A", 192, 4)
    assert (g.miss_queue_size, g.result_fifo_entries, g.data_port_bytes) == (32, 0, 32)
    assert g.slice_bytes == 4 * 1024 * 1024 and g.sectors_per_line == 4


def test_accelsim_3070_string_fields():
    g = parse_cache_string(ACCELSIM_3070)
    assert (g.sets, g.line_bytes, g.assoc, g.sector_bytes) == (64, 128, 16, 32)  # sector: AccelSim SECTOR_SIZE
    assert (g.write_alloc, g.set_index) == (3, 2)  # L = lazy fetch-on-read, P = ipoly
    assert g.slice_bytes == 128 * 1024


def test_optional_fields_and_variants():
    g = parse_cache_string("N:16:64:4,F:T:f:N,S:8:2")
    assert not g.sectored and g.atom_bytes == 64 and g.set_index == 0 and g.miss_queue_size == 8
    assert g.data_port_bytes == 64
    assert parse_cache_string("S:8:128:4,64,L:E:s:N:X,A:4:1,8:2").sector_bytes == 64
    assert parse_cache_string("S:8:128:4,L:L:m:W:L,A:4:1,8").write_policy == 1  # L = global write-through


@pytest.mark.parametrize("text,field", [
    ("Q:64:128:16,L:B:m:L:P,A:192:4,32:0,32", "type"),
    ("S:x:128:16,L:B:m:L:P,A:192:4,32:0,32", "sets"),
    ("S:48:128:16,L:B:m:L:P,A:192:4,32:0,32", "sets"),            # ipoly needs a power of two
    ("S:64:100:16,L:B:m:L:P,A:192:4,32:0,32", "line_bytes"),
    ("S:64:128:0,L:B:m:L:P,A:192:4,32:0,32", "assoc"),
    ("S:64:128:16,256,L:B:m:L:P,A:192:4,32:0,32", "sector_bytes"),
    ("S:64:128:16,Z:B:m:L:P,A:192:4,32:0,32", "replacement"),
    ("S:64:128:16,L:R:m:L:P,A:192:4,32:0,32", "write_policy"),
    ("S:64:128:16,L:B:q:L:P,A:192:4,32:0,32", "alloc_policy"),
    ("S:64:128:16,L:B:m:Q:P,A:192:4,32:0,32", "write_alloc_policy"),
    ("S:64:128:16,L:T:m:L:P,A:192:4,32:0,32", "write_alloc_policy"),  # lazy needs write-back
    ("S:64:128:16,L:B:m:L:Y,A:192:4,32:0,32", "set_index_fn"),
    ("S:64:128:16,L:B:m:L:P,B:192:4,32:0,32", "mshr_type"),
    ("S:64:128:16,L:B:m:L:P,A:0:4,32:0,32", "mshr_entries"),
    ("S:64:128:16,L:B:m:L:P,A:192:x,32:0,32", "mshr_max_merge"),
    ("S:64:128:16,L:B:m:L:P,A:192:4,3:0,32", "miss_queue_size"),     # cannot hold a worst-case miss
    ("S:64:128:16,L:B:m:L:P,A:192:4,32:-1,32", "result_fifo_entries"),
    ("S:64:128:16,L:B:m:L:P,A:192:4,32:0,z", "data_port_width"),
])
def test_bad_field_is_named_in_one_line(text, field):
    with pytest.raises(ConfigError) as err:
        parse_cache_string(text)
    msg = str(err.value)
    assert f"field {field} " in msg and "\n" not in msg


@pytest.mark.parametrize("text", ["", "S:64:128", "S:64:128:16", "S:64:128:16,L:B:m:L:P", "S:1:2:3:4:5,L:B:m:L,A:1:1",
                                  "S:64:128:16,L:B:m:L:P,A:192:4,32:0,32,9"])
def test_malformed_strings_are_one_line_errors(text):
    with pytest.raises(ConfigError) as err:
        parse_cache_string(text)
    assert "cache.config" in str(err.value) and "\n" not in str(err.value)


def test_both_strings_build_through_a_pytorchsim_flat_config():
    for text in (PYTORCHSIM, ACCELSIM_3070):
        flat = {"num_cores": 1, "core_freq_mhz": 940, "dram_type": "simple", "dram_channels": 16, "dram_freq_mhz": 940,
                "dram_latency": 100, "l2d_type": "datacache", "l2d_config": text, "l2d_hit_latency": 2,
                "icnt_type": "simple", "icnt_latency_cycles": 10, "codegen_mapping_strategy": "fixed"}
        cfg = load_config(flat)
        assert cfg.impl("cache") == "sectored" and cfg.params("cache").config == text
        comps = build_components(cfg)
        assert comps.cache.cpp.num_channels() == 16
        assert comps.cache.stats()["capacity_bytes"] == 16 * parse_cache_string(text).slice_bytes
        assert comps.cache.freq_mhz == 940  # L2 clocked with the core, as TOGSim's core_cycle does


def test_cli_describe_and_plan(capsys):
    from npusim.cli import main

    assert main(["cache", "describe", PYTORCHSIM, "--channels", "16"]) == 0
    out = capsys.readouterr().out
    assert "assoc                512" in out and "sector_bytes         32" in out and "65536 KiB for 16 slices" in out
    assert main(["cache", "describe", "S:64:128:16,L:B:m:L:Y,A:192:4,32:0,32"]) == 2
    err = capsys.readouterr().err
    assert "field set_index_fn" in err and err.count("\n") == 1
    plan = Path(__file__).resolve().parents[3] / "configs" / "cache" / "gemm_plan.py"
    assert main(["cache", "plan", str(plan)]) == 0
    assert capsys.readouterr().out.split() == ["arg1_1"]
