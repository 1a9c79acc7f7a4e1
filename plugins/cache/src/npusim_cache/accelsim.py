"""Parse AccelSim/GPGPU-Sim cache strings (and PyTorchSim's variant with a sector-size field) into CacheGeometry.

Grammar (comma-separated groups, colon-separated fields)::

    T:sets:line:assoc [,sector] ,rep:wp:alloc:wralloc[:sif] ,mshr:entries:max_merge [,miss_queue[:result_fifo]] [,port]

    T           'S' sectored or 'N' normal (line) cache
    sets        sets per slice (power of two for set_index_fn X and P)
    line        line size in bytes (power of two)
    assoc       ways per set
    sector      OPTIONAL, PyTorchSim's extra field (TOGSim Cache.cc reads `%c:%u:%u:%u,%u,...`): the sector
                size in bytes. It is recognised because the group after `T:sets:line:assoc` is a bare
                integer. Without it the sector is 32 B, AccelSim's fixed SECTOR_SIZE (4 sectors per
                128-B line). Ignored (= line) for 'N' caches.
    rep         replacement: L (LRU), F (FIFO)
    wp          write policy: B (write-back), T (write-through), E (write-evict), L (local write-back /
                global write-through: every access reaching a memory-side L2 is global, so read as T).
                R (read-only) is rejected: the L2 receives DMA stores.
    alloc       allocation: m (on miss: the line is reserved at lookup), f (on fill: the victim is chosen
                when the data returns), s (streaming; GPGPU-Sim's streaming L1 allocates on fill, read as f)
    wralloc     write-allocate: N (none: write forwarded, completes on the downstream ack),
                W (naive: write forwarded and the sector fetched), F (fetch-on-write: a whole-sector write
                allocates dirty at once, a partial one fetches and merges), L (lazy fetch-on-read: allocate
                dirty at once; a partial sector stays unreadable until a read fetches it). F and L need wp=B.
    sif         OPTIONAL set-index function: L (linear), X (bitwise xor of the next index bits), P (IPOLY hash,
                Rau ISCA'91); default L
    mshr        MSHR type: A (associative) or S (sector-associative); both key entries by sector address here
    entries     MSHR entries per slice;  max_merge: accesses that may wait on one entry
    miss_queue  OPTIONAL miss-queue entries per slice (default 8); must hold a
                worst-case miss (fetch + forwarded write + one write-back per sector)
    result_fifo OPTIONAL, read and validated; responses are unbounded here (as in TOGSim's L2)
    port        OPTIONAL data-port width in bytes per L2 cycle; 0 or absent = the sector size
"""
from __future__ import annotations

import attrs

from npusim.errors import ConfigError

ACCELSIM_SECTOR_BYTES = 32  # AccelSim gpu-cache.h SECTOR_SIZE (4 sectors per 128-B line)

CACHE_TYPES = {"S": "sectored", "N": "normal"}
REPLACEMENT = {"L": (0, "LRU"), "F": (1, "FIFO")}
WRITE_POLICY = {"B": (0, "write-back"), "T": (1, "write-through"), "E": (2, "write-evict"),
                "L": (1, "local-WB/global-WT (global: write-through)")}
ALLOC = {"m": (0, "on miss"), "f": (1, "on fill"), "s": (1, "streaming (on fill)")}
WRITE_ALLOC = {"N": (0, "no write-allocate"), "W": (1, "naive write-allocate"), "F": (2, "fetch-on-write"),
               "L": (3, "lazy fetch-on-read")}
SET_INDEX = {"L": (0, "linear"), "X": (1, "bitwise xor"), "P": (2, "ipoly hash")}
MSHR_TYPES = {"A": "associative", "S": "sector-associative"}


@attrs.frozen
class CacheGeometry:
    """Decoded cache string: geometry, policy codes (as the C++ Params expects them) and queue sizes."""

    text: str
    sectored: bool
    sets: int
    line_bytes: int
    assoc: int
    sector_bytes: int
    replacement: int
    write_policy: int
    alloc_on_fill: int
    write_alloc: int
    set_index: int
    mshr_type: str
    mshr_entries: int
    mshr_max_merge: int
    miss_queue_size: int
    result_fifo_entries: int
    data_port_bytes: int

    @property
    def atom_bytes(self) -> int:
        """Fetch / MSHR / write-back granularity."""
        return self.sector_bytes if self.sectored else self.line_bytes

    @property
    def sectors_per_line(self) -> int:
        """Sectors (fetch atoms) per line; 1 for a normal cache."""
        return self.line_bytes // self.atom_bytes

    @property
    def slice_bytes(self) -> int:
        """Data capacity of one slice."""
        return self.sets * self.assoc * self.line_bytes

    def describe(self) -> str:
        """One-line human description."""
        rep = [v[1] for k, v in REPLACEMENT.items() if v[0] == self.replacement][0]
        return (f"{'sectored' if self.sectored else 'line'} {self.slice_bytes // 1024} KiB/slice: {self.sets} sets x "
                f"{self.assoc} ways x {self.line_bytes} B lines ({self.atom_bytes} B sectors), {rep}, "
                f"MSHR {self.mshr_entries}x{self.mshr_max_merge}, miss queue {self.miss_queue_size}")


