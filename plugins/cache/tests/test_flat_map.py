"""npusim::l2::FlatMap (the L2's tag / MSHR / in-flight index) behaves as a dict under inserts, overwrites and erases."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from npusim_cache.sectored import load_library

# keys from a narrow range and a few far ones collide in the table and build probe runs that erases must repair
keys = st.one_of(st.integers(0, 40), st.sampled_from([-1, 1 << 40, (1 << 62) + 3, -(1 << 50)]))
ops = st.lists(st.tuples(st.sampled_from(["put", "put", "erase", "find"]), keys, st.integers(0, 1000)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(ops=ops, expected=st.sampled_from([1, 4, 64]))
def test_flat_map_matches_a_dict(ops, expected):
    load_library()
    import cppyy

    m = cppyy.gbl.npusim.l2.FlatMap(expected)
    ref: dict[int, int] = {}
    for op, key, value in ops:
        if op == "put":
            m.put(key, value)
            ref[key] = value
        elif op == "erase":
            m.erase(key)
            ref.pop(key, None)
        assert m.find(key) == ref.get(key, -1)
        assert m.size() == len(ref)
    for key in range(-2, 42):
        assert m.find(key) == ref.get(key, -1)
