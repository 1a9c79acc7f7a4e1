"""`npusim mem replay`: trace parsing, the C++ replay loop, printed/JSON summary and one-line errors."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from npusim.cli import main
from npusim.errors import WorkloadError
from npusim_dram.replay import parse_trace

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "dram"


def _trace(path: Path, addrs, writes=None) -> Path:
    writes = writes if writes is not None else [False] * len(addrs)
    path.write_text("".join(f"{'ST' if w else 'LD'} {hex(a) if i % 2 else a}\n"
                            for i, (a, w) in enumerate(zip(addrs, writes))))
    return path


def test_parse_trace_hex_and_decimal(tmp_path):
    p = tmp_path / "t.trace"
    p.write_text("# comment\nLD 0x1a2b40\nST 4096\n\nld 64\n")
    addrs, writes = parse_trace(p)
    assert addrs.tolist() == [0x1A2B40, 4096, 64] and writes.tolist() == [0, 1, 0]


@pytest.mark.parametrize("text, needle", [("LD\n", ":1:"), ("RD 0x10\n", "LD ADDR"), ("LD zz\n", "bad address"),
                                          ("", "no LD/ST")])
def test_bad_traces(tmp_path, text, needle):
    p = tmp_path / "bad.trace"
    p.write_text(text)
    with pytest.raises(WorkloadError, match=needle):
        parse_trace(p)


@pytest.mark.parametrize("mapping", ["RoBaRaCoCh", "ChRaBaRoCo", "MOP4CLXOR"])
def test_replay_streaming_and_random_hbm2(tmp_path, mapping, capsys):
    cfg = tmp_path / "m.toml"
    cfg.write_text(f'base = "tpuv3"\n[dram]\nimpl = "hbm2"\nchannels = 16\nfreq_mhz = 940\n'
                   f'config_path = "{CONFIGS / "HBM2_TPUv3.yaml"}"\naddress_mapping = "{mapping}"\n')
    rng = np.random.default_rng(0)
    for kind, addrs in (("stream", [i * 32 for i in range(6000)]),
                        ("random", (rng.integers(0, 1 << 32, 6000) // 32 * 32).tolist())):
        trace = _trace(tmp_path / f"{kind}.trace", addrs, (rng.random(len(addrs)) < 0.25).tolist())
        out = tmp_path / f"{kind}.json"
        assert main(["mem", "replay", str(trace), "--config", str(cfg), "--json", str(out)]) == 0
        text = capsys.readouterr().out
        assert "GB/s" in text and "% of 481.2" in text and "requests per wall s" in text
        s = json.loads(out.read_text())
        assert s["requests"] == 6000 and s["reads"] + s["writes"] == 6000
        assert 0 < s["bandwidth_gbps"] <= s["peak_gbps"]
        assert abs(s["row_hit_rate"] + s["row_miss_rate"] + s["row_conflict_rate"] - 1) < 1e-9
        assert s["avg_read_latency_ns"] > 0 and s["requests_per_wall_s"] > 0
        if kind == "stream" and mapping != "ChRaBaRoCo":
            assert s["row_hit_rate"] > 0.9


def test_replay_at_a_fixed_rate_and_with_the_yaml_directly(tmp_path):
    trace = _trace(tmp_path / "s.trace", [i * 32 for i in range(2000)])
    out = tmp_path / "r.json"
    assert main(["mem", "replay", str(trace), "--config", str(CONFIGS / "HBM2_TPUv3.yaml"), "--rate", "0.5",
                 "--json", str(out)]) == 0
    s = json.loads(out.read_text())
    # 0.5 req/ns x 32 B = 16 GB/s offered, far below peak: the run lasts the offer time (4 us) plus at most one
    # request latency and one refresh (tRFC = 350 ns)
    assert 3998 < s["sim_time_ns"] <= 3998 + 200 + 350
    assert s["bandwidth_gbps"] <= 16.0
    assert s["offered_rate_per_ns"] == 0.5


def test_replay_through_the_simple_dram(tmp_path):
    trace = _trace(tmp_path / "s.trace", [i * 32 for i in range(500)])
    out = tmp_path / "r.json"
    assert main(["mem", "replay", str(trace), "--config", "small-8x8", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["impl"] == "simple"


def test_replay_errors_are_one_line(tmp_path, capsys):
    trace = _trace(tmp_path / "s.trace", [0, 32])
    assert main(["mem", "replay", str(trace), "--config", str(tmp_path / "missing.toml")]) == 2
    assert main(["mem", "replay", str(tmp_path / "none.trace"), "--config", "tpuv3"]) == 2
    assert main(["mem", "replay", str(trace), "--config", "tpuv3", "--rate", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(e.startswith("npusim: error:") for e in err)
