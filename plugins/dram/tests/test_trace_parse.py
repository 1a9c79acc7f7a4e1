"""The C++ load/store trace parser gives what the plain line-by-line rules give, on every line form and error."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npusim.errors import WorkloadError
from npusim_dram.replay import parse_trace


def reference(data: bytes) -> tuple[list[int], list[int]] | int:
    """Addresses and write flags by the documented rules, or the 1-based number of the first bad line."""
    addrs, writes = [], []
    for lineno, line in enumerate(re.split(r"\r\n|\r|\n", data.decode()), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        try:
            addr = int(parts[1], 0) if len(parts) == 2 and parts[0].upper() in ("LD", "ST") else -1
        except ValueError:
            addr = -1
        if not 0 <= addr < 1 << 63:
            return lineno
        addrs.append(addr)
        writes.append(int(parts[0].upper() == "ST"))
    return addrs, writes


pad = st.sampled_from(["", " ", "  ", "\t", " \t "])
op = st.sampled_from(["LD", "ST", "ld", "st", "Ld", "sT"])
address = st.one_of(
    st.integers(0, (1 << 63) - 1).map(str),
    st.integers(0, (1 << 63) - 1).map(hex),
    st.integers(0, 1 << 40).map(lambda v: "0X" + format(v, "X")),
    st.integers(0, 1 << 20).map(lambda v: "0x000" + format(v, "x")),  # leading zeros
    st.integers(0, 1 << 20).map(bin), st.integers(0, 1 << 20).map(oct),
    st.integers(1000, 1 << 30).map(lambda v: f"{v:_}"),  # underscores: a Python integer literal
    st.sampled_from(["0", "00", "0x0"]))
good_line = st.one_of(
    st.tuples(pad, op, st.sampled_from([" ", "\t", "  "]), address, pad).map("".join),
    pad, st.tuples(pad, st.just("#"), st.text("abc LD 0x1 #", max_size=8)).map("".join))
bad_line = st.sampled_from(["LD", "RD 0x10", "LD zz", "LD 0x", "LD 01", "LD -5", "ST 1 2", "LD 0x8000000000000000",
                            "LD 9223372036854775808", "LDX 4", "L D 4", "0x40"])
eol = st.sampled_from(["\n", "\r\n", "\r"])


def _parse(data: bytes):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.trace"
        p.write_bytes(data)
        return parse_trace(p)


def _join(lines: list[str], ends: list[str], last_eol: bool) -> bytes:
    text = "".join(line + end for line, end in zip(lines, ends))
    return (text if last_eol else text.rstrip("\r\n")).encode()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(good_line, eol), min_size=1, max_size=40), st.booleans())
def test_valid_traces_parse_as_the_rules_say(lines, last_eol):
    data = _join([x for x, _ in lines], [e for _, e in lines], last_eol)
    ref = reference(data)
    assert not isinstance(ref, int)
    if not ref[0]:
        with pytest.raises(WorkloadError, match="no LD/ST lines"):
            _parse(data)
        return
    addrs, writes = _parse(data)
    assert addrs.dtype == np.int64 and writes.dtype == np.int8
    assert addrs.tolist() == ref[0] and writes.tolist() == ref[1]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(good_line, eol), max_size=30), bad_line, eol, st.data())
def test_the_first_bad_line_is_named(lines, bad, end, data):
    at = data.draw(st.integers(0, len(lines)))
    texts = [x for x, _ in lines]
    ends = [e for _, e in lines]
    texts.insert(at, bad)
    ends.insert(at, end)
    raw = _join(texts, ends, True)
    ref = reference(raw)
    assert isinstance(ref, int)
    with pytest.raises(WorkloadError, match=rf":{ref}: "):
        _parse(raw)


def test_a_large_trace_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    addrs = rng.integers(0, 1 << 40, 200_000) // 32 * 32
    writes = (rng.random(len(addrs)) < 0.25).astype(np.int8)
    lines = [f"{'ST' if w else 'LD'} {hex(a) if i % 3 else a}" for i, (a, w) in enumerate(zip(addrs.tolist(), writes))]
    p = tmp_path / "big.trace"
    p.write_text("\n".join(lines) + "\n")
    a, w = parse_trace(p)
    assert np.array_equal(a, addrs) and np.array_equal(w, writes)
