// npusim::ComputeTiming of a core with systolic arrays and a vector unit, TLS or ILS, with an
// in-memory tile-latency cache that the Python tile database persists.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "npusim/compute.hpp"
#include "systolic.hpp"
#include "vector_unit.hpp"

namespace npusim_cores {

class SystolicCore : public npusim::ComputeTiming {
 public:
  // ils: 0 = tile-level closed forms (TLS), 1 = instruction-level pipeline simulation (ILS).
  SystolicCore(ArrayParams array, VectorParams vec, int32_t ils);

  npusim::TileTiming gemm(int64_t m, int64_t n, int64_t k, int32_t dtype_bytes) override;
  // A GEMM tile that continues an accumulation chain (a K step after the first): every fold
  // read-modify-writes partial sums already in the accumulators (cached like gemm()); the engine
  // calls it for every GEMM that is not the first of its accumulation chain.
  npusim::TileTiming gemm_accumulate(int64_t m, int64_t n, int64_t k, int32_t dtype_bytes) override;
  npusim::TileTiming vector(int32_t op, int64_t elements, int32_t dtype_bytes) override;
  std::string stats_json() override;

  // `folds` array folds streaming T rows each, in output blocks of `depth` accumulating folds
  // (uncached; the sparsity model's skipped-fold timing).
  npusim::TileTiming gemm_folds(int64_t folds, int64_t T, int64_t depth = 1);
  // live[b] folds accumulating into output block b, streaming T rows each (uncached; exact sparse timing).
  npusim::TileTiming gemm_blocks(const std::vector<int64_t>& live, int64_t T, bool continues = false);
  // Uncached evaluation in an explicit mode (tests compare TLS against ILS).
  npusim::TileTiming gemm_mode(int64_t m, int64_t n, int64_t k, int32_t ils, bool continues = false);
  npusim::TileTiming vector_mode(int32_t op, int64_t elements, int32_t dtype_bytes, int32_t ils);

  // Tile-latency cache exchange with the on-disk database, one entry per line:
  // "g m n k dtype latency occupancy" ("a": gemm_accumulate) or "v op elements 0 dtype latency occupancy".
  std::string export_entries(bool only_new);
  int64_t import_entries(const std::string& text);
  int64_t cache_size() const { return (int64_t)cache_.size(); }
  void clear_cache() { cache_.clear(); }

  // Speed probes: `n` queries through the virtual interface drawn from `distinct` shapes; returns
  // the elapsed seconds. cold=true clears the cache first and uses never-seen shapes.
  double bench(int64_t n, int64_t distinct, bool cold);

 private:
  struct Key {
    int64_t a, b, c;
    int32_t kind, dtype;
    bool operator==(const Key& o) const {
      return a == o.a && b == o.b && c == o.c && kind == o.kind && dtype == o.dtype;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h = 1469598103934665603ull;
      for (uint64_t v : {(uint64_t)k.a, (uint64_t)k.b, (uint64_t)k.c, (uint64_t)k.kind, (uint64_t)k.dtype}) {
        h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
      }
      return (size_t)h;
    }
  };
  struct Entry {
    npusim::TileTiming t;
    bool fresh;  // computed in this process (not yet exported)
  };
  ArrayParams array_;
  VectorParams vec_;
  int32_t ils_;
  std::unordered_map<Key, Entry, KeyHash> cache_;
  int64_t gemm_queries_ = 0, vector_queries_ = 0, hits_ = 0, misses_ = 0, ils_instructions_ = 0;
  int64_t gemm_busy_ = 0, vector_busy_ = 0;

  // The cached timing of `key`, computed by `compute()` on a miss; adds its occupancy to `busy`.
  template <class Compute>
  npusim::TileTiming cached(const Key& key, int64_t& busy, Compute compute) {
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      ++hits_;
      busy += it->second.t.occupancy;
      return it->second.t;
    }
    ++misses_;
    npusim::TileTiming t = compute();
    cache_.emplace(key, Entry{t, true});
    busy += t.occupancy;
    return t;
  }
};

}  // namespace npusim_cores
