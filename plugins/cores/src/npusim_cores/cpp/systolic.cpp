// Systolic-array GEMM timing models (TLS closed form and ILS in-order pipeline); see systolic.hpp.
#include "systolic.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace npusim_cores {

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

FoldShape map_gemm(const ArrayParams& p, int64_t m, int64_t n, int64_t k) {
  if (m < 0 || n < 0 || k < 0) throw std::invalid_argument("gemm: negative tile dimension");
  FoldShape f;
  if (m == 0 || n == 0 || k == 0) return f;
  const int64_t R = p.rows, C = p.cols;
  if (p.dataflow == DF_WS) { f.folds = cdiv(k, R) * cdiv(n, C); f.T = m; f.depth = cdiv(k, R); }
  else if (p.dataflow == DF_OS) { f.folds = cdiv(m, R) * cdiv(n, C); f.T = k; }
  else { f.folds = cdiv(k, R) * cdiv(m, C); f.T = n; f.depth = cdiv(k, R); }
  return f;
}

// Cycles the stationary operand occupies its load path per fold: ws preloads R weight rows, is
// preloads R input rows (SCALE-Sim's inter-fold prefix of R cycles); os has no preload (SCALE-Sim
// per fold R + C + T - 2) but, when overlapped, drains R rows of results through shadow registers.
static int64_t lead_cycles(const ArrayParams& p) { return p.dataflow == DF_OS ? 0 : p.rows; }
static int64_t swap_cycles(const ArrayParams& p, int64_t fold) {
  if (p.dataflow == DF_OS) return (p.overlap && fold > 0) ? p.rows : 0;
  return p.rows;
}
// Pipeline fill + drain skew of one wavefront through an R x C array: R + C - 2 (SCALE-Sim v3).
static int64_t skew_cycles(const ArrayParams& p) { return p.rows + p.cols - 2; }
// Accumulator cycles fold i's T output rows need: a fold accumulating onto partial sums (not the first
// of its output block) does a read-modify-write per row, acc_rmw_cycles per row on the accumulator
// ports; the array's output FIFO back-pressures the stream to that rate (Gemmini AccumulatorMem).
static bool accumulates(int64_t fold, int64_t depth) { return depth > 1 && fold % depth != 0; }

// TLS closed form for `folds` folds of which `rmw` accumulate onto partial sums (`last_rmw`: the last
// fold does). Folds that read-modify-write the accumulator stream at its RMW rate, T * acc_rmw_cycles
// instead of T (the same on a two-port accumulator).
static npusim::TileTiming tls_counts(const ArrayParams& p, int64_t folds, int64_t T, int64_t rmw, bool last_rmw) {
  npusim::TileTiming t;
  if (folds <= 0 || T <= 0) return t;
  const int64_t lead = lead_cycles(p), skew = skew_cycles(p);
  const int64_t slow = T * std::max<int32_t>(1, p.acc_rmw_cycles);
  const int64_t last = last_rmw ? slow : T;
  if (!p.overlap) {
    // SCALE-Sim v3: folds back to back, per fold 2R+C+T-2 (ws/is) or R+C+T-2 (os); it reports the
    // index of the last busy cycle, folds*per_fold - 1. The next tile may start after folds*per_fold.
    t.occupancy = folds * (lead + skew) + (folds - rmw) * T + rmw * slow;
    t.latency = t.occupancy - 1;
    return t;
  }
  // Overlapped (TPU-style double-buffered stationary operand, Jouppi et al. ISCA 2017 sec. 2): fold
  // i+1's stream starts max(stream_i, R) after fold i's (stream-, accumulator- or preload-bound).
  const int64_t fast_iv = std::max(T, p.rows), slow_iv = std::max(slow, p.rows);
  t.occupancy = (folds - rmw) * fast_iv + rmw * slow_iv;
  t.latency = lead + t.occupancy - std::max(last, p.rows) + last + skew - 1;
  return t;
}

npusim::TileTiming gemm_tls(const ArrayParams& p, int64_t folds, int64_t T, int64_t depth) {
  if (depth < 1) depth = 1;
  const int64_t blocks = (folds + depth - 1) / depth;
  return tls_counts(p, folds, T, folds - blocks, folds > 0 && accumulates(folds - 1, depth));
}

