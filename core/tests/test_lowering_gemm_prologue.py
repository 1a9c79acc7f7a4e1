"""GEMM/BMM prologue lowering: the fused ops run on every loaded A/B tile (params prologue_a splits them), and
the prologue's broadcast inputs (params pro_a_row / pro_a_col / pro_b_row / pro_b_col, operands P0..) are
loaded slice by slice with each operand tile, before the first prologue op."""
import attrs
import numpy as np
import pytest
from npusim.config import load_config
from npusim.engine.simulator import Simulator
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.testing.tog_walk import elements, instances
from npusim.tog import Compute, Dma

M, N, K = 128, 256, 192
TILES = {"M": 64, "N": 128, "K": 64}  # 2 M tiles x 2 N tiles x 3 K steps; A reloaded per N tile, B per M tile
ORDER = ("M", "N", "K")
PLAIN = KernelSpec("gemm", {"M": M, "N": N, "K": K}, prologue=("div", "fma"), params={"prologue_a": 1})
SIDED = attrs.evolve(PLAIN, params={"prologue_a": 1, "pro_a_row": 1, "pro_a_col": 1, "pro_b_row": 1, "pro_b_col": 1})


def machine():
    return load_config("tpuv3", overrides={"dram.impl": "simple", "mapper.impl": "fixed"})


def test_broadcast_inputs_are_loaded_with_every_operand_tile():
    mc = machine()
    plain, sided = (Simulator(mc).run([lower(k, Mapping(TILES, ORDER), mc)]).cores[0] for k in (PLAIN, SIDED))
    a_tiles = b_tiles = 2 * 2 * 3  # A per (m, n, k), B per (m, n, k): each loaded once per iteration
    assert sided["instructions"]["MOVIN"] - plain["instructions"]["MOVIN"] == 2 * a_tiles + 2 * b_tiles
    # A: a TM-row divisor and a TK-column scale per tile; B: a TK-row and a TN-column scale per tile
    per_a, per_b = TILES["M"] + TILES["K"], TILES["K"] + TILES["N"]
    assert sided["bytes_read"] - plain["bytes_read"] == 4 * (a_tiles * per_a + b_tiles * per_b)
    assert sided["instructions"]["COMP_VECTOR"] == plain["instructions"]["COMP_VECTOR"]


def test_each_slice_matches_its_tile_and_gates_the_first_prologue_op():
    tog = lower(SIDED, Mapping(TILES, ORDER), machine())
    assert [tog.tensors[f"P{i}"].shape for i in range(4)] == [(M, 1), (1, K), (K, 1), (1, N)]
    sides = {d.id: d.tensor for d in tog.nodes.values() if isinstance(d, Dma) and d.tensor.startswith("P")}
    firsts = [c for c in tog.nodes.values() if isinstance(c, Compute) and c.name.startswith("prologue_")]
    assert {sides[d] for c in firsts for d in c.deps if d in sides} == {"P0", "P1", "P2", "P3"}
    seen, checked = {}, 0
    for node, env in instances(tog):
        if isinstance(node, Dma) and node.direction == "load":
            seen[node.tensor] = elements(node, env)
        elif isinstance(node, Compute) and node.unit == "gemm" and seen:
            # every load of this iteration is in: the four slices are exactly the rows/columns of A's and B's tiles
            a, b = seen.pop("A"), seen.pop("B")
            assert set(seen.pop("P0")) == set(np.unique(a // K)) and set(seen.pop("P1")) == set(np.unique(a % K))
            assert set(seen.pop("P2")) == set(np.unique(b // N)) and set(seen.pop("P3")) == set(np.unique(b % N))
            checked += 1
    assert checked == 2 * 2 * 3


def test_bmm_slices_follow_the_batch():
    kernel = KernelSpec("bmm", {"B": 2, "M": 64, "N": 64, "K": 32}, prologue=("div",),
                        params={"prologue_a": 1, "pro_a_row": 1})
    tog = lower(kernel, Mapping({"B": 1, "M": 32, "N": 64, "K": 32}, ("B", "M", "N", "K")), machine())
    assert tog.tensors["P0"].shape == (2 * 64, 1)
    rows = [elements(n, env) for n, env in instances(tog) if isinstance(n, Dma) and n.tensor == "P0"]
    assert sorted(np.concatenate(rows).tolist()) == list(range(128))


@pytest.mark.parametrize("params", [{"prologue_a": 0, "pro_a_row": 1}, {"pro_b_col": 1}])
def test_no_slices_without_ops_on_that_operand(params):
    """A side count for an operand with no prologue ops loads nothing (nothing would read it)."""
    kernel = KernelSpec("gemm", {"M": M, "N": N, "K": K}, prologue=(), params=params)
    tog = lower(kernel, Mapping(TILES, ORDER), machine())
    assert not [d for d in tog.nodes.values() if isinstance(d, Dma) and d.tensor.startswith("P")]
