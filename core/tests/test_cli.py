"""CLI: run writes outputs, bad input exits 2 with one line, plugins/info/schema."""
import json
import subprocess
import sys


def npusim(*args):
    return subprocess.run([sys.executable, "-m", "npusim.cli", *args], capture_output=True, text=True)


def test_run_gemm_writes_json_log_and_trace(tmp_path):
    r = npusim("run", "gemm:64,64,64", "--config", "small-8x8", "--set", "mapper.impl=fixed", "--json",
               str(tmp_path / "r.json"), "--log", str(tmp_path / "r.log"), "--trace", str(tmp_path / "t.json"))
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "r.json").read_text())
    for key in ("total_cycles", "simulated_seconds", "wall_seconds", "config", "cores", "dram", "kernels"):
        assert key in res
    assert res["total_cycles"] > 0
    assert "Total execution cycles" in (tmp_path / "r.log").read_text()
    assert json.loads((tmp_path / "t.json").read_text())["traceEvents"]


def test_bad_config_key_exit_2_one_line(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('base = "small-8x8"\n[dram]\nchannelz = 4\n')
    r = npusim("run", "gemm:8,8,8", "--config", str(cfg))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "dram.channelz" in r.stderr and "channels" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_workload_exit_2():
    r = npusim("run", "gemm:1,2", "--config", "small-8x8")
    assert r.returncode == 2 and "gemm takes 3" in r.stderr


def test_plugins_info_schema():
    r = npusim("plugins")
    assert r.returncode == 0
    for dist in ("npusim-core", "npusim-cores", "npusim-dram", "npusim-noc", "npusim-cache", "npusim-mappers",
                 "npusim-frontends"):
        assert dist in r.stdout
    r = npusim("info", "dram", "simple")
    assert r.returncode == 0 and "latency_cycles" in r.stdout and "[DRAM cycles]" in r.stdout
    r = npusim("info", "dram", "nope")
    assert r.returncode == 2
    r = npusim("schema")
    schema = json.loads(r.stdout)
    assert "core" in schema["properties"] and "oneOf" in schema["properties"]["dram"]
