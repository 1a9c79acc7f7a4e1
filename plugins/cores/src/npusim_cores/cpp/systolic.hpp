// Systolic-array GEMM timing: SCALE-Sim v3 fold model (TLS closed form) and an instruction-level
// in-order pipeline (ILS) over per-fold PRELOAD/MATMUL instructions with buffer scoreboarding.
#pragma once
#include <cstdint>
#include <vector>
#include "npusim/types.hpp"

namespace npusim_cores {

enum Dataflow : int32_t { DF_WS = 0, DF_OS = 1, DF_IS = 2 };

// Array geometry and pipelining policy.
struct ArrayParams {
  int64_t rows = 128;   // R: PEs along the reduction (ws/is) or output-row (os) dimension
  int64_t cols = 128;   // C
  int32_t dataflow = DF_WS;
  int32_t overlap = 1;  // 1: next fold's preload overlaps this fold (double-buffered); 0: SCALE-Sim
  // Accumulator SRAM cycles per output row of a fold that accumulates onto an earlier fold's partial
  // sums (read-modify-write): 1 = one read and one write port (Gemmini AccumulatorMem's TwoPortSyncMem,
  // acc_singleported = false; TPUv1 accumulators), 2 = one shared port (Gemmini acc_singleported = true,
  // used with single-ported SKY130 SRAMs): the RMW read and write of a row take turns on the port.
  int32_t acc_rmw_cycles = 1;
};

// A GEMM tile mapped onto the array: `folds` array-sized folds, each streaming `T` rows.
struct FoldShape {
  int64_t folds = 0;
  int64_t T = 0;
  // Consecutive folds accumulating into one output block (ws/is: ceil(K/R) weight folds per output
  // block, k innermost; os: 1, partial sums stay in the PEs). Fold i accumulates iff i % depth != 0.
  int64_t depth = 1;
};

// SCALE-Sim v3 operand mapping (compute/systolic_compute_{ws,os,is}.py): ws keeps B[K,N] on the
// array (K->rows, N->cols) and streams M; os keeps C[M,N] (M->rows, N->cols) and streams K; is keeps
// A^T (K->rows, M->cols) and streams N. Partial folds are padded to the full array.
FoldShape map_gemm(const ArrayParams& p, int64_t m, int64_t n, int64_t k);

// Closed-form (TLS) timing of `folds` consecutive folds streaming T rows each, in output blocks of
// `depth` accumulating folds (see FoldShape).
npusim::TileTiming gemm_tls(const ArrayParams& p, int64_t folds, int64_t T, int64_t depth = 1);

// Instruction-level (ILS) timing of the same folds; `instructions` receives the count issued.
npusim::TileTiming gemm_ils(const ArrayParams& p, int64_t folds, int64_t T, int64_t* instructions,
                            int64_t depth = 1);

// The same with explicit output blocks: live[b] folds accumulate into output block b, blocks in order
// (a sparse tile whose all-zero folds were dropped; a dense tile is live = {depth, depth, ...}).
// continues: the blocks already hold partial sums (a later K step of an accumulation chain), so every
// fold accumulates, the first of each block included.
npusim::TileTiming gemm_tls_blocks(const ArrayParams& p, const std::vector<int64_t>& live, int64_t T,
                                   bool continues = false);
npusim::TileTiming gemm_ils_blocks(const ArrayParams& p, const std::vector<int64_t>& live, int64_t T,
                                   int64_t* instructions, bool continues = false);

}  // namespace npusim_cores
