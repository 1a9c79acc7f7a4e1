// Functional core of one L2 slice: sectored tag array + MSHR table with GPGPU-Sim/AccelSim policies.
// No time inside: the caller passes a monotonic stamp (for LRU/FIFO) and the free miss-queue slots,
// and gets back an outcome, when the access completes, and the downstream requests it generated.
// This class is both the hot path of the timing model (sectored_l2.cpp) and the deterministic
// functional-lookup entry point the tests compare against a Python reference model.
#pragma once
#include <cstdint>
#include <vector>

#include "flat_map.hpp"
#include "slot_pool.hpp"

namespace npusim {
namespace l2 {

// Outcome of one sector access. Counters: accesses = hits + misses, where misses = line_misses +
// sector_misses + mshr_merges (every accepted access that did not find its sector readable).
enum Outcome { kHit = 0, kMshrMerge = 1, kMiss = 2, kSectorMiss = 3, kReservationFail = 4 };
// When an accepted access completes: now (+hit latency), when its sector's fill arrives, or when the
// downstream acknowledges the write it forwarded.
enum Done { kDoneNow = 0, kDoneOnFill = 1, kDoneOnAck = 2 };
// Kinds of downstream requests: a sector fetch (its ack is a fill), a write-back of a dirty sector,
// a posted write (write-through / write-evict; ack ignored), a forwarded write whose ack completes
// the access (no-write-allocate and naive write-allocate misses).
enum Kind { kFetch = 0, kWriteBack = 1, kPostedWrite = 2, kForward = 3 };

// Policy letters of the AccelSim string, already decoded (see npusim_cache/accelsim.py).
struct Params {
  int32_t sectored = 1;        // 'S' sector cache (1) or 'N' line cache (0)
  int64_t sets = 64;           // sets per slice
  int32_t line_bytes = 128;    // line size
  int32_t assoc = 16;          // ways
  int32_t sector_bytes = 32;   // sector size (atom of fetch/MSHR/write-back); = line for 'N'
  int32_t replacement = 0;     // 0 LRU ('L'), 1 FIFO ('F')
  int32_t write_policy = 0;    // 0 write-back ('B'), 1 write-through ('T', 'L'), 2 write-evict ('E')
  int32_t alloc_on_fill = 0;   // 0 allocate on miss ('m'), 1 on fill ('f', 's')
  int32_t write_alloc = 0;     // 0 none ('N'), 1 naive ('W'), 2 fetch-on-write ('F'), 3 lazy fetch-on-read ('L')
  int32_t set_index = 0;       // 0 linear ('L'), 1 bitwise xor ('X'), 2 ipoly ('P')
  int32_t mshr_entries = 192;  // MSHR entries (distinct sectors in flight)
  int32_t mshr_max_merge = 4;  // accesses that may wait on one entry
};

// One request the slice sends downstream (slice-local sector address).
struct Downstream {
  int64_t addr = 0;
  int32_t bytes = 0;
  int32_t is_write = 0;
  int32_t kind = 0;
  int64_t token = -1;  // kForward: token of the access whose ack completes it
};

class L2Policy {
 public:
  explicit L2Policy(const Params& p);

  // One access to the sector containing `addr` (`bytes` of it, <= the sector). `mq_free` is the
  // number of free miss-queue slots; `now` a monotonic stamp; `token` identifies the access for
  // fills/acks. Returns an Outcome; when accepted, done() tells when it completes and out() holds
  // the requests to send downstream, in order. Rejected (kReservationFail) accesses change nothing
  // but the reservation_fails counter.
  int access(int64_t addr, int32_t is_write, int32_t bytes, int64_t mq_free, int64_t now, int64_t token);
  // The fetch of sector address `sector_addr` returned. Returns the number of waiting tokens
  // (released()); on-fill allocation may append write-backs to out().
  int fill(int64_t sector_addr, int64_t now);
  // End-of-run flush (write-back policy only): every dirty sector goes to out() as a kWriteBack, in
  // set/way/sector order, and becomes clean (a partially written, unreadable sector is invalidated after
  // its write-back). Fetches in flight whose fill would make a sector dirty write it back on arrival
  // instead. Returns the number of write-backs in out(); counted in flush_writebacks, not writebacks.
  int64_t flush();

