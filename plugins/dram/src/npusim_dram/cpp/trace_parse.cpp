// Load/store trace parser: the common line forms in one pass over the bytes; anything else is left to the caller.
#include "trace_parse.hpp"

namespace npusim {

namespace {
inline bool blank(uint8_t c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }
inline bool eol(uint8_t c) { return c == '\n' || c == '\r'; }
// Past the line break at p (\n, \r\n or \r); p == end: end.
inline const uint8_t* skip_break(const uint8_t* p, const uint8_t* end) {
  if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n') ++p;
  return p < end ? p + 1 : p;
}
inline int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;  // lower case
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The address field [p, e): decimal or 0x-hex below 2^63 into v; false for any other spelling.
bool parse_addr(const uint8_t* p, const uint8_t* e, int64_t& v) {
  uint64_t x = 0;
  constexpr uint64_t kMax = (uint64_t(1) << 63) - 1;
  if (e - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x') {
    p += 2;
    if (e - p > 16) return false;  // more than 64 bits of digits (leading zeros included: left to the caller)
    for (; p < e; ++p) {
      const int d = hexval(*p);
      if (d < 0) return false;
      x = (x << 4) | (uint64_t)d;
    }
  } else {
    if (p[0] == '0' && e - p > 1) return false;  // leading zeros: not a decimal literal in the caller's rules
    if (e - p > 19) return false;
    for (; p < e; ++p) {
      if (*p < '0' || *p > '9') return false;
      x = x * 10 + (uint64_t)(*p - '0');  // at most 19 digits: no uint64 overflow
    }
  }
  if (x > kMax) return false;
  v = (int64_t)x;
  return true;
}
}  // namespace

void parse_loadstore(const uint8_t* text, int64_t len, int64_t* addrs, int8_t* is_write, TraceCursor& cur) {
  const uint8_t* const end = text + len;
  const uint8_t* p = text + cur.pos;
  int64_t n = cur.n, line = cur.line;
  while (p < end) {
    const uint8_t* const start = p;
    while (p < end && blank(*p)) ++p;
    if (p == end || eol(*p) || *p == '#') {  // blank line or comment: skip to the next line
      while (p < end && !eol(*p)) ++p;
    } else {
      const uint8_t* const op = p;
      while (p < end && !blank(*p) && !eol(*p)) ++p;
      const uint8_t* const op_end = p;
      while (p < end && blank(*p)) ++p;
      const uint8_t* const a = p;
      while (p < end && !blank(*p) && !eol(*p)) ++p;
      const uint8_t* const a_end = p;
      while (p < end && blank(*p)) ++p;
      int64_t v = 0;
      const bool two = op_end - op == 2, ld = two && (op[0] | 0x20) == 'l' && (op[1] | 0x20) == 'd',
                 st = two && (op[0] | 0x20) == 's' && (op[1] | 0x20) == 't';
      if (!(ld || st) || a == a_end || (p < end && !eol(*p)) || !parse_addr(a, a_end, v)) {
        while (p < end && !eol(*p)) ++p;  // not a common form: the caller decides
        cur.n = n; cur.pos = start - text; cur.line = line; cur.end = p - text; cur.next = skip_break(p, end) - text;
        return;
      }
      addrs[n] = v;
      is_write[n] = st ? 1 : 0;
      ++n;
    }
    if (p < end) {  // the line break
      p = skip_break(p, end);
      ++line;
    }
  }
  cur.n = n; cur.pos = len; cur.line = line;
}

}  // namespace npusim
