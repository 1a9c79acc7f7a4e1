"""Straightforward pure-Python reference model of one L2 slice (the policy table in npusim_cache/policy.md).

Written from the specification, not from the C++: per-sector state letters instead of bit masks, a list
per set instead of a tag map, and GF(2) long division for the IPOLY hash.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from npusim_cache.accelsim import CacheGeometry

LINE = 128  # line size of the generated cache strings [bytes]
HIT, MSHR_MERGE, MISS, SECTOR_MISS, RESERVATION_FAIL = range(5)
DONE_NOW, DONE_ON_FILL, DONE_ON_ACK = range(3)
FETCH, WRITE_BACK, POSTED_WRITE, FORWARD = range(4)
PRIMITIVE = {0: 0, 1: 0b11, 2: 0b111, 3: 0b1011, 4: 0b10011, 5: 0b100101, 6: 0b1000011, 7: 0b10001001,
             8: 0b100011101}


@dataclass
class Line:
    """One way: its block (None = invalid), LRU/FIFO stamps, and per-sector state I/R/V/M + readability."""

    block: int | None
    state: list[str]
    readable: list[bool]
    last: int = 0
    alloc: int = 0

    def reserved(self) -> bool:
        return "R" in self.state

    def valid(self) -> bool:
        return any(s != "I" for s in self.state)


@dataclass
class Pending:
    """An MSHR entry: tokens waiting for the fill and whether a write merged into it."""

    waiters: list[int] = field(default_factory=list)
    modified: bool = False
    flush_on_fill: bool = False  # pending at a flush: a modified fill is written back when it arrives


class ReferenceSlice:
    """Reference slice: access()/fill() return the same observable values as npusim::l2::L2Policy."""

    def __init__(self, g: CacheGeometry):
        self.g = g
        self.atom = g.atom_bytes
        self.nsec = g.line_bytes // self.atom
        self.sets = [[self._empty() for _ in range(g.assoc)] for _ in range(g.sets)]
        self.mshr: dict[int, Pending] = {}
        self.stats = dict(accesses=0, hits=0, misses=0, line_misses=0, sector_misses=0, mshr_merges=0,
                          reservation_fails=0, writebacks=0, flush_writebacks=0)

    def _empty(self) -> Line:
        return Line(None, ["I"] * self.nsec, [True] * self.nsec)

    def set_of(self, addr: int) -> int:
        block = addr // self.g.line_bytes
        n = self.g.sets
        if self.g.set_index == 0 or n == 1:
            return block % n
        k = n.bit_length() - 1
        if self.g.set_index == 1:
            return (block ^ (block >> k)) % n
        poly, r = PRIMITIVE[k], block
        while r.bit_length() > k:  # GF(2) long division, keep the remainder
            r ^= poly << (r.bit_length() - 1 - k)
        return r

    def _lookup(self, block: int) -> Line | None:
        for line in self.sets[self.set_of(block * self.g.line_bytes)]:
            if line.block == block:
                return line
        return None

    def _victim(self, set_idx: int) -> Line | None:
        ways = self.sets[set_idx]
        for line in ways:
            if not line.reserved() and line.block is None:
                return line
        candidates = [w for w in ways if not w.reserved()]
        if not candidates:
            return None
        key = (lambda w: w.last) if self.g.replacement == 0 else (lambda w: w.alloc)
        return min(candidates, key=key)  # min() keeps the first (lowest way) on ties

    def _dirty_count(self, line: Line) -> int:
        if line.block is None or self.g.write_policy != 0:
            return 0
        return sum(1 for s in line.state if s == "M")

    def _evict(self, line: Line, out: list) -> None:
        if line.block is not None and self.g.write_policy == 0:
            for i, s in enumerate(line.state):
                if s == "M":
                    out.append((line.block * self.g.line_bytes + i * self.atom, self.atom, 1, WRITE_BACK))
                    self.stats["writebacks"] += 1
        line.block, line.state, line.readable = None, ["I"] * self.nsec, [True] * self.nsec
        line.last = line.alloc = 0

    def _install(self, line: Line, block: int, now: int) -> None:
        line.block, line.state, line.readable = block, ["I"] * self.nsec, [True] * self.nsec
        line.last = line.alloc = now

    def _fail(self):
        self.stats["reservation_fails"] += 1
        return RESERVATION_FAIL, DONE_NOW, []

    def access(self, addr: int, is_write: bool, nbytes: int, mq_free: int, now: int, token: int):
        """(outcome, done, downstream list of (addr, bytes, is_write, kind))."""
        g = self.g
        if nbytes <= 0 or nbytes > self.atom:
            nbytes = self.atom
        block, sec = addr // g.line_bytes, (addr % g.line_bytes) // self.atom
        saddr = block * g.line_bytes + sec * self.atom
        line = self._lookup(block)
        out: list = []
        done = DONE_NOW
        st = line.state[sec] if line else "I"
        if line and st in ("V", "M") and line.readable[sec]:
            if is_write and g.write_policy != 0 and mq_free < 1:
                return self._fail()
            line.last = now
            if is_write:
                if g.write_policy == 0:
                    line.state[sec] = "M"
                else:
                    out.append((saddr, nbytes, 1, POSTED_WRITE))
                    if g.write_policy == 2:
                        line.state[sec], line.readable[sec] = "I", True
                        if not line.valid():
                            self._evict(line, [])
            outcome = HIT
        elif saddr in self.mshr:
            entry = self.mshr[saddr]
            if not is_write:
                if len(entry.waiters) >= g.mshr_max_merge:
                    return self._fail()
                entry.waiters.append(token)
                done, outcome = DONE_ON_FILL, MSHR_MERGE
            elif g.write_alloc in (2, 3):
                entry.modified = True
                outcome = MSHR_MERGE
            else:
                if mq_free < 1:
                    return self._fail()
                out.append((saddr, nbytes, 1, FORWARD))
                done, outcome = DONE_ON_ACK, (SECTOR_MISS if line else MISS)
        elif is_write and g.write_alloc == 0:
            if mq_free < 1:
                return self._fail()
            out.append((saddr, nbytes, 1, FORWARD))
            done, outcome = DONE_ON_ACK, (SECTOR_MISS if line else MISS)
        elif is_write and (g.write_alloc == 3 or (g.write_alloc == 2 and nbytes == self.atom)):
            outcome = SECTOR_MISS if line else MISS
            if line is None:
                victim = self._victim(self.set_of(addr))
                if victim is None or mq_free < self._dirty_count(victim):
                    return self._fail()
                self._evict(victim, out)
                self._install(victim, block, now)
                line = victim
            line.state[sec] = "M"
            line.readable[sec] = nbytes == self.atom
            line.last = now
        else:
            naive = 1 if (is_write and g.write_alloc == 1) else 0
            victim, wb = None, 0
            if line is None and g.alloc_on_fill == 0:
                victim = self._victim(self.set_of(addr))
                if victim is None:
                    return self._fail()
                wb = self._dirty_count(victim)
            if len(self.mshr) >= g.mshr_entries or mq_free < 1 + naive + wb:
                return self._fail()
            present = line is not None
            dirty_before = present and line.state[sec] == "M"
            if naive:
                out.append((saddr, nbytes, 1, FORWARD))
            out.append((saddr, self.atom, 0, FETCH))
            if g.alloc_on_fill == 0:
                if line is None:
                    self._evict(victim, out)
                    self._install(victim, block, now)
                    line = victim
                line.state[sec], line.readable[sec] = "R", True
                line.last = now
            entry = Pending(modified=dirty_before or (is_write and not naive))
            if not is_write:
                entry.waiters.append(token)
                done = DONE_ON_FILL
            else:
                done = DONE_ON_ACK if naive else DONE_NOW
            self.mshr[saddr] = entry
            outcome = SECTOR_MISS if present else MISS
        self.stats["accesses"] += 1
        names = {HIT: "hits", MSHR_MERGE: "mshr_merges", MISS: "line_misses", SECTOR_MISS: "sector_misses"}
        self.stats[names[outcome]] += 1
        if outcome != HIT:
            self.stats["misses"] += 1  # misses = line misses + sector misses + MSHR merges
        return outcome, done, out

    def fill(self, saddr: int, now: int):
        """(released tokens, downstream list) when the fetch of sector `saddr` returns."""
        entry = self.mshr.pop(saddr, None)
        if entry is None:
            return [], []
        block, sec = saddr // self.g.line_bytes, (saddr % self.g.line_bytes) // self.atom
        out: list = []
        line = self._lookup(block)
        if line is None:
            line = self._victim(self.set_of(saddr))
            self._evict(line, out)
            self._install(line, block, now)
        if entry.modified and entry.flush_on_fill:
            out.append((saddr, self.atom, 1, WRITE_BACK))
            self.stats["flush_writebacks"] += 1
            line.state[sec] = "V"
        elif entry.modified or line.state[sec] == "M":
            line.state[sec] = "M"
        else:
            line.state[sec] = "V"
        line.readable[sec] = True
        return entry.waiters, out

    def dirty_sectors(self) -> int:
        """Sectors in state M (what an end-of-run flush must write back)."""
        return sum(line.state.count("M") for ways in self.sets for line in ways if line.block is not None)

    def flush(self) -> list:
        """End-of-run flush: write back every M sector (sets in order, ways in order, sectors in order).

        A readable M sector becomes V; an unreadable one (a partial lazy write) becomes I. MSHR entries
        pending now write their sector back when the fill arrives."""
        out: list = []
        if self.g.write_policy != 0:
            return out
        for ways in self.sets:
            for line in ways:
                if line.block is None:
                    continue
                for i, st_ in enumerate(line.state):
                    if st_ != "M":
                        continue
                    out.append((line.block * self.g.line_bytes + i * self.atom, self.atom, 1, WRITE_BACK))
                    self.stats["flush_writebacks"] += 1
                    line.state[i] = "V" if line.readable[i] else "I"
                    line.readable[i] = True
        for entry in self.mshr.values():
            entry.flush_on_fill = True
        return out

    def sector_state(self, addr: int) -> int:
        """0 invalid, 1 reserved, 2 valid, 3 modified, 4 modified-unreadable (as L2Policy::sector_state)."""
        line = self._lookup(addr // self.g.line_bytes)
        if line is None:
            return 0
        sec = (addr % self.g.line_bytes) // self.atom
        st = line.state[sec]
        return {"I": 0, "R": 1, "V": 2}.get(st, 3 if line.readable[sec] else 4)


@st.composite
def cache_strings(draw):
    """Small AccelSim/PyTorchSim strings covering every policy letter the model implements."""
    ctype = draw(st.sampled_from("SN"))
    sets = draw(st.sampled_from([1, 2, 4, 8, 16]))
    assoc = draw(st.sampled_from([1, 2, 3, 4, 8]))
    sector = draw(st.sampled_from([None, 32, 64]))
    rep = draw(st.sampled_from("LF"))
    wp = draw(st.sampled_from("BTEL"))
    alloc = draw(st.sampled_from("mfs"))
    walloc = draw(st.sampled_from("NWFL" if wp == "B" else "NW"))
    sif = draw(st.sampled_from(["", ":L", ":X", ":P"]))
    entries = draw(st.integers(1, 6))
    merge = draw(st.integers(1, 3))
    mid = f",{sector}" if sector else ""
    return f"{ctype}:{sets}:{LINE}:{assoc}{mid},{rep}:{wp}:{alloc}:{walloc}{sif},A:{entries}:{merge},8:0,32"
