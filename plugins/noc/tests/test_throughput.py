"""Accepted throughput never exceeds the bisection bound; allocators and speedups keep latency sane."""
import pytest
from npusim_noc.sweep import run_sweep

MESH = {"topology": "mesh", "k": 8, "n": 2, "num_vcs": 8, "vc_buf_size": 8}


def bisection_bound(traffic: str, k: int, wrap: bool) -> float:
    """Flits/node/cycle a k x k mesh (torus: twice the channels) can carry across its bisection.

    Uniform: half of the N/2 nodes' traffic on one side crosses -> N/4 * rate <= k (per direction), so
    rate <= 4k/N = 4/k. Bit-complement: every packet crosses -> N/2 * rate <= k, so rate <= 2/k.
    """
    per_dir = 2 * k if wrap else k
    nodes = k * k
    crossing = {"uniform": 0.5, "bitcomp": 1.0, "transpose": 0.5}[traffic]
    return per_dir / (nodes / 2 * crossing)


@pytest.mark.parametrize("traffic", ["uniform", "bitcomp", "transpose"])
def test_mesh_throughput_below_bisection_bound(traffic):
    res = run_sweep("", traffic, [0.3, 0.9], packet_size=1, warmup_periods=1, sample_period=1000, overrides=MESH)
    bound = bisection_bound(traffic, 8, wrap=False)
    for p in res["points"]:
        assert p["accepted"] <= bound * 1.02, (traffic, p)
    assert res["saturation_rate"] is not None  # 0.9 is beyond every bound


def test_torus_throughput_below_bisection_bound():
    res = run_sweep("", "uniform", [1.0], packet_size=1, warmup_periods=1, sample_period=1000,
                    overrides={"topology": "torus", "k": 4, "n": 2, "num_vcs": 4})
    assert res["points"][0]["accepted"] <= bisection_bound("uniform", 4, wrap=True) * 1.02


@pytest.mark.parametrize("keys", [
    {"vc_allocator": "islip", "sw_allocator": "islip", "alloc_iters": 2},
    {"vc_allocator": "separable_input_first", "sw_allocator": "separable_input_first"},
    {"vc_allocator": "separable_output_first", "sw_allocator": "separable_output_first"},
    {"input_speedup": 2, "output_speedup": 2},
    {"internal_speedup": 2.0},
    {"wait_for_tail_credit": 1, "credit_delay": 2},
])
def test_router_options_below_saturation(keys):
    res = run_sweep("", "uniform", [0.15], packet_size=4, warmup_periods=1, sample_period=1000,
                    overrides={**MESH, **keys})
    (p,) = res["points"]
    assert p["stable"] and abs(p["accepted"] - 0.15) < 0.02
    assert p["zero_load_latency"] <= p["avg_packet_latency"] < 2 * p["zero_load_latency"]


def test_speedup_raises_saturation_throughput():
    base = run_sweep("", "uniform", [0.9], packet_size=1, warmup_periods=1, sample_period=1000, overrides=MESH)
    fast = run_sweep("", "uniform", [0.9], packet_size=1, warmup_periods=1, sample_period=1000,
                     overrides={**MESH, "internal_speedup": 2.0, "output_speedup": 2})
    assert fast["points"][0]["accepted"] >= base["points"][0]["accepted"]


def test_sweep_is_deterministic():
    a = run_sweep("", "hotspot", [0.1, 0.3], packet_size=2, warmup_periods=1, sample_period=300, overrides=MESH)
    b = run_sweep("", "hotspot", [0.1, 0.3], packet_size=2, warmup_periods=1, sample_period=300, overrides=MESH)
    strip = lambda r: [{k: v for k, v in p.items() if k not in ("wall_s", "cycles_per_s")} for p in r["points"]]
    assert strip(a) == strip(b)
