// SystolicCore: cached TLS/ILS compute timing (see systolic_core.hpp).
#include "systolic_core.hpp"

#include <chrono>
#include <sstream>
#include <stdexcept>

namespace npusim_cores {

using npusim::TileTiming;

SystolicCore::SystolicCore(ArrayParams array, VectorParams vec, int32_t ils)
    : array_(array), vec_(vec), ils_(ils) {
  if (array_.rows <= 0 || array_.cols <= 0) throw std::invalid_argument("systolic: array rows/cols must be > 0");
  if (array_.dataflow < 0 || array_.dataflow > 2) throw std::invalid_argument("systolic: dataflow must be 0..2");
  cache_.reserve(4096);
}

TileTiming SystolicCore::gemm_mode(int64_t m, int64_t n, int64_t k, int32_t ils, bool continues) {
  const FoldShape f = map_gemm(array_, m, n, k);
  if (continues && array_.dataflow != DF_OS && f.folds > 0) {
    // Every fold accumulates onto the chain's partial sums (os keeps its sums in the PEs and writes
    // each output block once through the drain path its swap already charges).
    const std::vector<int64_t> live(f.folds / f.depth, f.depth);
    if (!ils) return gemm_tls_blocks(array_, live, f.T, true);
    int64_t instrs = 0;
    TileTiming t = gemm_ils_blocks(array_, live, f.T, &instrs, true);
    ils_instructions_ += instrs;
    return t;
  }
  if (!ils) return gemm_tls(array_, f.folds, f.T, f.depth);
  int64_t instrs = 0;
  TileTiming t = gemm_ils(array_, f.folds, f.T, &instrs, f.depth);
  ils_instructions_ += instrs;
  return t;
}

TileTiming SystolicCore::gemm_folds(int64_t folds, int64_t T, int64_t depth) {
  if (!ils_) return gemm_tls(array_, folds, T, depth);
  int64_t instrs = 0;
  TileTiming t = gemm_ils(array_, folds, T, &instrs, depth);
  ils_instructions_ += instrs;
  return t;
}

TileTiming SystolicCore::gemm_blocks(const std::vector<int64_t>& live, int64_t T, bool continues) {
  if (!ils_) return gemm_tls_blocks(array_, live, T, continues);
  int64_t instrs = 0;
  TileTiming t = gemm_ils_blocks(array_, live, T, &instrs, continues);
  ils_instructions_ += instrs;
  return t;
}

TileTiming SystolicCore::vector_mode(int32_t op, int64_t elements, int32_t dtype_bytes, int32_t ils) {
  if (!ils) return vector_tls(vec_, op, elements, dtype_bytes);
  int64_t instrs = 0;
  TileTiming t = vector_ils(vec_, op, elements, dtype_bytes, &instrs);
  ils_instructions_ += instrs;
  return t;
}

TileTiming SystolicCore::gemm(int64_t m, int64_t n, int64_t k, int32_t dtype_bytes) {
  ++gemm_queries_;
  // Cycles do not depend on the operand size: every PE does one MAC of the array's type per cycle.
  return cached(Key{m, n, k, 0, dtype_bytes}, gemm_busy_, [&] { return gemm_mode(m, n, k, ils_); });
}

TileTiming SystolicCore::gemm_accumulate(int64_t m, int64_t n, int64_t k, int32_t dtype_bytes) {
  if (array_.acc_rmw_cycles <= 1) return gemm(m, n, k, dtype_bytes);  // two ports: no extra cost
  ++gemm_queries_;
  return cached(Key{m, n, k, 2, dtype_bytes}, gemm_busy_, [&] { return gemm_mode(m, n, k, ils_, true); });
}

TileTiming SystolicCore::vector(int32_t op, int64_t elements, int32_t dtype_bytes) {
  ++vector_queries_;
  return cached(Key{op, elements, 0, 1, dtype_bytes}, vector_busy_,
                [&] { return vector_mode(op, elements, dtype_bytes, ils_); });
}

std::string SystolicCore::stats_json() {
  std::ostringstream o;
  o << "{\"mode\": \"" << (ils_ ? "ils" : "tls") << "\", \"gemm_queries\": " << gemm_queries_
    << ", \"vector_queries\": " << vector_queries_ << ", \"cache_hits\": " << hits_
    << ", \"cache_misses\": " << misses_ << ", \"cache_entries\": " << cache_.size()
    << ", \"ils_instructions\": " << ils_instructions_ << ", \"gemm_busy_cycles\": " << gemm_busy_
    << ", \"vector_busy_cycles\": " << vector_busy_ << "}";
  return o.str();
}

std::string SystolicCore::export_entries(bool only_new) {
  std::ostringstream o;
  for (auto& kv : cache_) {
    if (only_new && !kv.second.fresh) continue;
    const Key& k = kv.first;
    o << (k.kind == 0 ? 'g' : k.kind == 2 ? 'a' : 'v') << ' ' << k.a << ' ' << k.b << ' ' << k.c << ' ' << k.dtype << ' '
      << kv.second.t.latency << ' ' << kv.second.t.occupancy << '\n';
    kv.second.fresh = false;
  }
  return o.str();
}

int64_t SystolicCore::import_entries(const std::string& text) {
  std::istringstream in(text);
  char kind;
  int64_t a, b, c, lat, occ;
  int32_t dt;
  int64_t n = 0;
  while (in >> kind >> a >> b >> c >> dt >> lat >> occ) {
    const Key key{a, b, c, kind == 'g' ? 0 : kind == 'a' ? 2 : 1, dt};
    if (cache_.find(key) == cache_.end()) {
      TileTiming t;
      t.latency = lat;
      t.occupancy = occ;
      cache_.emplace(key, Entry{t, false});
      ++n;
    }
  }
  return n;
}

double SystolicCore::bench(int64_t n, int64_t distinct, bool cold) {
  npusim::ComputeTiming* self = this;  // through the kernel interface, as the engine calls it
  volatile int64_t sink = 0;
  // Query j: every 4th a vector op, else a GEMM tile; shapes are unique per j.
  auto query = [&](int64_t j) {
    if (j % 4 == 3) sink = sink + self->vector((int32_t)(j % npusim::VOP_COUNT), 1 + j, 4).latency;
    else sink = sink + self->gemm(1 + j % 1024, 1 + j / 1024, 128, 2).latency;
  };
  if (cold) cache_.clear();
  else for (int64_t j = 0; j < distinct; ++j) query(j);  // warm the cache
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) query(cold ? i : i % distinct);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(t1 - t0).count();
}

}  // namespace npusim_cores
