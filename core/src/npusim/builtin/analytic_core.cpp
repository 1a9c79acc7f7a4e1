#include "analytic_core.hpp"

namespace npusim {

AnalyticCore::AnalyticCore(int rows, int cols, int dataflow, int lanes, int vlen_bits, std::vector<int64_t> op_cycles)
    : rows_(rows), cols_(cols), df_(dataflow), lanes_(lanes), vlen_(vlen_bits), op_cycles_(op_cycles) {}

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

TileTiming AnalyticCore::gemm(int64_t m, int64_t n, int64_t k, int32_t) {
  // SCALE-Sim v3 (Samajdar et al.): ws maps K->rows, N->cols, streams M; os maps M->rows,
  // N->cols, streams K; is maps K->rows, M->cols, streams N. Per fold: 2R+C+T-2 (ws/is),
  // R+C+T-2 (os); folds run back to back; total = folds*per_fold - 1.
  int64_t R = rows_, C = cols_, folds, T, per;
  if (df_ == 0) { folds = cdiv(k, R) * cdiv(n, C); T = m; per = 2 * R + C + T - 2; }
  else if (df_ == 1) { folds = cdiv(m, R) * cdiv(n, C); T = k; per = R + C + T - 2; }
  else { folds = cdiv(k, R) * cdiv(m, C); T = n; per = 2 * R + C + T - 2; }
  int64_t total = folds * per - 1;
  return TileTiming{total, total};
}

TileTiming AnalyticCore::vector(int32_t op, int64_t elements, int32_t dtype_bytes) {
  // RISC-V V: one vector instruction processes lanes * VLEN / (8*dtype_bytes) elements;
  // op_cycles[op] is its issue cost in cycles; +op_cycles as pipeline fill latency.
  int64_t per_instr = lanes_ * vlen_ / (8 * (int64_t)dtype_bytes);
  int64_t instrs = cdiv(elements, per_instr);
  int64_t c = op_cycles_[op < (int32_t)op_cycles_.size() ? op : 0];
  if (op == VOP_REDUCE_SUM || op == VOP_REDUCE_MAX) {
    int64_t depth = 0;  // log2 tree across lanes
    for (int64_t l = lanes_; l > 1; l = (l + 1) / 2) ++depth;
    return TileTiming{instrs * c + depth, instrs * c};
  }
  return TileTiming{instrs * c + c, instrs * c};
}

}  // namespace npusim