def _err(text: str, field: str, value: str, valid: str) -> ConfigError:
    return ConfigError(f"cache.config {text!r}: field {field} = {value!r} is invalid; expected {valid}")


def _int(text: str, field: str, value: str, lo: int = 1, pow2: bool = False) -> int:
    try:
        v = int(value)
    except ValueError:
        raise _err(text, field, value, "an integer") from None
    if v < lo:
        raise _err(text, field, value, f"an integer >= {lo}")
    if pow2 and v & (v - 1):
        raise _err(text, field, value, "a power of two")
    return v


def _code(text: str, field: str, value: str, table: dict):
    if value not in table:
        valid = ", ".join(f"{k} ({v[1] if isinstance(v, tuple) else v})" for k, v in table.items())
        raise _err(text, field, value, f"one of {valid}")
    return table[value]


def _fields(text: str, group: str, names: list[str], optional: int = 0) -> list[str]:
    parts = group.split(":")
    if not (len(names) - optional <= len(parts) <= len(names)):
        raise ConfigError(f"cache.config {text!r}: group {group!r} must have the fields {':'.join(names)}")
    return parts


def parse_cache_string(text: str) -> CacheGeometry:
    """Decode an AccelSim/PyTorchSim cache string; raises ConfigError naming the offending field."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("cache.config: empty cache string; expected e.g. 'S:64:128:16,L:B:m:L:P,A:192:4,32:0,32'")
    s = text.strip()
    groups = s.split(",")
    head = _fields(s, groups[0], ["type", "sets", "line_bytes", "assoc"])
    ctype = head[0]
    if ctype not in CACHE_TYPES:
        raise _err(s, "type", ctype, "S (sectored) or N (normal)")
    line = _int(s, "line_bytes", head[2], pow2=True)
    assoc = _int(s, "assoc", head[3])
    rest = groups[1:]
    sector = ACCELSIM_SECTOR_BYTES
    if rest and rest[0].isdigit():  # PyTorchSim's extra sector-size field
        sector = _int(s, "sector_bytes", rest[0], pow2=True)
        rest = rest[1:]
    if len(rest) < 2:
        raise ConfigError(f"cache.config {s!r}: missing the policy group rep:wp:alloc:wralloc[:sif] "
                          "and/or the MSHR group type:entries:max_merge")
    pol = _fields(s, rest[0], ["replacement", "write_policy", "alloc_policy", "write_alloc_policy",
                               "set_index_fn"], optional=1)
    rep = _code(s, "replacement", pol[0], REPLACEMENT)[0]
    if pol[1] == "R":
        raise _err(s, "write_policy", "R", "B, T, E or L (a read-only L2 cannot take DMA stores)")
    wp = _code(s, "write_policy", pol[1], WRITE_POLICY)[0]
    alloc = _code(s, "alloc_policy", pol[2], ALLOC)[0]
    walloc = _code(s, "write_alloc_policy", pol[3], WRITE_ALLOC)[0]
    sif = _code(s, "set_index_fn", pol[4], SET_INDEX)[0] if len(pol) == 5 else 0
    if walloc >= 2 and wp != 0:
        raise _err(s, "write_alloc_policy", pol[3], "N or W with a write-through/evict policy (F and L keep "
                   "dirty data, which needs write_policy B)")
    sets = _int(s, "sets", head[1], pow2=sif != 0)
    if ctype == "N":
        sector = line
    elif sector > line or line // sector > 64:
        raise _err(s, "sector_bytes", str(sector), f"a power of two <= line_bytes ({line}) with at most 64 "
                   "sectors per line")
    mshr = _fields(s, rest[1], ["mshr_type", "mshr_entries", "mshr_max_merge"])
    if mshr[0] not in MSHR_TYPES:
        raise _err(s, "mshr_type", mshr[0], "A (associative) or S (sector-associative)")
    entries = _int(s, "mshr_entries", mshr[1])
    merge = _int(s, "mshr_max_merge", mshr[2])
    miss_queue, fifo, port = 8, 0, 0
    if len(rest) > 2:
        mq = _fields(s, rest[2], ["miss_queue_size", "result_fifo_entries"], optional=1)
        miss_queue = _int(s, "miss_queue_size", mq[0])
        fifo = _int(s, "result_fifo_entries", mq[1], lo=0) if len(mq) > 1 else 0
    if len(rest) > 3:
        port = _int(s, "data_port_width", rest[3], lo=0)
    if len(rest) > 4:
        raise ConfigError(f"cache.config {s!r}: unexpected trailing group {','.join(rest[4:])!r}")
    atom = sector if ctype == "S" else line
    need = line // atom + 2
    if miss_queue < need:
        raise _err(s, "miss_queue_size", str(miss_queue), f">= {need} (a miss may queue a fetch, a forwarded "
                   "write and one write-back per sector)")
    return CacheGeometry(text=s, sectored=ctype == "S", sets=sets, line_bytes=line, assoc=assoc, sector_bytes=sector,
                         replacement=rep, write_policy=wp, alloc_on_fill=alloc, write_alloc=walloc, set_index=sif,
                         mshr_type=mshr[0], mshr_entries=entries, mshr_max_merge=merge, miss_queue_size=miss_queue,
                         result_fifo_entries=fifo, data_port_bytes=port or atom)
