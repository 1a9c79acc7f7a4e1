"""BookSim config files: parsing, unsupported keys, bad values, node mapping and the component config."""
import json

import pytest
from helpers import CONFIGS
from npusim.errors import ConfigError
from npusim_noc import booksim_config as bc
from npusim_noc.anynet import read_anynet
from npusim_noc.booksim import load_settings


def test_parse_comments_and_multiple_statements():
    raw = bc.parse_text("// header\ntopology = mesh; k = 4;\n/* block\ncomment */ n = 2; // tail\n", "x")
    assert raw == {"topology": "mesh", "k": "4", "n": "2"}


def test_every_shipped_config_loads():
    for path in CONFIGS.glob("*.icnt"):
        vals = load_settings(str(path))
        assert vals["topology"] in bc.TOPOLOGIES


def test_pytorchsim_crossbar_file():
    vals = load_settings(str(CONFIGS / "fly_c16_m16.icnt"))
    assert (vals["topology"], vals["k"], vals["n"], vals["vc_buf_size"]) == ("fly", 32, 1, 256)
    assert vals["sw_allocator"] == "islip" and vals["routing_function"] == "dest_tag"


def test_unsupported_keys_named_in_one_line(tmp_path):
    f = tmp_path / "bad.icnt"
    f.write_text("topology = mesh;\nk = 4;\nflatfly_magic = 3;\nexpress_hops = 2;\n")
    with pytest.raises(ConfigError) as e:
        load_settings(str(f))
    msg = str(e.value)
    assert "flatfly_magic" in msg and "express_hops" in msg and str(f) in msg and "\n" not in msg


@pytest.mark.parametrize("text,needle", [
    ("num_vcs = many;", "num_vcs"),
    ("k = 2.5;", "k"),
    ("topology = dragonfly;", "dragonfly"),
    ("topology = mesh; routing_function = dest_tag;", "routing_function"),
    ("vc_allocator = wavefront;", "vc_allocator"),
    ("hold_switch_for_packet = 2;", "hold_switch_for_packet"),
    ("speculative = 1; vc_alloc_delay = 2;", "speculative = 1 needs vc_alloc_delay == sw_alloc_delay"),
    ("spec_sw_allocator = islip;", "spec_sw_allocator"),
    ("spec_check_cred = 0;", "spec_check_cred"),
    ("topology = mesh; c = 4;", "cmesh only"),
    ("topology = cmesh; k = 4; c = 4; xr = 2;", "c = xr \\* yr"),
    ("topology = cmesh; k = 4; n = 3; c = 1;", "n = 2"),
    ("topology = cmesh; k = 4; c = 4; xr = 2; yr = 2; x = 8;", "x = 8 must equal k = 4"),
    ("topology = cmesh; k = 4; routing_function = dor;", "dor_no_express"),
    ("topology = torus; num_vcs = 1;", "num_vcs"),
    ("topology = anynet;", "network_file"),
    ("vc_buf_size = 0;", "vc_buf_size"),
    ("k 4;", "expected 'key = value;'"),
])
def test_bad_values(tmp_path, text, needle):
    f = tmp_path / "c.icnt"
    f.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        load_settings(str(f))


def test_missing_file():
    with pytest.raises(ConfigError, match="not found"):
        load_settings("/nonexistent/x.icnt")


@pytest.mark.parametrize("text,needle", [
    ("router 0 node 0 node 0\nrouter 1 node 0\n", "two routers"),
    ("node 0 node 1\n", "node to node"),
    ("router 0 node 0 router 1 fast\n", "integer latenc"),
    ("router 0 node 0 node 2\n", "0..1"),
])
def test_anynet_errors(tmp_path, text, needle):
    f = tmp_path / "a.anynet"
    f.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        read_anynet(f)


def test_component_maps_nodes_and_rejects_too_many():
    import npusim.testing

    comp = npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                          params={"config_path": str(CONFIGS / "mesh88.icnt")})
    # 4 core ports + 4 channels spread over 64 terminals
    assert comp.node_terminal == [0, 8, 16, 24, 32, 40, 48, 56]
    assert int(comp.cpp.num_nodes()) == 8
    with pytest.raises(ConfigError, match="only 4 terminals"):
        npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                       params={"params": {"topology": "fly", "k": 4, "n": 1}})


def test_inline_overrides_and_unknown_override():
    import npusim.testing

    comp = npusim.testing.build_component("noc", "booksim", machine="small-8x8",
                                          params={"config_path": str(CONFIGS / "mesh88.icnt"),
                                                  "params": {"num_vcs": 2, "k": 4}})
    assert comp.settings["num_vcs"] == 2 and comp.settings["k"] == 4
    with pytest.raises(ConfigError, match="bogus_key"):
        npusim.testing.build_component("noc", "booksim", machine="small-8x8", params={"params": {"bogus_key": 1}})


def test_pytorchsim_flat_config_selects_booksim(tmp_path):
    from npusim.config import load_config

    cfg = tmp_path / "pts.json"
    cfg.write_text(json.dumps({"num_cores": 1, "dram_channels": 16, "icnt_type": "booksim2", "icnt_freq_mhz": 940,
                               "icnt_latency_cycles": 3, "icnt_injection_ports_per_core": 16,
                               "booksim_config_path": str(CONFIGS / "fly_c16_m16.icnt")}))
    m = load_config(str(cfg))
    assert m.impl("noc") == "booksim"
    assert m.params("noc").latency_cycles == 3 and m.params("noc").config_path.endswith("fly_c16_m16.icnt")


def test_cli_sweep_prints_curve_and_writes_json(tmp_path, capsys):
    from npusim.cli import main

    out = tmp_path / "curve.json"
    code = main(["noc", "sweep", "--config", str(CONFIGS / "mesh88.icnt"), "--rates", "0.05,0.6",
                 "--sample-period", "300", "--warmup-periods", "1", "--json", str(out)])
    assert code == 0
    assert "saturation: 0.6" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert [p["offered"] for p in data["points"]] == [0.05, 0.6] and data["saturation_rate"] == 0.6


def test_cli_bad_key_exits_2(tmp_path, capsys):
    from npusim.cli import main

    f = tmp_path / "c.icnt"
    f.write_text("topology = mesh; k = 4; bogus = 1;")
    assert main(["noc", "sweep", "--config", str(f), "--rates", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "bogus" in err and err.count("\n") == 1
