"""Vector lowering: tiles partition the input, outputs (plain or reduced) are stored exactly once, ops are
split around the reduction, loop kinds and errors. Checked by enumerating the TOG's DMA addresses."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npusim.errors import MappingError
from npusim.kernels import KernelSpec, Mapping
from npusim.lowering import lower
from npusim.lowering.vector import split_ops
from npusim.testing.tog_walk import elements, instances
from npusim.tog import Compute, Dma, Loop




@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.sampled_from(["", "R", "C"]))
def test_partition(R, C, tr, tc, red):
    tr, tc = min(tr, R), min(tc, C)
    kernel = KernelSpec("vector", {"R": R, "C": C}, epilogue=("exp", "reduce_max", "div") if red else ("add",),
                        reduce=red)
    tog = lower(kernel, Mapping({"R": tr, "C": tc}, ()), None)
    loaded = np.zeros(R * C, int)
    stored = np.zeros(np.prod(tog.tensors["Y"].shape), int)
    for node, env in instances(tog):
        if isinstance(node, Dma):
            np.add.at(loaded if node.direction == "load" else stored, elements(node, env), 1)
    assert (loaded == 1).all() and (stored == 1).all()
    assert tog.tensors["Y"].shape == {"": (R, C), "C": (R, 1), "R": (1, C)}[red]


def test_reduce_ops_split_and_loop_kinds():
    kernel = KernelSpec("vector", {"R": 64, "C": 300}, epilogue=("exp", "reduce_sum", "div"), reduce="C")
    assert split_ops(kernel) == (["exp", "reduce_sum"], ["div"])
    tog = lower(kernel, Mapping({"R": 16, "C": 128}, ("R", "C")), None)
    loops = {n.var: n for n in tog.nodes.values() if isinstance(n, Loop)}
    assert loops["r"].kind == "outer" and loops["c"].kind == "accum"
    ops = [(n.op, [d.size for d in n.dims]) for n in tog.nodes.values() if isinstance(n, Compute)]
    assert ops == [("exp", [16, 128]), ("reduce_sum", [16, 128]), ("div", [16, 1])]


def test_implied_reduce_sum():
    kernel = KernelSpec("vector", {"R": 8, "C": 8}, epilogue=("exp",), reduce="R")
    assert split_ops(kernel) == (["exp", "reduce_sum"], [])
    tog = lower(kernel, Mapping({"R": 4, "C": 8}, ()), None)
    assert [n.op for n in tog.nodes.values() if isinstance(n, Compute)] == ["exp", "reduce_sum"]


@pytest.mark.parametrize("kernel, mapping, words", [
    (KernelSpec("vector", {"R": 8, "C": 8}, reduce="X"), Mapping({"R": 8, "C": 8}, ()), "reduce must be"),
    (KernelSpec("vector", {"R": 8, "C": 8}, reduce="C"), Mapping({"R": 8, "C": 8}, ("C", "R")), "must end with"),
    (KernelSpec("vector", {"R": 8, "C": 8}), Mapping({"R": 8, "C": 9}, ()), "outside 1..8"),
    (KernelSpec("vector", {"R": 8, "C": 8}), Mapping({"R": 8, "C": 8}, ("R", "K")), "permutation"),
])
def test_errors(kernel, mapping, words):
    with pytest.raises(MappingError, match=words):
        lower(kernel, mapping, None)
