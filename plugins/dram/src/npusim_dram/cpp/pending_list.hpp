// Pending-candidate set of one DRAM channel: (cycle lower bound, bank, version) entries, popped once their
// cycle has come, with the smallest pending cycle on demand (stale entries included). Every entry pushed is
// later than the last pop cycle, and nearly all fall within 64 cycles of it (bus, tCCD, tRRD, tRCD, tRP, tRC
// spacing), so those go to a 64-slot timing wheel (one slot of up to 8 entries per cycle, a bitmap of
// non-empty slots): O(1) push, a pop visits only the due slots, and the minimum is one bit scan. Later
// entries (refresh waits) and those of a full slot sit in an unordered overflow list with a cached minimum.
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
  bool empty() const { return bits_ == 0 && far_.empty(); }
  // Add an entry; `when` must be later than the last pop_until cycle.
  void push(int64_t when, int32_t bank, int32_t ver) {
    if (when < min_) min_ = when;
    const int s = (int)(when & (kSlots - 1));
    if (when - cur_ <= kSlots && n_[s] < kCap) {  // slot when % 64 holds only this cycle while cur_ < when <= cur_ + 64
      Slot& e = slot_[s][n_[s]++];
      e.bank = bank;
      e.ver = ver;
      bits_ |= uint64_t(1) << s;
    } else {  // far ahead, or the slot is full
      append_entry(far_, when, bank, ver);
      if (when < far_min_) far_min_ = when;
    }
  }
  // Remove every entry with when <= T (T increases from call to call) and pass it to visit(when, bank, ver),
  // in no particular order.
  template <class Visit>
  void pop_until(int64_t T, Visit&& visit) {
    if (min_ > T) { cur_ = T; return; }
    if (bits_ != 0) {
      const int64_t span = T - cur_;  // cycles cur_+1 .. T are due
      uint64_t due = bits_;
      if (span < kSlots) {
        const uint64_t run = (uint64_t(1) << span) - 1;
        const int s0 = (int)((cur_ + 1) & (kSlots - 1));
        due &= (run << s0) | (s0 ? run >> (kSlots - s0) : 0);
      }
      bits_ &= ~due;
      while (due != 0) {
        const int s = __builtin_ctzll(due);
        due &= due - 1;
        const int64_t w = cur_ + 1 + ((s - (cur_ + 1)) & (kSlots - 1));
        const Slot* const v = slot_[s];
        const int n = n_[s];
        for (int k = 0; k < n; ++k) visit(w, v[k].bank, v[k].ver);
        n_[s] = 0;
      }
    }
    cur_ = T;
    if (far_min_ <= T) pop_far(T, visit);
    min_ = far_min_;
    if (bits_ != 0) {  // first non-empty slot after cur_
      const int s0 = (int)((cur_ + 1) & (kSlots - 1));
      const uint64_t rot = s0 ? (bits_ >> s0) | (bits_ << (kSlots - s0)) : bits_;
      const int64_t w = cur_ + 1 + __builtin_ctzll(rot);
      if (w < min_) min_ = w;
    }
  }
  // Smallest `when` of any pending entry, stale ones included (kNone when empty).
  int64_t min_when() const { return min_; }

 private:
  template <class Visit>
  void pop_far(int64_t T, Visit&& visit) {
    int64_t m = kNone;
    PendingEntry* const d = far_.data();
    size_t n = far_.size(), i = 0;
    while (i < n) {  // a popped entry's slot takes the last entry (field by field, see append_entry)
      const int64_t w = d[i].when;
      if (w > T) { if (w < m) m = w; ++i; continue; }
      visit(w, d[i].bank, d[i].ver);
      --n;
      d[i].when = d[n].when; d[i].bank = d[n].bank; d[i].ver = d[n].ver;
    }
    far_.resize(n);
    far_min_ = m;
  }

  static constexpr int kSlots = 64, kCap = 8;
  struct Slot { int32_t bank, ver; };  // when: the slot's cycle
  Slot slot_[kSlots][kCap];
  int32_t n_[kSlots] = {};     // entries in each slot
  uint64_t bits_ = 0;          // bit s: slot_[s] is not empty
  int64_t cur_ = -1;           // last pop cycle: every entry is later
  std::vector<PendingEntry> far_;  // entries more than kSlots cycles after cur_ when pushed
  int64_t far_min_ = kNone;
  int64_t min_ = kNone;         // smallest pending when
};

}  // namespace npusim
