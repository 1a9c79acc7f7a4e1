"""Vector-unit model properties: dtype packing, op-class costs, ports, reductions, monotonicity."""
from __future__ import annotations

import pytest

from npusim.tog.ops import VEC_OPS

OP = {name: i for i, name in enumerate(VEC_OPS)}
BIG = 1 << 20


@pytest.mark.parametrize("ils", [0, 1])
def test_narrow_dtypes_pack_more_elements(make_core, ils):
    cpu = make_core().cpp
    fp32, bf16, int8 = (cpu.vector_mode(OP["add"], BIG, b, ils).occupancy for b in (4, 2, 1))
    assert fp32 == pytest.approx(2 * bf16, rel=0.01) and fp32 == pytest.approx(4 * int8, rel=0.01)
    if not ils:
        assert fp32 == 2 * bf16 == 4 * int8


def test_elements_per_instruction_follow_lanes_and_vlen(make_core):
    """One instruction covers lanes * VLEN / SEW elements: 1024 fp32 on 128 lanes x 256 b."""
    cpu = make_core().cpp
    one = cpu.vector_mode(OP["copy"], 1024, 4, 0)
    assert cpu.vector_mode(OP["copy"], 1, 4, 0).latency == one.latency
    assert cpu.vector_mode(OP["copy"], 1025, 4, 0).occupancy == 2 * one.occupancy


def test_transcendentals_and_division_cost_more_than_alu(make_core):
    cpu = make_core().cpp
    add = cpu.vector(OP["add"], BIG, 4).latency
    for op in ("div", "sqrt", "exp", "log", "tanh", "erf", "sigmoid"):
        assert cpu.vector(OP[op], BIG, 4).latency > 2 * add, op


def test_op_throughput_param_scales_cost(make_core):
    base = make_core().cpp.vector(OP["exp"], BIG, 4).occupancy
    fast = make_core(vec_op_ii={"exp": 4}).cpp.vector(OP["exp"], BIG, 4).occupancy
    assert base == 2 * fast


def test_latency_param_only_moves_latency(make_core):
    a = make_core().cpp.vector(OP["exp"], BIG, 4)
    b = make_core(vec_op_latency={"exp": 124}).cpp.vector(OP["exp"], BIG, 4)
    assert b.latency - a.latency == 100 and a.occupancy == b.occupancy


@pytest.mark.parametrize("ils", [0, 1])
def test_read_ports_bound_three_operand_ops(make_core, ils):
    """fma reads 3 operands: with one 64-bit-wide read port the scratchpad, not the FPU, is the bottleneck."""
    chunks = BIG // 1024
    wide = make_core(spad_read_ports=3).cpp.vector_mode(OP["fma"], BIG, 4, ils).occupancy
    narrow = make_core(spad_read_ports=1, spad_port_bits=64).cpp.vector_mode(OP["fma"], BIG, 4, ils).occupancy
    # wide: 5 instructions per chunk through the single issue slot; narrow: 3 reads x 4 beats on one port
    assert wide == pytest.approx(5 * chunks, rel=0.01) and narrow == pytest.approx(12 * chunks, rel=0.01)


@pytest.mark.parametrize("op", ["reduce_sum", "reduce_max"])
def test_reduction_has_log_depth_tail(make_core, op):
    cpu = make_core().cpp
    red, copy = cpu.vector(OP[op], BIG, 4), cpu.vector(OP["copy"], BIG, 4)
    assert red.latency > copy.latency - 10  # streams at the same rate, then a tree
    small = cpu.vector(OP[op], 1024, 4).latency
    assert small >= 10 * 3  # log2(1024) tree steps of the 3-cycle add in vfredusum


@pytest.mark.parametrize("op", range(len(VEC_OPS)), ids=list(VEC_OPS))
@pytest.mark.parametrize("ils", [0, 1])
def test_monotonic_in_elements(make_core, op, ils):
    cpu = make_core().cpp
    prev = 0
    for n in (1, 100, 1024, 5000, 70000, 300000):
        lat = cpu.vector_mode(op, n, 2, ils).latency
        assert lat >= prev
        prev = lat


def test_zero_elements_cost_nothing(make_core):
    t = make_core().cpp.vector(OP["add"], 0, 4)
    assert (t.latency, t.occupancy) == (0, 0)


def test_bad_op_raises(make_core):
    with pytest.raises(Exception, match="VecOp"):
        make_core().cpp.vector(99, 10, 4)
