"""End-of-run L2 flush without a cache: a no-op, reported as such (with the sectored L2: tests/test_l2_flush.py)."""
from npusim.testing.closed_form import closed_form_gemm



def run_gemm(**ov):
    """(simulator, end cycle of the kernel before the flush, result) of the 8x8x16 closed-form GEMM."""
    return closed_form_gemm(16, **ov)


def test_without_a_cache_the_flush_is_a_no_op():
    sim, end, res = run_gemm()
    d = res.to_dict()
    assert (d["flush_cycles"], d["flush_writebacks"], d["total_cycles_include_flush"]) == (0, 0, False)
    assert res.total_cycles == end == sim.now_cycles == 180  # test_engine.py: test_closed_form_gemm_two_k_steps
