// Ramulator load/store trace text (`LD 0x1a2b40` / `ST 4096`, one request per line) -> address and
// is-write arrays, parsed in C++ (a Python loop per line would take longer than simulating the trace).
#pragma once
#include <cstdint>

namespace npusim {

// Where parse_loadstore stopped: n requests written so far, byte offset pos of the next unparsed line (its
// length when done) and that line's 1-based number; when stopped at a line, `end` is where its text ends and
// `next` where the following line starts (after its \n, \r\n or \r).
struct TraceCursor {
  int64_t n = 0, pos = 0, line = 1, end = 0, next = 0;
};

// Parses text[cur.pos, len) line by line (lines end at \n, \r\n or \r; fields split by ASCII blanks):
// skips blank lines and lines whose first field starts with '#'; a line `OP ADDR` with OP `LD` or `ST` in
// any case and ADDR decimal (no leading zeros) or 0x-hex below 2^63 goes to addrs / is_write at index
// cur.n (the caller sizes both for one entry per line). Stops at the first other line, leaving cur at its
// start, so the caller applies the full rules there (an error, or a rarer spelling such as 0b101).
void parse_loadstore(const uint8_t* text, int64_t len, int64_t* addrs, int8_t* is_write, TraceCursor& cur);

}  // namespace npusim
