// Sector/line tag array, MSHR table and read/write policies of one L2 slice (see l2_policy.hpp and
// the policy table in npusim_cache/policy.md). Semantics follow GPGPU-Sim 4 / AccelSim gpu-cache.cc:
// probe -> HIT / HIT_RESERVED / SECTOR_MISS / MISS / RESERVATION_FAIL, MSHRs keyed by sector address,
// allocate-on-miss reserves the line at lookup, allocate-on-fill picks the victim when data returns.
#include "l2_policy.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace npusim {
namespace l2 {

namespace {
// Primitive polynomials over GF(2) by degree (bit k = x^k), for the IPOLY set-index hash of
// Rau, "Pseudo-randomly interleaved memory", ISCA 1991. Degrees 5 and 6 are IPOLY(37) and IPOLY(67),
// the ones GPGPU-Sim's hashing.cc uses for 32 and 64 sets.
const uint64_t kPrimitive[17] = {0, 0x3, 0x7, 0xB, 0x13, 0x25, 0x43, 0x89, 0x11D, 0x211, 0x409, 0x805,
                                 0x1053, 0x201B, 0x4443, 0x8003, 0x1100B};
int popcount64(uint64_t x) { return __builtin_popcountll(x); }
// Tournament-tree node: the way of the lower key among children a (the lower ways: wins ties) and b (-1: padding)
int32_t lower_way(const int64_t* k, int32_t a, int32_t b) { return b < 0 || (a >= 0 && k[a] <= k[b]) ? a : b; }
}  // namespace

L2Policy::L2Policy(const Params& p) : p_(p) {
  atom_ = p.sectored ? p.sector_bytes : p.line_bytes;
  sectors_ = p.line_bytes / atom_;
  if (sectors_ < 1 || sectors_ > 64) throw std::invalid_argument("sectors per line must be 1..64");
  set_bits_ = 0;
  while ((int64_t(1) << set_bits_) < p.sets) ++set_bits_;
  if (p.set_index == 2) {
    if (set_bits_ > 16) throw std::invalid_argument("ipoly set index supports up to 65536 sets");
    poly_ = kPrimitive[set_bits_];
  }
  lines_.resize((size_t)(p.sets * p.assoc));
  key_.resize(lines_.size());
  for (size_t i = 0; i < lines_.size(); ++i) rekey((int)i);
  tags_ = FlatMap((int64_t)lines_.size());
  const int32_t n_mshr = std::max<int32_t>(p.mshr_entries, 0);
  wstride_ = std::max<int32_t>(p.mshr_max_merge, 1);
  mshr_ = FlatMap(n_mshr);
  entries_.reserve((size_t)n_mshr);
  waiters_.resize((size_t)n_mshr * wstride_);
  use_tree_ = p.assoc >= 64;  // below that the scan of a set's keys is as fast as keeping a tree
  if (use_tree_) {
    tree_p_ = 1;
    while (tree_p_ < p.assoc) tree_p_ *= 2;
    tree_.assign((size_t)(p.sets * 2 * tree_p_), -1);
    for (int64_t set = 0; set < p.sets; ++set) {
      int32_t* t = tree_.data() + set * 2 * tree_p_;
      for (int w = 0; w < p.assoc; ++w) t[tree_p_ + w] = w;
      const int64_t* k = key_.data() + set * p.assoc;
      for (int node = tree_p_ - 1; node >= 1; --node) t[node] = lower_way(k, t[2 * node], t[2 * node + 1]);
    }
  }
}

void L2Policy::tree_update(int idx) {
  const int64_t set = idx / p_.assoc;
  int32_t* t = tree_.data() + set * 2 * tree_p_;
  const int64_t* k = key_.data() + set * p_.assoc;
  const int32_t way = idx % p_.assoc;
  for (int node = (tree_p_ + way) >> 1; node >= 1; node >>= 1) {
    const int32_t w = lower_way(k, t[2 * node], t[2 * node + 1]);
    if (w == t[node] && w != way) return;  // same winner, its key unchanged: the nodes above stand
    t[node] = w;
  }
}

int32_t L2Policy::new_entry(int64_t saddr) {
  const int32_t i = entries_.take();
  if (waiters_.size() < entries_.size() * (size_t)wstride_) waiters_.resize(entries_.size() * (size_t)wstride_);
  entries_[i] = Entry();
  mshr_.put(saddr, i);
  return i;
}

int64_t L2Policy::set_of(int64_t addr) const {
  uint64_t block = (uint64_t)(addr / p_.line_bytes);
  if (p_.set_index == 0 || p_.sets == 1) return (int64_t)(block % (uint64_t)p_.sets);
  uint64_t mask = (uint64_t)p_.sets - 1;
  if (p_.set_index == 1) return (int64_t)((block ^ (block >> set_bits_)) & mask);
  // ipoly: remainder of the block address polynomial modulo the primitive polynomial of degree set_bits_
  uint64_t r = 0, top = uint64_t(1) << set_bits_;
  for (int b = 63; b >= 0; --b) {
    r = (r << 1) | ((block >> b) & 1);
    if (r & top) r ^= poly_;
  }
  return (int64_t)r;
}

int64_t L2Policy::dirty_sectors() const {
  int64_t n = 0;
  for (const Line& l : lines_) n += popcount64(l.dirty);
  return n;
}

int64_t L2Policy::sector_addr(int64_t addr) const { return addr - addr % atom_; }

int L2Policy::find(int64_t block) const { return tags_.find(block); }

void L2Policy::rekey(int idx) {
  const Line& l = lines_[idx];
  const int64_t key = l.reserved ? INT64_MAX : l.block < 0 ? INT64_MIN + idx % p_.assoc
                                                           : p_.replacement == 0 ? l.last : l.alloc;
  if (key == key_[idx]) return;
  key_[idx] = key;
  if (!tree_.empty()) tree_update(idx);
}

int L2Policy::victim(int64_t set) const {
  const int64_t* k = key_.data() + set * p_.assoc;
  if (use_tree_) {
    const int32_t w = tree_[set * 2 * tree_p_ + 1];
    return k[w] == INT64_MAX ? -1 : (int)(set * p_.assoc + w);
  }
  int best = 0;
  int64_t best_key = k[0];
  for (int w = 1; w < p_.assoc; ++w) {
    if (k[w] < best_key) { best_key = k[w]; best = w; }  // strict: lowest way wins ties
  }
  return best_key == INT64_MAX ? -1 : (int)(set * p_.assoc + best);
}

int L2Policy::wb_count(int idx) const {
  const Line& l = lines_[idx];
  return (l.block >= 0 && p_.write_policy == 0) ? popcount64(l.dirty) : 0;
}

void L2Policy::track(int idx, int64_t before) {
  const Line& l = lines_[idx];
  occ_ += popcount64(l.valid | l.reserved) - before;
  if (occ_ > max_occ) max_occ = occ_;
  rekey(idx);
}

void L2Policy::evict(int idx) {
  Line& l = lines_[idx];
  if (l.block < 0) return;
  int64_t before = popcount64(l.valid | l.reserved);
  if (p_.write_policy == 0) {
    for (int s = 0; s < sectors_; ++s) {
      if (l.dirty >> s & 1) {
        out_.push_back(Downstream{l.block * p_.line_bytes + (int64_t)s * atom_, atom_, 1, kWriteBack, -1});
        ++writebacks;
      }
    }
  }
  tags_.erase(l.block);
  l = Line();
  track(idx, before);
}

void L2Policy::allocate(int idx, int64_t block, int64_t now) {
  Line& l = lines_[idx];
  l = Line();
  l.block = block;
  l.last = l.alloc = now;
  tags_.put(block, idx);
  rekey(idx);
}

int L2Policy::sector_state(int64_t addr) const {
  int li = find(addr / p_.line_bytes);
  if (li < 0) return 0;
  const Line& l = lines_[li];
  uint64_t bit = uint64_t(1) << ((addr % p_.line_bytes) / atom_);
  if (l.reserved & bit) return 1;
  if (!(l.valid & bit)) return 0;
  if (!(l.dirty & bit)) return 2;
  return (l.unreadable & bit) ? 4 : 3;
}

// Write-allocate without a fetch (lazy fetch-on-read, or fetch-on-write of a whole sector): the sector
// becomes dirty at once; a partial write leaves it unreadable until a read fetches the rest.
int L2Policy::immediate_write(int li, int64_t block, uint64_t bit, int32_t bytes, int64_t mq_free, int64_t now) {
  int outcome = li >= 0 ? kSectorMiss : kMiss;
  if (li < 0) {
    int v = victim(set_of(block * p_.line_bytes));
    if (v < 0 || mq_free < wb_count(v)) { ++reservation_fails; return kReservationFail; }
    evict(v);
    allocate(v, block, now);
    li = v;
  }
  Line& l = lines_[li];
  int64_t before = popcount64(l.valid | l.reserved);
  l.valid |= bit;
  l.dirty |= bit;
  if (bytes < atom_) l.unreadable |= bit; else l.unreadable &= ~bit;
  l.last = now;
  track(li, before);
  done_ = kDoneNow;
  return outcome;
}

int L2Policy::access(int64_t addr, int32_t is_write, int32_t bytes, int64_t mq_free, int64_t now, int64_t token) {
  out_.clear();
  released_.clear();
  done_ = kDoneNow;
  int64_t block = addr / p_.line_bytes;
  int s = (int)((addr % p_.line_bytes) / atom_);
  uint64_t bit = uint64_t(1) << s;
  int64_t saddr = block * p_.line_bytes + (int64_t)s * atom_;
  if (bytes > atom_ || bytes <= 0) bytes = atom_;
  int li = find(block);
  int outcome;

  if (li >= 0 && (lines_[li].valid & bit) && !(lines_[li].unreadable & bit)) {  // HIT
    Line& l = lines_[li];
    if (is_write && p_.write_policy != 0 && mq_free < 1) { ++reservation_fails; return kReservationFail; }
    l.last = now;
    if (is_write) {
      if (p_.write_policy == 0) {
        l.dirty |= bit;
      } else {
        out_.push_back(Downstream{saddr, bytes, 1, kPostedWrite, -1});
        if (p_.write_policy == 2) {  // write-evict: the sector leaves the cache
          int64_t before = popcount64(l.valid | l.reserved);
          l.valid &= ~bit;
          l.dirty &= ~bit;
          l.unreadable &= ~bit;
          if (!(l.valid | l.reserved)) { tags_.erase(l.block); l = Line(); }
          track(li, before);
        }
      }
    }
    rekey(li);
    outcome = kHit;
  } else {
    const int32_t ei = mshr_.find(saddr);
    if (ei >= 0) {  // the sector's fetch is in flight
      Entry& e = entries_[ei];
      if (!is_write) {
        if (e.nwait >= p_.mshr_max_merge) { ++reservation_fails; return kReservationFail; }
        waiters_[(size_t)ei * wstride_ + e.nwait++] = token;
        done_ = kDoneOnFill;
        outcome = kMshrMerge;
      } else if (p_.write_alloc >= 2) {  // write-back + fetch-on-write / lazy: merge data into the fill
        e.modified = true;
        outcome = kMshrMerge;
      } else {  // no/naive write-allocate: the write goes downstream
        if (mq_free < 1) { ++reservation_fails; return kReservationFail; }
        out_.push_back(Downstream{saddr, bytes, 1, kForward, token});
        done_ = kDoneOnAck;
        outcome = li >= 0 ? kSectorMiss : kMiss;
      }
    } else if (is_write && p_.write_alloc == 0) {  // no write-allocate
      if (mq_free < 1) { ++reservation_fails; return kReservationFail; }
      out_.push_back(Downstream{saddr, bytes, 1, kForward, token});
      done_ = kDoneOnAck;
      outcome = li >= 0 ? kSectorMiss : kMiss;
    } else if (is_write && (p_.write_alloc == 3 || (p_.write_alloc == 2 && bytes == atom_))) {
      outcome = immediate_write(li, block, bit, bytes, mq_free, now);
      if (outcome == kReservationFail) return outcome;
    } else {
      // A fetch: read miss, naive write-allocate (forwarded write + fetch), partial fetch-on-write.
      int naive = is_write && p_.write_alloc == 1;
      int v = -1, wb = 0;
      if (li < 0 && !p_.alloc_on_fill) {
        v = victim(set_of(addr));
        if (v < 0) { ++reservation_fails; return kReservationFail; }  // every line of the set reserved
        wb = wb_count(v);
      }
      if (mshr_.size() >= p_.mshr_entries || mq_free < 1 + naive + wb) {
        ++reservation_fails;
        return kReservationFail;
      }
      bool present = li >= 0;
      bool was_dirty_partial = present && (lines_[li].dirty & bit);
      if (naive) out_.push_back(Downstream{saddr, bytes, 1, kForward, token});
      out_.push_back(Downstream{saddr, atom_, 0, kFetch, -1});
      ++fetches;
      if (!p_.alloc_on_fill) {
        if (li < 0) { evict(v); allocate(v, block, now); li = v; }
        Line& l = lines_[li];
        int64_t before = popcount64(l.valid | l.reserved);
        l.valid &= ~bit;
        l.dirty &= ~bit;
        l.unreadable &= ~bit;
        l.reserved |= bit;
        l.last = now;
        track(li, before);
      }
      const int32_t ni = new_entry(saddr);
      Entry& e = entries_[ni];
      e.modified = was_dirty_partial || (is_write && !naive);
      if (!is_write) { waiters_[(size_t)ni * wstride_ + e.nwait++] = token; done_ = kDoneOnFill; }
      else done_ = naive ? kDoneOnAck : kDoneNow;
      outcome = present ? kSectorMiss : kMiss;
    }
  }
  ++accesses;
  (is_write ? writes : reads) += 1;
  switch (outcome) {
    case kHit: ++hits; break;
    case kMshrMerge: ++mshr_merges; ++misses; break;
    case kMiss: ++line_misses; ++misses; break;
    case kSectorMiss: ++sector_misses; ++misses; break;
  }
  return outcome;
}

int L2Policy::fill(int64_t saddr, int64_t now) {
  out_.clear();
  released_.clear();
  const int32_t ei = mshr_.find(saddr);
  if (ei < 0) return 0;
  const Entry e = entries_[ei];
  mshr_.erase(saddr);
  entries_.release(ei);
  int64_t block = saddr / p_.line_bytes;
  uint64_t bit = uint64_t(1) << ((saddr % p_.line_bytes) / atom_);
  int li = find(block);
  if (li < 0) {  // allocate-on-fill: choose the victim now (no line is ever reserved in this mode)
    int v = victim(set_of(saddr));
    if (v < 0) throw std::logic_error("L2 fill found no victim");
    evict(v);
    allocate(v, block, now);
    li = v;
  }
  Line& l = lines_[li];
  int64_t before = popcount64(l.valid | l.reserved);
  l.reserved &= ~bit;
  l.valid |= bit;
  l.unreadable &= ~bit;
  if (e.modified && e.flush_on_fill) {  // flushed while in flight: write the merged data back at once
    out_.push_back(Downstream{saddr, atom_, 1, kWriteBack, -1});
    ++flush_writebacks;
    l.dirty &= ~bit;
  } else if (e.modified) {
    l.dirty |= bit;
  }
  track(li, before);
  const int64_t* w = waiters_.data() + (size_t)ei * wstride_;
  released_.assign(w, w + e.nwait);
  return (int)released_.size();
}

int64_t L2Policy::flush() {
  out_.clear();
  released_.clear();
  if (p_.write_policy != 0) return 0;  // write-through / write-evict caches hold no dirty data
  for (size_t idx = 0; idx < lines_.size(); ++idx) {
    Line& l = lines_[idx];
    if (l.block < 0 || !l.dirty) continue;
    int64_t before = popcount64(l.valid | l.reserved);
    for (int s = 0; s < sectors_; ++s) {
      uint64_t bit = uint64_t(1) << s;
      if (!(l.dirty & bit)) continue;
      out_.push_back(Downstream{l.block * p_.line_bytes + (int64_t)s * atom_, atom_, 1, kWriteBack, -1});
      ++flush_writebacks;
      if (l.unreadable & bit) {  // partial data: written back, but no longer a readable copy
        l.valid &= ~bit;
        l.unreadable &= ~bit;
      }
    }
    l.dirty = 0;
    track((int)idx, before);
  }
  mshr_.for_each([&](int64_t, int32_t ei) { entries_[ei].flush_on_fill = true; });
  return (int64_t)out_.size();
}

}  // namespace l2
}  // namespace npusim