  int done() const { return done_; }
  const std::vector<Downstream>& out() const { return out_; }
  const std::vector<int64_t>& released() const { return released_; }
  int out_size() const { return (int)out_.size(); }
  int64_t out_addr(int i) const { return out_[i].addr; }
  int out_kind(int i) const { return out_[i].kind; }
  int out_is_write(int i) const { return out_[i].is_write; }
  int out_bytes(int i) const { return out_[i].bytes; }
  int64_t released_at(int i) const { return released_[i]; }

  int64_t set_of(int64_t addr) const;  // set index of a slice-local address
  int64_t sector_addr(int64_t addr) const;
  int32_t atom_bytes() const { return atom_; }
  int64_t pending_fills() const { return mshr_.size(); }
  bool has_mshr(int64_t sector_addr) const { return mshr_.find(sector_addr) >= 0; }
  int64_t occupancy_sectors() const { return occ_; }
  int64_t dirty_sectors() const;  // modified sectors now held (not yet written back)
  int64_t capacity_bytes() const { return p_.sets * p_.assoc * (int64_t)p_.line_bytes; }
  // Per-sector state of the line holding `addr`: 0 invalid, 1 reserved, 2 valid, 3 modified,
  // 4 modified but not readable (lazy partial write). For tests and debugging.
  int sector_state(int64_t addr) const;

  // Statistics.
  int64_t accesses = 0, hits = 0, misses = 0, line_misses = 0, sector_misses = 0, mshr_merges = 0;
  int64_t reservation_fails = 0, writebacks = 0, reads = 0, writes = 0, fetches = 0, max_occ = 0;
  int64_t flush_writebacks = 0;

 private:
  struct Line {
    int64_t block = -1;                 // block address (line number) or -1 when invalid
    int64_t last = 0, alloc = 0;        // LRU / FIFO stamps
    uint64_t valid = 0, dirty = 0, reserved = 0, unreadable = 0;  // per-sector bit masks
  };
  struct Entry {  // an MSHR; its waiting tokens are waiters_[index * wstride_ ...][0, nwait)
    int32_t nwait = 0;
    bool modified = false;  // a write merged into the pending fill: sector becomes dirty on fill
    bool flush_on_fill = false;  // pending at a flush(): a modified fill is written back on arrival
  };
  int find(int64_t block) const;
  int victim(int64_t set) const;  // way index in lines_, or -1 when every line is reserved
  int32_t new_entry(int64_t saddr);  // a free MSHR for sector saddr (the caller checked the limit)
  void tree_update(int idx);         // victim tree path of line idx after its key changed
  void evict(int idx);             // writes back dirty sectors, frees the line
  void allocate(int idx, int64_t block, int64_t now);
  int wb_count(int idx) const;
  void track(int idx, int64_t before);
  void rekey(int idx);
  int immediate_write(int li, int64_t block, uint64_t bit, int32_t bytes, int64_t mq_free, int64_t now);

  Params p_;
  int32_t atom_, sectors_;
  int32_t set_bits_;
  uint64_t poly_ = 0;
  std::vector<Line> lines_;  // sets * assoc
  // Replacement priority per line, contiguous so the victim search is one vectorisable argmin:
  // invalid = INT64_MIN + way (lowest way first), reserved = INT64_MAX (never), else the LRU/FIFO stamp.
  std::vector<int64_t> key_;
  // Highly associative sets (64 ways and more, e.g. PyTorchSim's 512): per set a tournament tree over its
  // ways' keys (tree_[set * 2P + node], node 1 the root, leaves P .. P + ways - 1 hold way numbers; an
  // inner node the way of the lower key of its children, the left one on ties), so the victim is the
  // root (the lowest key, lowest way on ties: what the scan finds) and a key change costs log2(P) steps.
  bool use_tree_ = false;
  int32_t tree_p_ = 0;
  std::vector<int32_t> tree_;
  FlatMap tags_;               // block -> line index
  FlatMap mshr_;               // sector address -> index in entries_
  SlotPool<Entry> entries_;    // MSHRs in flight (at most mshr_entries)
  std::vector<int64_t> waiters_;
  int32_t wstride_ = 1;        // waiter slots per MSHR (the merge limit, at least 1)
  std::vector<Downstream> out_;
  std::vector<int64_t> released_;
  int done_ = kDoneNow;
  int64_t occ_ = 0;
};

}  // namespace l2
}  // namespace npusim
