// Vector-unit timing models (see vector_unit.hpp).
#include "vector_unit.hpp"

#include <algorithm>
#include <stdexcept>

namespace npusim_cores {

using npusim::TileTiming;

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t ilog2_ceil(int64_t x) { int64_t d = 0; while ((int64_t(1) << d) < x) ++d; return d; }

int32_t vec_unit_of(int32_t op) {
  switch (op) {
    case npusim::VOP_DIV: case npusim::VOP_SQRT: return VU_DIVSQRT;
    case npusim::VOP_EXP: case npusim::VOP_LOG: case npusim::VOP_TANH: case npusim::VOP_ERF:
    case npusim::VOP_SIGMOID: return VU_SFU;
    case npusim::VOP_TRANSPOSE: return VU_PERM;
    default: return VU_ALU;
  }
}

int32_t vec_sources(int32_t op) {
  switch (op) {
    case npusim::VOP_ADD: case npusim::VOP_CMP: case npusim::VOP_DIV: return 2;
    case npusim::VOP_FMA: return 3;
    default: return 1;
  }
}

bool vec_is_reduction(int32_t op) { return op == npusim::VOP_REDUCE_SUM || op == npusim::VOP_REDUCE_MAX; }

int64_t vec_elems_per_instr(const VectorParams& p, int32_t dtype_bytes) {
  return std::max<int64_t>(1, p.lanes * p.vlen_bits / (8 * (int64_t)dtype_bytes));
}

static void check(const VectorParams& p, int32_t op, int64_t elements, int32_t dtype_bytes) {
  if (op < 0 || op >= npusim::VOP_COUNT) throw std::invalid_argument("vector: unknown VecOp");
  if (elements < 0) throw std::invalid_argument("vector: negative element count");
  if (dtype_bytes <= 0) throw std::invalid_argument("vector: dtype_bytes must be positive");
  if ((int64_t)p.op_ii.size() < npusim::VOP_COUNT || (int64_t)p.op_latency.size() < npusim::VOP_COUNT)
    throw std::invalid_argument("vector: op_ii/op_latency need one entry per VecOp");
}

// Per-instruction occupancies: beats = VLEN / datapath width (a lane processes one beat per cycle).
struct Costs {
  int64_t op_occ, op_lat, rd_occ, wr_occ, srcs;
};
static Costs costs(const VectorParams& p, int32_t op) {
  Costs c;
  const int64_t beats = cdiv(p.vlen_bits, p.datapath_bits);
  c.op_occ = beats * p.op_ii[op];
  c.op_lat = p.op_latency[op];
  c.rd_occ = cdiv(p.vlen_bits, p.spad_port_bits);
  c.wr_occ = cdiv(p.vlen_bits, p.spad_port_bits);
  c.srcs = vec_sources(op);
  return c;
}

// Steady-state cycles per chunk (one vector instruction's worth of elements): the busiest of the
// functional unit, the scratchpad read/write ports and the single in-order issue slot.
static int64_t period(const VectorParams& p, const Costs& c, bool reduction) {
  const int64_t reads = c.srcs * c.rd_occ, writes = reduction ? 0 : c.wr_occ;
  const int64_t instrs = c.srcs + 1 + (reduction ? 0 : 1);
  return std::max({c.op_occ, cdiv(reads, p.spad_read_ports), cdiv(writes, p.spad_write_ports),
                   cdiv(instrs, p.issue_width)});
}

// Accumulators a reduction rotates through to hide the add latency (independent partial sums).
static int64_t accumulators(const Costs& c) { return std::max<int64_t>(1, cdiv(c.op_occ + c.op_lat, c.op_occ)); }

TileTiming vector_tls(const VectorParams& p, int32_t op, int64_t elements, int32_t dtype_bytes) {
  check(p, op, elements, dtype_bytes);
  TileTiming t;
  if (elements == 0) return t;
  const Costs c = costs(p, op);
  const bool red = vec_is_reduction(op);
  const int64_t epi = vec_elems_per_instr(p, dtype_bytes);
  const int64_t chunks = cdiv(elements, epi);
  const int64_t P = period(p, c, red);
  const int64_t head = c.rd_occ + p.spad_read_latency;  // first chunk's operands arrive
  const int64_t step = c.op_occ + c.op_lat;              // one dependent op
  t.occupancy = chunks * P;
  if (!red) {
    t.latency = t.occupancy + head + c.op_lat + c.wr_occ + p.spad_write_latency;
    return t;
  }
  // Reduction: partial sums in A accumulators, a log2(A) combine tree, then the in-register tree
  // reduction (RVV vfredusum: log2(elements per instruction) dependent steps), then a scalar store.
  const int64_t A = std::min(accumulators(c), chunks);
  const int64_t tree = ilog2_ceil(A) * step + c.op_occ + ilog2_ceil(epi) * c.op_lat;
  t.latency = t.occupancy + head + c.op_lat + tree + c.wr_occ + p.spad_write_latency;
  t.occupancy += tree + c.wr_occ;  // the combine tree and the store occupy the unit/port too
  return t;
}

namespace {
// In-order, scoreboarded issue of one instruction stream (no renaming, no chaining).
struct Pipeline {
  const VectorParams& p;
  std::vector<int64_t> reg_ready, unit_free[VU_COUNT + 2];
  int64_t last_issue = -1, issued = 0, end = 0, issue_slot_uses = 0;
  enum { RD = VU_COUNT, WR = VU_COUNT + 1 };
  explicit Pipeline(const VectorParams& p_) : p(p_), reg_ready(std::max<int64_t>(p_.vregs, 4), 0) {
    unit_free[VU_ALU].assign(1, 0); unit_free[VU_DIVSQRT].assign(1, 0);
    unit_free[VU_SFU].assign(1, 0); unit_free[VU_PERM].assign(1, 0);
    unit_free[RD].assign(std::max<int64_t>(1, p_.spad_read_ports), 0);
    unit_free[WR].assign(std::max<int64_t>(1, p_.spad_write_ports), 0);
  }
  // Issue: sources must be ready (RAW), the destination's pending write must land first (WAW), a
  // free instance of the unit, and program order at issue_width instructions per cycle.
  int64_t issue(int unit, const int64_t* srcs, int nsrc, int64_t dst, int64_t occ, int64_t lat) {
    int64_t t = last_issue < 0 ? 0 : last_issue + (issue_slot_uses >= p.issue_width ? 1 : 0);
    for (int i = 0; i < nsrc; ++i) t = std::max(t, reg_ready[srcs[i]]);
    if (dst >= 0) t = std::max(t, reg_ready[dst] - occ - lat);
    auto& inst = unit_free[unit];
    size_t best = 0;
    for (size_t i = 1; i < inst.size(); ++i) if (inst[i] < inst[best]) best = i;
    t = std::max(t, inst[best]);
    inst[best] = t + occ;
    if (t != last_issue) issue_slot_uses = 0;
    ++issue_slot_uses;
    last_issue = t;
    const int64_t done = t + occ + lat;
    if (dst >= 0) reg_ready[dst] = done;
    end = std::max(end, done);
    ++issued;
    return t;
  }
};
}  // namespace

TileTiming vector_ils(const VectorParams& p, int32_t op, int64_t elements, int32_t dtype_bytes,
                      int64_t* instructions) {
  check(p, op, elements, dtype_bytes);
  if (instructions) *instructions = 0;
  TileTiming t;
  if (elements == 0) return t;
  const Costs c = costs(p, op);
  const bool red = vec_is_reduction(op);
  const int64_t chunks = cdiv(elements, vec_elems_per_instr(p, dtype_bytes));
  const int unit = vec_unit_of(op);
  Pipeline pipe(p);
  const int64_t nregs = (int64_t)pipe.reg_ready.size();
  int64_t occupancy_end = 0;
  if (!red) {
    // Software-pipelined stream (as a modulo-scheduling compiler emits it): step j issues the loads of
    // chunk j+D, the op of chunk j and the store of chunk j-S, so load and op latency are hidden when
    // registers allow. Chunk j owns registers (j mod (D+S+1)) * srcs ..; the op overwrites its first.
    const int64_t P = period(p, c, false);
    int64_t D = cdiv(c.rd_occ * c.srcs + p.spad_read_latency, P);
    int64_t S = cdiv(c.op_occ + c.op_lat, P);
    const int64_t slots = std::max<int64_t>(1, nregs / c.srcs);  // chunks the register file can hold
    while (D + S + 1 > slots && (D > 0 || S > 0)) { if (S >= D && S > 0) --S; else --D; }
    const int64_t ring = D + S + 1;
    auto base = [&](int64_t j) { return (j % ring) * c.srcs; };
    auto load = [&](int64_t j) {
      for (int64_t s = 0; s < c.srcs; ++s) pipe.issue(Pipeline::RD, nullptr, 0, base(j) + s, c.rd_occ, p.spad_read_latency);
    };
    auto store = [&](int64_t j) {
      int64_t r[1] = {base(j)};
      int64_t st = pipe.issue(Pipeline::WR, r, 1, -1, c.wr_occ, p.spad_write_latency);
      occupancy_end = std::max(occupancy_end, st + c.wr_occ);
    };
    for (int64_t j = 0; j < std::min(D, chunks); ++j) load(j);
    for (int64_t j = 0; j < chunks + S; ++j) {
      if (j + D < chunks) load(j + D);
      if (j < chunks) {
        int64_t srcs[3] = {base(j), base(j) + 1, base(j) + 2};
        pipe.issue(unit, srcs, (int)c.srcs, base(j), c.op_occ, c.op_lat);
      }
      if (j - S >= 0) store(j - S);
    }
    t.latency = pipe.end;
    t.occupancy = std::min(t.latency, std::max(occupancy_end, (int64_t)0));
  } else {
    // Reduction: A accumulators (registers 0..A-1), loads into A.. rotating, combine tree, vfred, vse.
    const int64_t A = std::min(accumulators(c), chunks);
    const int64_t ring = std::max<int64_t>(1, nregs - A - 1);
    const int64_t D = std::min<int64_t>(ring - 1, cdiv(c.rd_occ + p.spad_read_latency, period(p, c, true)) + 1);
    auto reg = [&](int64_t j) { return A + (j % (D + 1)); };
    for (int64_t j = 0; j < std::min(D, chunks); ++j) pipe.issue(Pipeline::RD, nullptr, 0, reg(j), c.rd_occ, p.spad_read_latency);
    for (int64_t j = 0; j < chunks; ++j) {
      if (j + D < chunks) pipe.issue(Pipeline::RD, nullptr, 0, reg(j + D), c.rd_occ, p.spad_read_latency);
      const int64_t acc = j % A;
      if (j < A) {  // first use: move into the accumulator
        int64_t s[1] = {reg(j)};
        pipe.issue(unit, s, 1, acc, c.op_occ, c.op_lat);
      } else {
        int64_t s[2] = {acc, reg(j)};
        pipe.issue(unit, s, 2, acc, c.op_occ, c.op_lat);
      }
    }
    for (int64_t w = 1; w < A; w *= 2)  // combine tree over the accumulators
      for (int64_t a = 0; a + w < A; a += 2 * w) {
        int64_t s[2] = {a, a + w};
        pipe.issue(unit, s, 2, a, c.op_occ, c.op_lat);
      }
    int64_t s0[1] = {0};
    // vfredusum/vfredmax: an in-register tree, log2(elements per instruction) dependent steps.
    pipe.issue(unit, s0, 1, 0, c.op_occ, ilog2_ceil(vec_elems_per_instr(p, dtype_bytes)) * c.op_lat);
    int64_t st = pipe.issue(Pipeline::WR, s0, 1, -1, c.wr_occ, p.spad_write_latency);
    t.latency = pipe.end;
    t.occupancy = st + c.wr_occ;
  }
  if (instructions) *instructions = pipe.issued;
  return t;
}

}  // namespace npusim_cores
