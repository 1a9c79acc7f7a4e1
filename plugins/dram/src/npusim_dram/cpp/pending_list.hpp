// Pending-candidate set of one DRAM channel: (cycle lower bound, bank, version) entries, popped once their
// cycle has come, with the smallest pending cycle on demand. The set is small (a few entries per bank), so
// an unordered list with a cached minimum beats a binary heap: O(1) push, and a decision scans the list
// only when its minimum is due.
#pragma once
#include <cstdint>
#include <vector>

namespace npusim {

struct PendingEntry {
  int64_t when;  // lower bound of the cycle the bank's candidate becomes legal
  int32_t bank, ver;
};

// Append an entry field by field: building it on the stack and copying it as one 16-byte move stalls on
// store-to-load forwarding, which costs more than the rest of a push.
inline void append_entry(std::vector<PendingEntry>& v, int64_t when, int32_t bank, int32_t ver) {
  v.emplace_back();
  PendingEntry& e = v.back();
  e.when = when;
  e.bank = bank;
  e.ver = ver;
}

class PendingList {
 public:
  static constexpr int64_t kNone = INT64_MAX / 4;
  bool empty() const { return v_.empty(); }
  // Add an entry.
  void push(int64_t when, int32_t bank, int32_t ver) {
    append_entry(v_, when, bank, ver);
    if (when < min_) min_ = when;
  }
  // Remove every entry with when <= T and pass it to visit(when, bank, ver), in no particular order.
  template <class Visit>
  void pop_until(int64_t T, Visit&& visit) {
    if (min_ > T) return;
    int64_t m = kNone;
    PendingEntry* const d = v_.data();
    size_t n = v_.size(), i = 0;
    while (i < n) {  // a popped entry's slot takes the last entry (field by field, see append_entry)
      const int64_t w = d[i].when;
      if (w > T) { if (w < m) m = w; ++i; continue; }
      visit(w, d[i].bank, d[i].ver);
      --n;
      d[i].when = d[n].when; d[i].bank = d[n].bank; d[i].ver = d[n].ver;
    }
    v_.resize(n);
    min_ = m;
  }
  // Smallest `when` of any pending entry, stale ones included (kNone when empty).
  int64_t min_when() const { return min_; }

 private:
  std::vector<PendingEntry> v_;
  int64_t min_ = kNone;
};

}  // namespace npusim
