// Data-dependent (sparsity) overrides of the engine: which DMA loads are all-zero tiles (their MOVIN
// is skipped: no DRAM traffic, no scratchpad) and which GEMM instances are skipped (every product is
// zero) or run with a reduced, fold-level latency. PyTorchSim's semantics: a zero tile skips its MOVIN
// and zeroes the dependent matmuls. The frontend fills the tables from the functional execution's
// operand data; the engine looks instances up by their DMA byte addresses.
#pragma once
#include <cstdint>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "npusim/compute.hpp"

namespace npusim {

class SparsityTable {
 public:
  // Loads of node `node` of kernel `kernel` whose tile starts at one of `byte_addrs` are skipped.
  void skip_loads(int kernel, int node, const std::vector<int64_t>& byte_addrs) {
    for (int64_t a : byte_addrs) loads_.insert(key(kernel, node, a, 0));
  }
  // GEMM instances of `node`, rows of 4: (byte address of its first load dependency's tile, of its
  // second, latency, occupancy) in core cycles; latency 0 = skipped (not issued to an array).
  void gemm_timings(int kernel, int node, const std::vector<int64_t>& rows) {
    for (size_t i = 0; i + 3 < rows.size(); i += 4) {
      TileTiming t;
      t.latency = rows[i + 2];
      t.occupancy = rows[i + 3];
      gemms_[key(kernel, node, rows[i], rows[i + 1])] = t;
    }
  }
  bool empty() const { return loads_.empty() && gemms_.empty(); }
  void clear() { loads_.clear(); gemms_.clear(); held_.clear(); last_done_.clear(); }

  // Engine side: true if this load instance is skipped (counts it).
  bool load_skipped(int kernel, int node, int64_t byte_addr, int64_t bytes) {
    if (loads_.empty() || !loads_.count(key(kernel, node, byte_addr, 0))) return false;
    loads_skipped_++;
    bytes_skipped_ += bytes;
    return true;
  }
  // Engine side: the override of a GEMM instance whose load dependencies start at (addr_a, addr_b).
  bool gemm_override(int kernel, int node, int64_t addr_a, int64_t addr_b, TileTiming& out) const {
    if (gemms_.empty()) return false;
    auto it = gemms_.find(key(kernel, node, addr_a, addr_b));
    if (it == gemms_.end()) return false;
    out = it->second;
    return true;
  }
  // Engine side: keep an issued instance's override (by instruction slot) until its unit starts it.
  void hold(int64_t slot, const TileTiming& t) { held_[slot] = t; }
  bool take(int64_t slot, TileTiming& out) {
    auto it = held_.find(slot);
    if (it == held_.end()) return false;
    out = it->second;
    held_.erase(it);
    return true;
  }
  // Engine side: completion time (relative to now) of a tile started on unit `unit` with latency
  // `lat`: a skipped one (lat 0) completes with the unit's previous tile, not before it.
  Tick in_order(int64_t unit, Tick now, Tick lat) {
    Tick& last = last_done_[unit];
    Tick done = now + lat;
    if (lat == 0 && last > done) done = last;
    if (done > last) last = done;
    return done - now;
  }
  // Engine side: an overridden GEMM started; `dense` is its data-independent timing.
  void count_gemm(const TileTiming& t, const TileTiming& dense) {
    if (t.latency == 0) gemms_skipped_++;
    else gemms_reduced_++;
    cycles_saved_ += dense.latency - t.latency;
    busy_saved_ += dense.occupancy - t.occupancy;
  }

  int64_t loads_skipped() const { return loads_skipped_; }
  int64_t bytes_skipped() const { return bytes_skipped_; }
  int64_t gemms_skipped() const { return gemms_skipped_; }
  int64_t gemms_reduced() const { return gemms_reduced_; }
  int64_t cycles_saved() const { return cycles_saved_; }
  std::string json() const {
    std::ostringstream o;
    o << "{\"loads_skipped\":" << loads_skipped_ << ",\"bytes_skipped\":" << bytes_skipped_
      << ",\"gemms_skipped\":" << gemms_skipped_ << ",\"gemms_reduced\":" << gemms_reduced_
      << ",\"gemm_latency_cycles_saved\":" << cycles_saved_ << ",\"array_busy_cycles_saved\":" << busy_saved_ << "}";
    return o.str();
  }

 private:
  struct Key {
    int64_t kernel, node, a, b;
    bool operator==(const Key& o) const { return kernel == o.kernel && node == o.node && a == o.a && b == o.b; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = 1469598103934665603ULL;
      for (uint64_t v : {(uint64_t)k.kernel, (uint64_t)k.node, (uint64_t)k.a, (uint64_t)k.b})
        h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      return (size_t)h;
    }
  };
  static Key key(int kernel, int node, int64_t a, int64_t b) { return Key{kernel, node, a, b}; }
  std::unordered_set<Key, KeyHash> loads_;
  std::unordered_map<Key, TileTiming, KeyHash> gemms_;
  std::unordered_map<int64_t, TileTiming> held_;
  std::unordered_map<int64_t, Tick> last_done_;  // per (core * 64 + array): latest completion  // instruction slot -> override until it starts
  int64_t loads_skipped_ = 0, bytes_skipped_ = 0, gemms_skipped_ = 0, gemms_reduced_ = 0;
  int64_t cycles_saved_ = 0, busy_saved_ = 0;
};

}  // namespace npusim
