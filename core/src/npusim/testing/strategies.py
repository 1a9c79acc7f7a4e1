"""Hypothesis strategies for request streams, packet streams, tile shapes and kernels."""
from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def memory_streams(draw, channels: int, max_len: int = 120, line: int = 32):
    """[(time_ps, channel, addr, bytes, is_write)]: bursts of nearby and random addresses."""
    n = draw(st.integers(1, max_len))
    t = 0
    out = []
    base = draw(st.integers(0, 1 << 20)) * line
    for _ in range(n):
        t += draw(st.sampled_from([0, 0, 0, 500, 1000, 20000]))
        kind = draw(st.sampled_from(["seq", "seq", "rand"]))
        addr = base if kind == "seq" else draw(st.integers(0, 1 << 24)) * line
        base = addr + line
        nbytes = line * draw(st.sampled_from([1, 1, 2, 4]))
        out.append((t, draw(st.integers(0, channels - 1)), addr, nbytes, draw(st.booleans())))
    return out


@st.composite
def packet_streams(draw, nodes: int, max_len: int = 80):
    """[(time_ps, src, dst, bytes)] with src != dst."""
    n = draw(st.integers(1, max_len))
    t = 0
    out = []
    for _ in range(n):
        t += draw(st.sampled_from([0, 0, 1000, 5000]))
        s = draw(st.integers(0, nodes - 1))
        d = draw(st.integers(0, nodes - 2))
        d = d + 1 if d >= s else d
        out.append((t, s, d, draw(st.sampled_from([32, 64, 256]))))
    return out


def awkward_sizes():
    """Dimension sizes that break naive tilers: 1, primes, just-over-powers-of-two."""
    return st.sampled_from([1, 2, 3, 7, 13, 31, 64, 127, 128, 129, 255, 257, 429, 1000, 4071])
