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

class PendingList {
 public:
  static constexpr int64_t kNone = INT64_MAX / 4;
  bool empty() const { return v_.empty(); }
  // Add an entry.
  void push(const PendingEntry& e) { v_.push_back(e); if (e.when < min_) min_ = e.when; }
  // Remove every entry with when <= T and pass it to visit(entry), in no particular order.
  template <class Visit>
  void pop_until(int64_t T, Visit&& visit) {
    if (min_ > T) return;
    int64_t m = kNone;
    size_t keep = 0;
    for (size_t i = 0; i < v_.size(); ++i) {
      const PendingEntry e = v_[i];
      if (e.when <= T) { visit(e); continue; }
      v_[keep++] = e;
      if (e.when < m) m = e.when;
    }
    v_.resize(keep);
    min_ = m;
  }
  // Smallest `when` of any pending entry, stale ones included (kNone when empty).
  int64_t min_when() const { return min_; }

 private:
  std::vector<PendingEntry> v_;
  int64_t min_ = kNone;
};

}  // namespace npusim
