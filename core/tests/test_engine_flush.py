"""End-of-run L2 flush without a cache: a no-op, reported as such (with the sectored L2: tests/test_l2_flush.py)."""
from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower

# The closed-form machine of test_engine.py: 1 GHz everywhere, simple DRAM (50 cycles, one 32-B request per
# channel per cycle), 32-B plain interleave and transactions, so C's 8 rows are 2 sectors on each of 4 channels.
CLOSED = {"mapper.impl": "fixed", "memory.interleave": "plain", "memory.interleave_bytes": 32,
          "memory.txn_bytes": 32, "dram.latency_cycles": 50, "noc.latency_cycles": 4}


def run_gemm(**ov):
    """(simulator, end cycle of the kernel before the flush, result) of the 8x8x16 closed-form GEMM."""
    mach = load_config("small-8x8", overrides={**CLOSED, **ov})
    sim = Simulator(mach)
    sim.launch(lower(KernelSpec("gemm", {"M": 8, "N": 8, "K": 16}), Mapping({"M": 8, "N": 8, "K": 16}, ("M", "N", "K")),
                     mach))
    sim.run_until(None)
    end = sim.launch_span(0)[1]
    return sim, end, sim.result()


def test_without_a_cache_the_flush_is_a_no_op():
    sim, end, res = run_gemm()
    d = res.to_dict()
    assert (d["flush_cycles"], d["flush_writebacks"], d["total_cycles_include_flush"]) == (0, 0, False)
    assert res.total_cycles == end == sim.now_cycles == 180  # test_engine.py: test_closed_form_gemm_two_k_steps
