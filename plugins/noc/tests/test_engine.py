"""The booksim NoC inside a full simulation: a PyTorchSim flat config with icnt_type booksim2 and the fly crossbar."""
import json

import pytest
from helpers import CONFIGS


def _pytorchsim_config(tmp_path, icnt_type: str) -> str:
    cfg = {"num_cores": 1, "core_freq_mhz": 940, "num_systolic_array_per_core": 2, "vpu_num_lanes": 128,
           "vpu_spad_size_kb_per_lane": 128, "vpu_vector_length_bits": 256, "dram_type": "simple",
           "dram_freq_mhz": 940, "dram_channels": 16, "dram_req_size_byte": 32, "dram_latency": 100,
           "icnt_type": icnt_type, "icnt_freq_mhz": 940, "icnt_latency_cycles": 10,
           "icnt_injection_ports_per_core": 16, "booksim_config_path": str(CONFIGS / "fly_c16_m16.icnt"),
           "pytorchsim_functional_mode": 0, "pytorchsim_timing_mode": 1}
    if icnt_type == "simple":
        del cfg["booksim_config_path"]
    path = tmp_path / f"tpuv3_{icnt_type}.json"
    path.write_text(json.dumps(cfg))
    return str(path)


@pytest.mark.slow
def test_gemm_runs_over_the_fly_crossbar(tmp_path):
    from npusim.config import load_config
    from npusim.plugins import make_plugins
    from npusim.workloads import run_workload

    plugins = make_plugins()
    res = {}
    for icnt in ("simple", "booksim2"):
        machine = load_config(_pytorchsim_config(tmp_path, icnt), plugins)
        res[icnt] = run_workload("gemm:256,256,256", machine, plugins)
    noc = res["booksim2"].noc
    assert noc["packets"] == res["simple"].noc["packets"] > 0
    # every packet pays the crossbar's zero-load latency (5 cycles, test_zero_load.py) on top of
    # icnt_latency_cycles = 10
    assert noc["avg_packet_latency_cycles"] >= 10 + 5
    assert res["booksim2"].total_cycles >= res["simple"].total_cycles
