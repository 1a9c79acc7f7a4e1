"""Channel-local address decoding against a plain transcription of Ramulator 2.1's address mappers."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dram_helpers import make

LEVELS = ("pcs", "ranks", "bankgroups", "banks", "rows", "columns")  # decode() order: pc rank bg bank row col


def _take(a: int, bits: int) -> tuple[int, int]:
    return a & ((1 << bits) - 1), a >> bits


def ramulator_fields(mapping: str, spec: dict, local: int) -> list[int]:
    """Ramulator 2.1's decode of a channel-local address (addr_mapper/impl/*.cpp), below the channel."""
    bits = {k: (int(spec[k]) - 1).bit_length() for k in LEVELS}
    a = local // spec["req_bytes"]
    f = {}
    if mapping == "RoBaRaCoCh":  # LSB first: Co, then the levels below the channel in order, then Ro
        for k in ("columns", "pcs", "ranks", "bankgroups", "banks"):
            f[k], a = _take(a, bits[k])
        f["rows"] = a
    elif mapping == "ChRaBaRoCo":  # LSB first: Co Ro Ba Bg Ra Pc
        for k in ("columns", "rows", "banks", "bankgroups", "ranks", "pcs"):
            f[k], a = _take(a, bits[k])
    else:  # MOP4CLXOR: Co[1:0], the levels below the channel, Co[rest], Ro; every level below the column XORed
        col, a = _take(a, 2)
        for k in ("pcs", "ranks", "bankgroups", "banks"):
            f[k], a = _take(a, bits[k])
        hi, a = _take(a, bits["columns"] - 2)
        f["columns"], f["rows"] = col | hi << 2, a
        x = 0
        for k in ("pcs", "ranks", "bankgroups", "banks", "rows"):
            if bits[k]:
                f[k] ^= (f["columns"] >> x) & ((1 << bits[k]) - 1)
                x += bits[k]
    return [f[k] & (int(spec[k]) - 1) for k in LEVELS]


@pytest.mark.parametrize("standard,params", [
    ("hbm2", {}), ("ddr4", {"req_bytes": 64}), ("ddr4", {"org_preset": "DDR4_8Gb_x8_2R"}), ("lpddr5", {}),
    ("hbm3", {})], ids=["hbm2", "ddr4-64B", "ddr4-2rank", "lpddr5", "hbm3"])
@pytest.mark.parametrize("mapping", ["RoBaRaCoCh", "ChRaBaRoCo", "MOP4CLXOR"])
@settings(max_examples=60, deadline=None)
@given(st.integers(0, (1 << 34) - 1))
def test_decode_matches_ramulator(standard, params, mapping, local):
    comp = make(standard, channels=1, address_mapping=mapping, **params)
    spec = comp.resolved["spec"]
    local = local % (spec["pcs"] * spec["ranks"] * spec["bankgroups"] * spec["banks"] * spec["rows"]
                     * spec["columns"] * spec["req_bytes"])
    assert list(comp.cpp.decode(local)) == ramulator_fields(mapping, spec, local)


def test_mop4clxor_xors_the_row_with_the_leftover_column_bits():
    """DDR4's 128 64-B columns leave 3 column bits after bank group and bank: consecutive 16-column chunks of one
    page land in different rows, as in Ramulator (HBM2's 32 columns leave none)."""
    comp = make("ddr4", channels=1, address_mapping="MOP4CLXOR", req_bytes=64)
    # request index: Co[1:0] (2 bits), Bg (2), Ba (2), Co[6:2] (5), Ro: only the upper column bits vary here
    rows = [comp.cpp.decode((hi << 6) * 64)[4] for hi in range(32)]
    assert rows == [hi >> 2 for hi in range(32)]  # Ro ^= Co[6:4]
    assert all(comp.cpp.decode((hi << 6) * 64)[5] == hi << 2 for hi in range(32))
