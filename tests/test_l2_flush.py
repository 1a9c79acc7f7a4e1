"""End-of-run L2 flush through the engine with the sectored L2 plugin: dirty sectors written back after the last
kernel, reported as flush_cycles / flush_writebacks outside total_cycles."""
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.testing.closed_form import closed_form_gemm

WRITE_BACK_L2 = {"cache.impl": "sectored", "cache.config": "S:64:128:16,L:B:m:L:P,A:192:4,32:0,32"}  # L:B write-back


def run_gemm(**ov):
    """(simulator, end cycle of the kernel before the flush, result) of the 8x8x16 closed-form GEMM."""
    return closed_form_gemm(16, **ov)


def test_write_back_l2_flushes_every_dirty_sector_after_the_kernel():
    sim, end, res = run_gemm(**WRITE_BACK_L2)
    # The L2 absorbs C's 8 stores (lazy write-allocate, no DRAM write before the flush)...
    assert res.total_cycles == end == 133
    assert res.cache["downstream_writes"] == res.flush_writebacks == 8 == res.cache["flush_writebacks"]
    assert res.cache["dirty_bytes"] == 0 and res.cache["flush_pending"] == 0
    assert sum(ch["writes"] for ch in res.dram["channels"]) == 8
    # ...and the flush at 133 sends each slice's two dirty sectors from its miss queue one per L2 cycle (134,
    # 135); the DRAM finishes the second 50 cycles after it starts: idle at 185 = 133 + 52.
    assert res.flush_cycles == 52 and sim.now_cycles == end + 52
    assert sim.engine.idle()
    # kernel cycles do not include the flush; a second result() does not flush again
    assert res.kernels[0]["cycles"] == 133
    again = sim.result()
    assert (again.flush_writebacks, again.flush_cycles, again.total_cycles) == (8, 52, 133)


def test_a_new_launch_after_a_flush_is_flushed_again():
    sim, end, res = run_gemm(**WRITE_BACK_L2)
    mach = sim.machine
    sim.launch(lower(KernelSpec("gemm", {"M": 8, "N": 8, "K": 8}, name="second"),
                     Mapping({"M": 8, "N": 8, "K": 8}, ("M", "N", "K")), mach))
    second = sim.result()  # run_until was not called: the launch is still queued, nothing is flushed
    assert second.flush_writebacks == 8
    sim.run_until(None)
    third = sim.result()
    assert third.kernels[1]["start_cycle"] >= end + 52  # the second kernel starts after the first flush
    assert third.flush_writebacks == 16  # its own 8 output sectors, flushed at its end
