"""End to end: a persistent L2 plan naming a GEMM's weights cuts the DRAM reads of a GEMM that re-reads them."""
from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower

M, N, K, TM = 256, 32, 64, 16  # weights B (K x N fp32, 8 KiB) are re-read once per M tile: 16 times


def _run(tmp_path, **cache):
    # 32-B transactions: every DRAM read is one sector, so request counts compare bytes
    ov = {"mapper.impl": "fixed", "memory.txn_bytes": 32, **{f"cache.{k}": v for k, v in cache.items()}}
    mach = load_config("small-8x8", overrides=ov)
    kernel = KernelSpec("gemm", {"M": M, "N": N, "K": K}, operands={"A": "arg0_1", "B": "arg1_1", "C": "buf0"})
    tog = lower(kernel, Mapping({"M": TM, "N": N, "K": K}, ("M", "N", "K"), sub_tiles={"K": K}), mach)  # whole-K DMAs
    res = Simulator(mach).run([tog]).to_dict()
    return sum(c["reads"] for c in res["dram"]["channels"]), res


def test_planned_l2_cuts_dram_reads_of_reused_weights(tmp_path):
    plan = tmp_path / "plan.py"
    plan.write_text('plan = {"arg1_1"}\n')
    base_reads, base = _run(tmp_path)
    plan_reads, planned = _run(tmp_path, impl="sectored", mode="plan", plan_path=str(plan))
    c = planned["cache"]
    b_bytes = K * N * 4
    # the weights are fetched from DRAM once (32-B sectors) and hit afterwards; A bypasses the L2
    assert c["fetches"] == b_bytes // 32
    assert c["hits"] == c["accesses"] - c["misses"] and c["hits"] >= 14 * b_bytes // 32
    assert plan_reads == c["bypassed_reads"] + c["fetches"]
    assert plan_reads < 0.5 * base_reads
    # same work: identical bytes moved by the core, identical DRAM writes (C bypasses the L2)
    assert planned["cores"][0]["bytes_read"] == base["cores"][0]["bytes_read"]
    assert sum(ch["writes"] for ch in planned["dram"]["channels"]) == sum(
        ch["writes"] for ch in base["dram"]["channels"])


def test_transparent_l2_caches_every_tensor(tmp_path):
    reads, res = _run(tmp_path, impl="sectored", mode="transparent")
    c = res["cache"]
    assert c["bypassed"] == 0 and c["accesses"] > 0
    assert reads == c["fetches"]
