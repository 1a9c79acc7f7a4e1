// Kernel interface of a compute-timing component: latency of each compute tile in core cycles.
#pragma once
#include "npusim/types.hpp"

namespace npusim {

// Vector op classes (RISC-V V-style). Values are part of the TOG format: never renumber.
enum VecOp : int32_t {
  VOP_ADD = 0,       // add/sub/mul/min/max/abs/neg (1-cycle ALU class)
  VOP_FMA = 1,       // fused multiply-add
  VOP_CMP = 2,       // compare / select / where
  VOP_DIV = 3,       // divide, reciprocal
  VOP_SQRT = 4,      // sqrt / rsqrt
  VOP_EXP = 5,       // exp / exp2
  VOP_LOG = 6,       // log
  VOP_TANH = 7,      // tanh
  VOP_ERF = 8,       // erf (GELU)
  VOP_SIGMOID = 9,   // sigmoid (SiLU)
  VOP_REDUCE_SUM = 10,
  VOP_REDUCE_MAX = 11,
  VOP_TRANSPOSE = 12,  // transpose / shuffle within the scratchpad
  VOP_COPY = 13,       // move / cast
  VOP_COUNT = 14
};

class ComputeTiming {
 public:
  virtual ~ComputeTiming() {}
  // GEMM tile on one systolic array: C[m,n] += A[m,k] * B[k,n]; dtype_bytes = operand size.
  virtual TileTiming gemm(int64_t m, int64_t n, int64_t k, int32_t dtype_bytes) = 0;
  // A GEMM tile that continues an accumulation chain (not the first step of its output tile): its
  // folds add onto partial sums already in the accumulators. Default: timed like any GEMM tile.
  virtual TileTiming gemm_accumulate(int64_t m, int64_t n, int64_t k, int32_t dtype_bytes) {
    return gemm(m, n, k, dtype_bytes);
  }
  // One vector instruction group: `op` over `elements` elements on the vector unit.
  virtual TileTiming vector(int32_t op, int64_t elements, int32_t dtype_bytes) = 0;
  virtual std::string stats_json() = 0;
};

}  // namespace npusim