npusim::TileTiming gemm_tls_blocks(const ArrayParams& p, const std::vector<int64_t>& live, int64_t T,
                                   bool continues) {
  int64_t folds = 0, rmw = 0;
  bool last_rmw = false;
  for (int64_t l : live) {
    if (l <= 0) continue;
    folds += l;
    rmw += continues ? l : l - 1;
    last_rmw = continues || l > 1;
  }
  return tls_counts(p, folds, T, rmw, last_rmw);
}

template <class Rmw>
static npusim::TileTiming ils_run(const ArrayParams& p, int64_t folds, int64_t T, int64_t* instructions, Rmw rmw) {
  // Instruction stream per fold i: SWAP_i (preload weights/inputs, or drain outputs for os) on the
  // load path, then MATMUL_i streaming T rows into the array. In-order issue (an instruction starts no
  // earlier than its predecessor); scoreboard: MATMUL_i waits for SWAP_i (RAW on the stationary
  // buffer); SWAP_i waits for buffer i % nbuf to be released by MATMUL_{i-nbuf} (WAR). With overlap
  // there are two buffers released when a MATMUL's last row has entered the array; without overlap
  // one buffer released when the MATMUL has fully drained (SCALE-Sim's back-to-back folds).
  // Accumulator port (structural hazard): MATMUL_i's output rows reach the accumulator `first_out`
  // cycles after its stream starts and occupy its port(s) for T or T * acc_rmw_cycles (a read-modify-write per
  // row when the fold accumulates; one shared port takes 2 cycles per row). A MATMUL may not start
  // before the previous one's rows have been absorbed, and its stream is back-pressured to the
  // absorb rate by the array's output FIFO.
  npusim::TileTiming t;
  if (instructions) *instructions = 0;
  if (folds <= 0 || T <= 0) return t;
  const int64_t skew = skew_cycles(p);
  const int nbuf = p.overlap ? 2 : 1;
  int64_t buf_free[2] = {0, 0};
  int64_t path_free = 0, stream_free = 0, last_start = 0, done = 0, acc_free = 0;
  const int64_t first_out = p.rows - 1;  // first output row leaves the array (top-to-bottom skew)
  const int64_t slow = T * std::max<int32_t>(1, p.acc_rmw_cycles);
  for (int64_t i = 0; i < folds; ++i) {
    const int b = (int)(i % nbuf);
    const int64_t x = swap_cycles(p, i);
    int64_t xs = std::max({last_start, path_free, buf_free[b]});
    int64_t xe = xs + x;
    path_free = xe;
    last_start = xs;
    const int64_t s = rmw(i) ? slow : T;
    int64_t ms = std::max({last_start, xe, stream_free, acc_free - first_out});
    acc_free = ms + first_out + s;
    stream_free = ms + s;
    last_start = ms;
    done = ms + s + skew;
    buf_free[b] = p.overlap ? ms + s : done;
    if (instructions) *instructions += 2;
  }
  t.latency = done - 1;  // SCALE-Sim convention: index of the last busy cycle
  // Occupancy: when the next tile (whose own lead is a SWAP) may start so that its first MATMUL
  // starts exactly when this instruction stream would allow a further fold's MATMUL.
  const int64_t next_swap_end =
      std::max({last_start, path_free, buf_free[folds % nbuf]}) + swap_cycles(p, folds);
  t.occupancy = std::max<int64_t>(std::max(stream_free, next_swap_end) - lead_cycles(p), 0);
  return t;
}

npusim::TileTiming gemm_ils(const ArrayParams& p, int64_t folds, int64_t T, int64_t* instructions,
                            int64_t depth) {
  if (depth < 1) depth = 1;
  return ils_run(p, folds, T, instructions, [depth](int64_t i) { return accumulates(i, depth); });
}

npusim::TileTiming gemm_ils_blocks(const ArrayParams& p, const std::vector<int64_t>& live, int64_t T,
                                   int64_t* instructions, bool continues) {
  std::vector<char> acc;  // per fold, block by block (k innermost): all but a block's first accumulate
  for (int64_t l : live)
    for (int64_t j = 0; j < l; ++j) acc.push_back(continues || j > 0);
  return ils_run(p, (int64_t)acc.size(), T, instructions, [&acc](int64_t i) { return acc[(size_t)i] != 0; });
}

}  // namespace npusim_cores
