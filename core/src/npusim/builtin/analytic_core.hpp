// Analytic compute timing: SCALE-Sim v3 per-fold systolic formula (no preload overlap) and a
// throughput model of a lanes x VLEN vector unit. The accurate models live in npusim-cores.
#pragma once
#include <vector>
#include "npusim/compute.hpp"

namespace npusim {

class AnalyticCore : public ComputeTiming {
 public:
  // dataflow: 0 = ws, 1 = os, 2 = is
  AnalyticCore(int rows, int cols, int dataflow, int lanes, int vlen_bits, std::vector<int64_t> op_cycles);
  TileTiming gemm(int64_t m, int64_t n, int64_t k, int32_t dtype_bytes) override;
  TileTiming vector(int32_t op, int64_t elements, int32_t dtype_bytes) override;
  std::string stats_json() override { return "{}"; }

 private:
  int64_t rows_, cols_, df_, lanes_, vlen_;
  std::vector<int64_t> op_cycles_;
};

}  // namespace npusim
