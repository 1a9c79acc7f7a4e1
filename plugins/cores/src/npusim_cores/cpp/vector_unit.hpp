// Vector-unit timing (RISC-V V semantics): TLS closed form and an ILS in-order scoreboarded pipeline
// over the tile's vle/op/vse instruction stream.
#pragma once
#include <cstdint>
#include <vector>
#include "npusim/compute.hpp"

namespace npusim_cores {

// Functional unit an op class executes on.
enum VecUnit : int32_t { VU_ALU = 0, VU_DIVSQRT = 1, VU_SFU = 2, VU_PERM = 3, VU_COUNT = 4 };

// Vector unit parameters. Per op class (index = npusim::VecOp): cycles per datapath beat (inverse
// throughput) and result latency after the last beat.
struct VectorParams {
  int64_t lanes = 128;
  int64_t vlen_bits = 256;           // per lane (RVV VLEN)
  int64_t datapath_bits = 64;        // per lane per cycle
  int64_t spad_port_bits = 256;      // per lane per scratchpad port per cycle
  int64_t spad_read_ports = 2;
  int64_t spad_write_ports = 1;
  int64_t spad_read_latency = 2;
  int64_t spad_write_latency = 1;
  int64_t issue_width = 1;           // vector instructions issued per cycle
  int64_t vregs = 32;                // architectural vector registers (RVV: 32)
  std::vector<int64_t> op_ii;        // cycles per beat, by VecOp
  std::vector<int64_t> op_latency;   // cycles, by VecOp
};

// Static facts of one op class.
int32_t vec_unit_of(int32_t op);
int32_t vec_sources(int32_t op);
bool vec_is_reduction(int32_t op);

// Elements one vector instruction covers: lanes * VLEN / SEW (LMUL = 1).
int64_t vec_elems_per_instr(const VectorParams& p, int32_t dtype_bytes);

npusim::TileTiming vector_tls(const VectorParams& p, int32_t op, int64_t elements, int32_t dtype_bytes);
npusim::TileTiming vector_ils(const VectorParams& p, int32_t op, int64_t elements, int32_t dtype_bytes,
                              int64_t* instructions);

}  // namespace npusim_cores
