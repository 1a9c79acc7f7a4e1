"""The closed-form GEMM run: one 8x8xK tile on small-8x8 whose cycles core/tests/test_engine.py derives by hand."""
from __future__ import annotations

# 1 GHz everywhere, simple DRAM (50 cycles, one 32-B request per channel per cycle), 32-B plain interleave
# and transactions: every 8-element fp32 tile row is one transaction on channel (address / 32) mod 4.
CLOSED_FORM = {"mapper.impl": "fixed", "memory.interleave": "plain", "memory.interleave_bytes": 32,
               "memory.txn_bytes": 32, "dram.latency_cycles": 50, "noc.latency_cycles": 4}


def closed_form_gemm(k: int, **overrides):
    """(simulator, end cycle of the kernel, result) of C[8,8] = A[8,k] @ B[k,8] in one tile on the closed-form
    machine (plus `overrides`, e.g. a cache)."""
    from npusim.config import load_config
    from npusim.engine.simulator import Simulator
    from npusim.kernels import KernelSpec, Mapping
    from npusim.lowering import lower

    mach = load_config("small-8x8", overrides={**CLOSED_FORM, **overrides})
    sim = Simulator(mach)
    sim.launch(lower(KernelSpec("gemm", {"M": 8, "N": 8, "K": k}), Mapping({"M": 8, "N": 8, "K": k}, ("M", "N", "K")),
                     mach))
    sim.run_until(None)
    return sim, sim.launch_span(0)[1], sim.result()
