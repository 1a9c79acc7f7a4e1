// Event-driven multi-core TOG engine (see engine.hpp). Semantics follow PyTorchSim's TOGSim: one
// instruction issued per core cycle in program order; MOVIN/MOVOUT go to DMA queues, COMP to a
// systolic array or the vector unit; units run their queues in order, out of order w.r.t. each
// other; BAR (wait) blocks issue until the tagged async DMAs finished. Unlike TOGSim, idle units are
// never ticked: time jumps from event to event.
#include "engine.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace npusim {

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

Engine::Engine(EngineParams p, MemoryDevice* mem, Interconnect* noc, ComputeTiming* timing)
    : p_(p), mem_(mem), noc_(noc), timing_(timing), period_(period_ps(p.core_mhz)) {
  nchan_ = mem_->num_channels();
  cores_.resize(p_.num_cores);
  for (auto& c : cores_) {
    c.arrays.resize(p_.arrays);
    c.dma.resize(p_.dma_engines);
  }
  part_of_core_.assign(p_.num_cores, 0);
  mem_wait_.resize(nchan_);
  resp_wait_.resize(nchan_);
  // Per-transaction address arithmetic without divisions (power-of-two granule / channel count / txn
  // size use shifts and masks) and per-channel tables for the NUMA partition and the core port.
  auto log2_exact = [](int64_t v) { int b = 0; while ((1LL << b) < v) ++b; return v > 0 && (1LL << b) == v ? b : -1; };
  ib_shift_ = log2_exact(p_.interleave_bytes);
  ch_bits_ = log2_exact(nchan_);
  txn_mask_ = log2_exact(p_.txn_bytes) >= 0 ? p_.txn_bytes - 1 : -1;
  for (int ch = 0; ch < nchan_; ++ch) {
    chan_part_.push_back((int)((int64_t)ch * p_.numa_partitions / nchan_));
    chan_port_.push_back(ch % p_.ports_per_core);
  }
  for (int c = 0; c < p_.num_cores; ++c) core_part_.push_back((int)((int64_t)c * p_.numa_partitions / p_.num_cores));
}

int Engine::add_kernel(const std::string& name, const std::vector<int64_t>& nodes, const std::vector<int64_t>& dims,
                       const std::vector<int64_t>& offs, const std::vector<int64_t>& deps, int nvars, int root_first) {
  Kernel k;
  k.name = name;
  k.nodes = nodes;
  k.dims = dims;
  k.offs = offs;
  k.deps = deps;
  k.nvars = nvars;
  k.root_first = root_first;
  // Perfect nest of outer loops from the root: their iterations are distributed over cores.
  int cur = root_first;
  while (cur >= 0 && k.n(cur, NF_TYPE) == NT_LOOP && k.n(cur, NF_LOOPKIND) == LK_OUTER &&
         k.n(cur, NF_NEXT_SIBLING) < 0) {
    k.outer_nest.push_back(cur);
    int64_t s = k.n(cur, NF_START), e = k.n(cur, NF_END), st = k.n(cur, NF_STEP);
    k.outer_total *= std::max<int64_t>(0, (e - s + st - 1) / st);
    cur = (int)k.n(cur, NF_FIRST_CHILD);
  }
  k.body_first = cur;
  kernels_.push_back(std::move(k));
  return (int)kernels_.size() - 1;
}

int64_t Engine::launch(int kernel, int partition, Tick at, int tenant) {
  if (partition >= (int)part_queue_.size()) {
    part_queue_.resize(partition + 1);
    part_running_.resize(partition + 1, -1);
  }
  Launch l;
  l.kernel = kernel;
  l.partition = partition;
  l.tenant = tenant;
  l.at = at;
  launches_.push_back(l);
  int64_t id = (int64_t)launches_.size() - 1;
  part_queue_[partition].push_back(id);
  push(std::max(at, now_), EV_LAUNCH, -1, partition);
  return id;
}

void Engine::push(Tick t, int type, int core, int64_t a) { pq_.push(Event{t, ev_seq_++, type, core, a}); }

void Engine::schedule_issue(int c, Tick t) {
  Core& core = cores_[c];
  if (core.issue_scheduled || !core.w.active) return;
  core.issue_scheduled = true;
  push(next_edge(t, period_), EV_ISSUE, c, 0);
}

bool Engine::idle() const {
  if (!pq_.empty()) return false;
  for (auto& q : part_queue_) if (!q.empty()) return false;
  for (auto r : part_running_) if (r >= 0) return false;
  return noc_->next_event() == kNever && mem_->next_event() == kNever;
}

int64_t Engine::flush_cache() {
  if (cache_ == nullptr) return 0;
  for (size_t p = 0; p < part_queue_.size(); ++p)
    if (partition_busy((int)p)) { error_ = "flush_cache called while partition " + std::to_string(p) + " has work"; return 0; }
  const Tick start = now_;
  int64_t n = cache_->flush(now_);
  flush_wb_ += n;
  run(kNever);  // drains the write-backs: returns when the memory system has nothing left to do
  flush_ps_ += now_ - start;
  return n;
}

void Engine::start_launch(int p) {
  if (part_running_[p] >= 0 || part_queue_[p].empty()) return;
  int64_t id = part_queue_[p].front();
  Launch& L = launches_[id];
  if (L.at > now_) { push(L.at, EV_LAUNCH, -1, p); return; }
  part_queue_[p].pop_front();
  part_running_[p] = id;
  L.start = now_;
  const Kernel& k = kernels_[L.kernel];
  std::vector<int> cores;
  for (int c = 0; c < p_.num_cores; ++c) if (part_of_core_[c] == p) cores.push_back(c);
  if (cores.empty()) { error_ = "partition " + std::to_string(p) + " has no cores"; L.end = now_; part_running_[p] = -1; return; }
  int n = (int)cores.size();
  L.cores_left = 0;
  for (int r = 0; r < n; ++r) {
    bool has_work = k.outer_nest.empty() ? r == 0 : r < k.outer_total;
    if (!has_work) continue;
    Core& core = cores_[cores[r]];
    Walker& w = core.w;
    w = Walker();
    w.active = true;
    w.done = false;
    w.launch = id;
    w.kernel = L.kernel;
    w.ncores = k.outer_nest.empty() ? 1 : n;
    w.outer_idx = r;
    w.vals.assign(k.nvars, 0);
    w.last_inst.assign(k.nodes.size() / NF_COUNT, -1);
    w.last_seq.assign(k.nodes.size() / NF_COUNT, -1);
    w.scope_loads.assign(1, {});
    w.in_body = false;
    core.array_of_gemm.assign(k.nodes.size() / NF_COUNT, 0);
    core.tag_outstanding.clear();
    core.sync_wait = -1;
    L.cores_left++;
    schedule_issue(cores[r], now_);
  }
  if (L.cores_left == 0) {
    L.end = now_;
    part_running_[p] = -1;
    start_launch(p);
  }
}

// Set loop values of the outer nest for flattened index idx (last nest loop fastest).
static void decode_outer(const std::vector<int>& nest, const std::vector<int64_t>& nodes, int64_t idx,
                         std::vector<int64_t>& vals) {
  for (int i = (int)nest.size() - 1; i >= 0; --i) {
    const int64_t* row = &nodes[(size_t)nest[i] * NF_COUNT];
    int64_t trips = (row[NF_END] - row[NF_START] + row[NF_STEP] - 1) / row[NF_STEP];
    vals[row[NF_VAR]] = row[NF_START] + (idx % trips) * row[NF_STEP];
    idx /= trips;
  }
}

void Engine::close_scope(Core& core, size_t depth) {
  auto& v = core.w.scope_loads[depth];
  for (int64_t slot : v) {
    pool_[slot].closed = true;
    maybe_free(slot);
  }
  v.clear();
}

bool Engine::walker_next(int c, int& node) {
  Core& core = cores_[c];
  Walker& w = core.w;
  const Kernel& k = kernels_[w.kernel];
  while (true) {
    if (!w.in_body) {
      if (w.outer_idx >= std::max<int64_t>(k.outer_total, 1) || (k.outer_nest.empty() && w.outer_idx > 0)) return false;
      if (!k.outer_nest.empty()) decode_outer(k.outer_nest, k.nodes, w.outer_idx, w.vals);
      w.in_body = true;
      w.cursor = k.body_first;
      w.stack.clear();
    }
    if (w.cursor < 0) {
      if (w.stack.empty()) {
        close_scope(core, 0);
        w.in_body = false;
        w.outer_idx += w.ncores;
        continue;
      }
      int loop = w.stack.back();
      close_scope(core, w.stack.size());
      int64_t var = k.n(loop, NF_VAR);
      w.vals[var] += k.n(loop, NF_STEP);
      if (w.vals[var] < k.n(loop, NF_END)) {
        w.cursor = (int)k.n(loop, NF_FIRST_CHILD);
      } else {
        w.stack.pop_back();
        w.cursor = (int)k.n(loop, NF_NEXT_SIBLING);
      }
      continue;
    }
    int cur = w.cursor;
    if (k.n(cur, NF_TYPE) == NT_LOOP) {
      if (k.n(cur, NF_START) >= k.n(cur, NF_END) || k.n(cur, NF_FIRST_CHILD) < 0) {
        w.cursor = (int)k.n(cur, NF_NEXT_SIBLING);
        continue;
      }
      w.stack.push_back(cur);
      if (w.scope_loads.size() <= w.stack.size()) w.scope_loads.resize(w.stack.size() + 1);
      w.vals[k.n(cur, NF_VAR)] = k.n(cur, NF_START);
      w.cursor = (int)k.n(cur, NF_FIRST_CHILD);
      continue;
    }
    w.cursor = (int)k.n(cur, NF_NEXT_SIBLING);
    node = cur;
    return true;
  }
}

int64_t Engine::new_inst() {
  int64_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    // Fresh fields, but the recycled instruction's vectors keep their capacity (no per-instruction malloc).
    Inst& old = pool_[slot];
    Inst fresh;
    for (auto v : {&Inst::waiters, &Inst::dep_loads, &Inst::ext, &Inst::stride, &Inst::idx}) {
      (fresh.*v).swap(old.*v);
      (fresh.*v).clear();
    }
    old = std::move(fresh);
  } else {
    slot = (int64_t)pool_.size();
    pool_.emplace_back();
  }
  pool_[slot].seq = inst_seq_++;
  return slot;
}

int64_t Engine::extent(const Kernel& k, int64_t d, const std::vector<int64_t>& vals) const {
  const int64_t* row = &k.dims[(size_t)d * 4];
  int64_t size = row[0];
  if (row[2] >= 0) size = std::min(size, row[3] - vals[row[2]]);
  return std::max<int64_t>(size, 0);  // an offset part past a border tile's end is empty
}

TileTiming Engine::timing_of(const Kernel& k, int node, const Inst& in) {
  int type = (int)k.n(node, NF_TYPE);
  int32_t eb = (int32_t)k.n(node, NF_ELEM_BYTES);
  uint64_t key = mix(mix(mix(mix(mix(mix(mix((uint64_t)type, (uint64_t)in.a), (uint64_t)in.b), (uint64_t)in.c),
                                    (uint64_t)eb), (uint64_t)k.n(node, NF_OP)), (uint64_t)k.n(node, NF_CYCLES)),
                     (uint64_t)k.n(node, NF_OVERLAP));
  if (in.continues) key = mix(key, 0x6163637532ULL);  // accumulating GEMM steps are timed separately
  auto it = tcache_.find(key);
  if (it != tcache_.end()) return it->second;
  TileTiming t;
  if (k.n(node, NF_CYCLES) > 0) {  // fixed latency given by the TOG (e.g. a PyTorchSim compute_node)
    t.latency = k.n(node, NF_CYCLES);
    t.occupancy = t.latency - k.n(node, NF_OVERLAP);
  } else if (type == NT_GEMM) {
    t = in.continues ? timing_->gemm_accumulate(in.a, in.b, in.c, eb) : timing_->gemm(in.a, in.b, in.c, eb);
  }
  else if (type == NT_VECTOR) t = timing_->vector((int32_t)k.n(node, NF_OP), in.a, eb);
  else { t.latency = std::max<int64_t>(1, in.a); t.occupancy = t.latency; }  // preload: one weight row per cycle
  if (t.occupancy < 1) t.occupancy = 1;
  if (t.latency < t.occupancy) t.latency = t.occupancy;
  tcache_[key] = t;
  return t;
}

bool Engine::sparse_lookup(const Walker& w, const Kernel& k, int node, TileTiming& out) const {
  // A GEMM instance is named by the tile addresses of its (first two) load dependencies.
  int64_t addr[2] = {-1, -1};
  int n = 0;
  for (int64_t i = 0; i < k.n(node, NF_DEP_COUNT) && n < 2; ++i) {
    int dep = (int)k.deps[k.n(node, NF_DEP_BEGIN) + i];
    int64_t ds = w.last_inst[dep];
    if (ds < 0 || pool_[ds].seq != w.last_seq[dep] || pool_[ds].type != NT_LOAD) continue;
    addr[n++] = pool_[ds].base;
  }
  return n == 2 && sparse_.gemm_override(w.kernel, node, addr[0], addr[1], out);
}

void Engine::try_issue(int c) {
  Core& core = cores_[c];
  Walker& w = core.w;
  if (!w.active || core.sync_wait >= 0) return;
  const Kernel& k = kernels_[w.kernel];
  if (w.held < 0 && !w.done) {
    int node;
    if (walker_next(c, node)) w.held = node;
    else w.done = true;
  }
  if (w.held < 0) {
    if (core.inflight == 0) finish_walker(c);
    return;
  }
  int node = w.held;
  int type = (int)k.n(node, NF_TYPE);
  if (type == NT_WAIT) {
    const size_t tag = (size_t)k.n(node, NF_TAG);
    if (tag < core.tag_outstanding.size() && core.tag_outstanding[tag] > 0) return;  // re-tried when a DMA finishes
    core.n_wait++;
  } else if (type == NT_BARRIER) {
    if (core.inflight > 0) return;
    core.n_bar++;
  } else {
    if (core.inflight >= p_.issue_window) return;
    if (type == NT_LOAD) {
      int64_t bytes = k.n(node, NF_ELEM_BYTES);
      for (int64_t d = 0; d < k.n(node, NF_DIM_COUNT); ++d) bytes *= extent(k, k.n(node, NF_DIM_BEGIN) + d, w.vals);
      if (core.spad_used + bytes > p_.spad_bytes) {
        if (core.inflight == 0) {
          error_ = "scratchpad overflow in kernel '" + k.name + "': node " + std::to_string(node) + " needs " +
                   std::to_string(bytes) + " B with " + std::to_string(core.spad_used) + " of " +
                   std::to_string(p_.spad_bytes) + " B live";
          w.active = false;
        }
        return;  // re-tried when a buffer is freed
      }
    }
    issue_node(c, node);
  }
  w.held = -1;
  schedule_issue(c, now_ + period_);  // one instruction per core cycle
}

void Engine::issue_node(int c, int node) {
  Core& core = cores_[c];
  Walker& w = core.w;
  const Kernel& k = kernels_[w.kernel];
  int type = (int)k.n(node, NF_TYPE);
  int64_t slot = new_inst();
  Inst* in = &pool_[slot];
  in->core = c;
  in->node = node;
  in->type = type;
  in->launch = w.launch;
  TileTiming sparse_t;  // data-dependent GEMM timing; latency 0: all products zero, not waited for
  bool sparse_gemm = type == NT_GEMM && !sparse_.empty() && sparse_lookup(w, k, node, sparse_t);
  bool zero_gemm = sparse_gemm && sparse_t.latency == 0;
  if (sparse_gemm) sparse_.hold(slot, sparse_t);
  for (int64_t i = 0; i < k.n(node, NF_DEP_COUNT); ++i) {
    int dep = (int)k.deps[k.n(node, NF_DEP_BEGIN) + i];
    int64_t ds = w.last_inst[dep];
    if (ds < 0 || pool_[ds].seq != w.last_seq[dep]) continue;  // finished and recycled
    Inst& d = pool_[ds];
    if (!d.done && !zero_gemm) { in->pending++; d.waiters.push_back(slot); }
    if (d.type == NT_LOAD && !d.freed) { d.consumers++; in->dep_loads.push_back(ds); }
  }
  w.last_inst[node] = slot;
  w.last_seq[node] = in->seq;
  core.inflight++;
  if (type == NT_LOAD || type == NT_STORE) {
    int64_t nd = k.n(node, NF_DIM_COUNT), db = k.n(node, NF_DIM_BEGIN);
    in->elem = k.n(node, NF_ELEM_BYTES);
    int64_t start = 0, bytes = in->elem;
    for (int64_t d = 0; d < nd; ++d) {
      const int64_t* row = &k.dims[(size_t)(db + d) * 4];
      int64_t e = extent(k, db + d, w.vals);
      in->ext.push_back(e);
      in->stride.push_back(row[1]);
      if (row[2] >= 0) start += w.vals[row[2]] * row[1];
      bytes *= e;
    }
    for (int64_t o = 0; o < k.n(node, NF_OFF_COUNT); ++o) {
      const int64_t* row = &k.offs[(size_t)(k.n(node, NF_OFF_BEGIN) + o) * 2];
      start += w.vals[row[0]] * row[1];
    }
    in->base = k.n(node, NF_BASE_ADDR) + start * in->elem;
    in->bytes = bytes;
    in->idx.assign(nd, 0);
    in->cur_run = in->base;  // start address of the current contiguous run (all indices 0)
    in->gen_done = bytes <= 0;
    in->flags = (int)k.n(node, NF_FLAGS);
    in->tag = (int)k.n(node, NF_TAG);
    in->is_async = k.n(node, NF_ASYNC) != 0;
    // An all-zero tile (sparsity table) skips its MOVIN: no DRAM traffic, no scratchpad buffer.
    bool skip = type == NT_LOAD && in->pending == 0 && !sparse_.empty() &&
                sparse_.load_skipped(w.kernel, node, in->base, bytes);
    if (type == NT_LOAD) {
      if (!skip) {
        core.n_movin++;
        in->spad = bytes;
        core.spad_used += bytes;
        core.spad_peak = std::max(core.spad_peak, core.spad_used);
      }
      w.scope_loads[w.stack.size()].push_back(slot);
    } else {
      core.n_movout++;
    }
    if (in->is_async) {
      if ((size_t)in->tag >= core.tag_outstanding.size()) core.tag_outstanding.resize(in->tag + 1, 0);
      core.tag_outstanding[in->tag]++;
    }
    else core.sync_wait = slot;
    if (skip) {
      in->unit = 0;
      push(now_, EV_INST_DONE, c, slot);
      return;
    }
    // Loads round-robin over the first D-1 queues and stores use the last one (with D > 1), so a
    // MOVOUT waiting for its GEMM never blocks the next tile's MOVINs (head-of-line blocking); with a
    // single queue both share it, as on a one-channel DMA engine.
    int D = p_.dma_engines;
    int e = D == 1 ? 0 : (type == NT_STORE ? D - 1 : (int)(core.next_dma++ % (D - 1)));
    in->unit = e;
    core.dma[e].q.push_back(slot);
    dma_pump(c, e);
    return;
  }
  int64_t db = k.n(node, NF_DIM_BEGIN);
  if (type == NT_GEMM) {
    in->a = extent(k, db, w.vals);
    in->b = extent(k, db + 1, w.vals);
    in->c = extent(k, db + 2, w.vals);
    // An accumulation chain (one output tile over its accumulation loops) stays on one array: the
    // partial sums live in that array's accumulators. A chain starts when every enclosing accum loop
    // is at its first iteration (a GEMM outside accum loops is a chain of its own).
    bool new_chain = true;
    for (int64_t p = k.n(node, NF_PARENT); p >= 0 && new_chain; p = k.n(p, NF_PARENT))
      if (k.n(p, NF_LOOPKIND) == LK_ACCUM && w.vals[k.n(p, NF_VAR)] != k.n(p, NF_START)) new_chain = false;
    if (new_chain) core.array_of_gemm[node] = core.next_array++ % p_.arrays;
    in->continues = !new_chain;
    in->unit = core.array_of_gemm[node];
    if (!zero_gemm) core.n_gemm++;  // a skipped GEMM passes its array queue in order, taking no time
    Unit& u = core.arrays[in->unit];
    u.q.push_back(slot);
    unit_try_start(c, u, in->unit);
  } else if (type == NT_PRELOAD) {
    in->a = extent(k, db, w.vals);
    in->unit = core.next_array % p_.arrays;
    core.n_preload++;
    Unit& u = core.arrays[in->unit];
    u.q.push_back(slot);
    unit_try_start(c, u, in->unit);
  } else {  // vector
    int64_t elems = 1;
    for (int64_t d = 0; d < k.n(node, NF_DIM_COUNT); ++d) elems *= extent(k, db + d, w.vals);
    in->a = elems;
    in->unit = p_.arrays;
    core.n_vec++;
    core.vec.q.push_back(slot);
    unit_try_start(c, core.vec, p_.arrays);
  }
}

void Engine::unit_try_start(int c, Unit& u, int unit_id) {
  if (u.q.empty() || u.busy_until > now_) return;
  int64_t slot = u.q.front();
  Inst& in = pool_[slot];
  if (in.pending > 0) return;
  u.q.pop_front();
  const Kernel& k = kernels_[launches_[in.launch].kernel];
  TileTiming t = timing_of(k, in.node, in);
  TileTiming st;
  if (!sparse_.empty() && sparse_.take(slot, st)) {
    sparse_.count_gemm(st, t);
    t = st;
  }
  in.started = true;
  in.start = now_;
  Tick occ = t.occupancy * period_, lat = t.latency * period_;
  // A skipped matmul completes no earlier than the array's previous tile (in-order completion), so
  // what depends on the accumulation chain's last step still waits for its live steps.
  if (!sparse_.empty() && unit_id < p_.arrays) lat = sparse_.in_order(c * 64 + unit_id, now_, lat);
  u.busy_until = now_ + occ;
  u.busy_ps += occ;
  if (unit_id < p_.arrays) launches_[in.launch].array_busy += occ;
  if (t.latency > 0) u.count++;
  push(now_ + lat, EV_INST_DONE, c, slot);
  push(now_ + occ, EV_UNIT_FREE, c, unit_id);
  if (p_.trace && t.latency > 0) trace_.push_back(TraceEvent{c * 64 + unit_id, in.node, in.launch, now_, now_ + lat});
}

void Engine::map_channel(int64_t addr, int32_t& ch, int64_t& local) const {
  // addr >= 0: shifts and masks equal the divisions they replace.
  const int64_t ib = p_.interleave_bytes, C = nchan_;
  int64_t g, off, hi, lo;
  if (ib_shift_ >= 0) { g = addr >> ib_shift_; off = addr & (ib - 1); }
  else { g = addr / ib; off = addr % ib; }
  if (ch_bits_ >= 0) { hi = g >> ch_bits_; lo = g & (C - 1); }
  else { hi = g / C; lo = g % C; }
  if (p_.interleave_ipoly && ch_bits_ > 0) {
    // XOR-fold the upper granule bits onto the channel bits (an IPOLY-style hash as in
    // GPGPU-Sim / PyTorchSim's memory partition indexing): consecutive rows of a tile spread
    // over all channels while (hi, channel) stays a bijection of the granule index.
    int64_t h = hi, fold = 0;
    while (h) { fold ^= h & (C - 1); h >>= ch_bits_; }
    lo ^= fold;
  }
  ch = (int32_t)lo;
  local = hi * ib + off;
}

void Engine::dma_pump(int c, int e) {
  Core& core = cores_[c];
  DmaEngine& de = core.dma[e];
  // Issue bandwidth: dma_bytes_per_cycle per core cycle, shared by every pump in that cycle.
  if (de.pump_tick != now_) { de.pump_tick = now_; de.pump_used = 0; }
  int64_t& used = de.pump_used;
  while (!de.q.empty()) {
    int64_t slot = de.q.front();
    Inst* in = &pool_[slot];
    if (in->pending > 0) return;
    if (!in->started) { in->started = true; in->start = now_; }
    size_t nd = in->ext.size();
    // Contiguous runs: the innermost dim if its stride is 1, else single elements.
    bool contig = nd > 0 && in->stride[nd - 1] == 1;
    int64_t run_len = contig ? in->ext[nd - 1] * in->elem : in->elem;
    size_t iter_dims = contig ? nd - 1 : nd;
    const int32_t is_write = in->type == NT_STORE;
    const int32_t tenant = launches_[in->launch].tenant;
    const int64_t txn = p_.txn_bytes;
    while (!in->gen_done) {
      if (used >= p_.dma_bytes_per_cycle) {
        if (!de.scheduled) { de.scheduled = true; push(now_ + period_, EV_DMA, c, e); }
        return;
      }
      if (de.outstanding >= p_.dma_max_outstanding) return;  // pumped again when a response arrives
      int64_t addr = in->cur_run + in->run_pos;
      int64_t len = std::min<int64_t>(txn - (txn_mask_ >= 0 ? addr & txn_mask_ : addr % txn), run_len - in->run_pos);
      Packet pk;
      MemRequest& r = pk.req;
      r.id = req_seq_;
      map_channel(addr, r.channel, r.addr);
      r.bytes = (int32_t)len;
      r.is_write = is_write;
      r.src = c;
      r.tenant = tenant;
      r.flags = in->flags;
      r.owner = slot;  // the response names its DMA instruction (components return it unchanged)
      r.issue = now_;
      pk.id = req_seq_;
      pk.src = c * p_.ports_per_core + chan_port_[r.channel];
      pk.dst = p_.num_cores * p_.ports_per_core + r.channel;
      pk.bytes = is_write ? (int32_t)len : 0;
      if (!noc_send(pk)) {
        blocked_dma_.push_back(c * p_.dma_engines + e);
        return;
      }
      req_seq_++;
      if (de.outstanding++ == 0) de.active_since = now_;
      in->txn_left++;
      used += len;
      core.txns++;
      (is_write ? core.bytes_wr : core.bytes_rd) += len;
      if (chan_part_[r.channel] == core_part_[c]) core.numa_local++;
      else core.numa_remote++;
      in->run_pos += len;
      if (in->run_pos >= run_len) {
        in->run_pos = 0;
        size_t d = iter_dims;
        while (d > 0) {
          --d;
          if (++in->idx[d] < in->ext[d]) break;
          in->idx[d] = 0;
          if (d == 0) { in->gen_done = true; break; }
        }
        if (iter_dims == 0) in->gen_done = true;
        if (!in->gen_done) {
          int64_t run_start = in->base;
          for (size_t k = 0; k < iter_dims; ++k) run_start += in->idx[k] * in->stride[k] * in->elem;
          in->cur_run = run_start;
        }
      }
    }
    de.q.pop_front();
    if (in->txn_left == 0) push(now_ + p_.dma_latency_cycles * period_, EV_INST_DONE, c, slot);
  }
}

void Engine::txn_done(const MemRequest& r) {
  int64_t slot = r.owner;
  Inst& in = pool_[slot];
  Core& core = cores_[in.core];
  DmaEngine& de = core.dma[in.unit];
  if (--de.outstanding == 0) { de.active_ps += now_ - de.active_since; de.active_since = -1; }
  in.txn_left--;
  if ((size_t)r.tenant >= tenant_bytes_.size()) tenant_bytes_.resize(r.tenant + 1, 0);
  tenant_bytes_[r.tenant] += r.bytes;
  launches_[in.launch].bytes += r.bytes;
  if (p_.trace) {
    int64_t win = now_ / p_.trace_window;
    int64_t key = win * nchan_ + r.channel;
    auto ci = ctr_index_.find(key);
    if (ci == ctr_index_.end()) {
      ctr_index_[key] = (int64_t)dram_ctr_.size();
      dram_ctr_.push_back(win);
      dram_ctr_.push_back(r.channel);
      dram_ctr_.push_back(r.bytes);
    } else {
      dram_ctr_[ci->second + 2] += r.bytes;
    }
  }
  int c = in.core, e = in.unit;
  if (in.gen_done && in.txn_left == 0) finish_dma(c, slot);
  dma_pump(c, e);
}

// A DMA completes dma_latency_cycles after its last memory response: the DMA path's fixed pipeline latency
// (descriptor handling, on-chip return path, completion signalling) charged once per DMA, as a block DMA
// engine tracks whole transfers and does not hold a transaction slot for it (so it never limits bandwidth).
void Engine::finish_dma(int c, int64_t slot) {
  if (p_.dma_latency_cycles == 0) inst_done(slot);
  else push(now_ + p_.dma_latency_cycles * period_, EV_INST_DONE, c, slot);
}

void Engine::inst_done(int64_t slot) {
  Inst& in = pool_[slot];
  if (in.done) return;
  in.done = true;
  int c = in.core;
  Core& core = cores_[c];
  core.inflight--;
  if (in.type == NT_LOAD || in.type == NT_STORE) {
    if (in.is_async) core.tag_outstanding[in.tag]--;
    if (core.sync_wait == slot) core.sync_wait = -1;
    if (p_.trace) trace_.push_back(TraceEvent{c * 64 + 32 + in.unit, in.node, in.launch, in.start, now_});
  }
  std::vector<int64_t> waiters;
  waiters.swap(in.waiters);
  std::vector<int64_t> held;
  held.swap(in.dep_loads);
  bool is_load = in.type == NT_LOAD;
  for (int64_t ws : waiters) {
    Inst& wi = pool_[ws];
    if (--wi.pending == 0) {
      if (wi.type == NT_LOAD || wi.type == NT_STORE) dma_pump(c, wi.unit);
      else if (wi.unit < p_.arrays && wi.type != NT_VECTOR) unit_try_start(c, core.arrays[wi.unit], wi.unit);
      else unit_try_start(c, core.vec, p_.arrays);
    }
  }
  for (int64_t ls : held) {
    pool_[ls].consumers--;
    maybe_free(ls);
  }
  if (is_load) maybe_free(slot);
  else free_.push_back(slot);
  schedule_issue(c, now_);
  if (core.w.done && core.w.held < 0 && core.inflight == 0) finish_walker(c);
}

void Engine::maybe_free(int64_t slot) {
  Inst& in = pool_[slot];
  if (in.freed || !in.closed || !in.done || in.consumers > 0) return;
  in.freed = true;
  cores_[in.core].spad_used -= in.spad;
  free_.push_back(slot);
  schedule_issue(in.core, now_);
}

void Engine::finish_walker(int c) {
  Core& core = cores_[c];
  Walker& w = core.w;
  if (!w.active) return;
  for (size_t d = 0; d < w.scope_loads.size(); ++d) close_scope(core, d);
  w.active = false;
  Launch& L = launches_[w.launch];
  if (--L.cores_left == 0) {
    L.end = now_;
    part_running_[L.partition] = -1;
    if (stop_on_end_) stop_now_ = true;
    start_launch(L.partition);
  }
}

void Engine::handle(const Event& e) {
  switch (e.type) {
    case EV_ISSUE:
      cores_[e.core].issue_scheduled = false;
      try_issue(e.core);
      break;
    case EV_UNIT_FREE: {
      Core& core = cores_[e.core];
      if (e.a < p_.arrays) unit_try_start(e.core, core.arrays[e.a], (int)e.a);
      else unit_try_start(e.core, core.vec, p_.arrays);
      break;
    }
    case EV_INST_DONE:
      inst_done(e.a);
      break;
    case EV_DMA:
      cores_[e.core].dma[e.a].scheduled = false;
      dma_pump(e.core, (int)e.a);
      break;
    case EV_LAUNCH:
      start_launch((int)e.a);
      break;
  }
}

Tick Engine::run(Tick until) {
  Prof whole(p_.profile, prof_run_);
  stop_now_ = false;
  noc_dirty_ = mem_dirty_ = true;  // components may have been driven from outside since the last run
  while (error_.empty() && !stop_now_) {
    Tick tq = pq_.empty() ? kNever : pq_.top().t;
    Tick tn = noc_next(), tm = mem_next();
    Tick t = std::min(tq, std::min(tn, tm));
    if (t == kNever) {
      // Nothing can happen any more: any kernel still running is stuck (a lost response or a
      // dependency that can never resolve). Report it instead of returning an unfinished run.
      for (size_t p = 0; p < part_running_.size(); ++p) {
        if (part_running_[p] < 0) continue;
        const Launch& L = launches_[part_running_[p]];
        std::string who;
        for (int c = 0; c < p_.num_cores; ++c)
          if (cores_[c].w.active)
            who += " core " + std::to_string(c) + ": " + std::to_string(cores_[c].inflight) + " in flight, next node " +
                   std::to_string(cores_[c].w.held) + ";";
        error_ = "engine stalled in kernel '" + kernels_[L.kernel].name + "' at " + std::to_string(now_) + " ps:" + who;
        break;
      }
      break;
    }
    if (t > until) break;
    if (t > now_) now_ = t;
    // Only components with something due now are advanced (their next_event() is cached until a
    // try_send or advance changes it): idle or not-yet-due components cost nothing per event.
    mdone_.clear();
    n_steps_++;
    if (tm <= now_) {
      Prof pr(p_.profile, prof_mem_);
      mem_->advance(now_, mdone_);
      mem_dirty_ = true;
      n_mem_adv_++;
    }
    deliv_.clear();
    if (tn <= now_) {
      Prof pr(p_.profile, prof_noc_);
      noc_->advance(now_, deliv_);
      noc_dirty_ = true;
      n_noc_adv_++;
    }
    mem_reqs_ += (int64_t)mdone_.size();
    for (auto& m : mdone_) {
      Packet pk;
      pk.id = m.req.id;
      pk.src = p_.num_cores * p_.ports_per_core + m.req.channel;
      pk.dst = m.req.src * p_.ports_per_core + (m.req.channel % p_.ports_per_core);
      pk.bytes = m.req.is_write ? 0 : m.req.bytes;
      pk.is_response = 1;
      pk.req = m.req;
      auto& rq = resp_wait_[m.req.channel];
      if (!rq.empty() || !noc_send(pk)) { rq.push_back(pk); waiting_++; }
    }
    for (auto& d : deliv_) {
      if (d.pkt.is_response) { txn_done(d.pkt.req); continue; }
      auto& wq = mem_wait_[d.pkt.req.channel];
      MemRequest r = d.pkt.req;
      r.issue = now_;
      if (!wq.empty() || !mem_send(r)) { wq.push_back(r); waiting_++; }
    }
    for (int ch = 0; ch < nchan_ && waiting_ > 0; ++ch) {
      auto& wq = mem_wait_[ch];
      while (!wq.empty() && mem_send(wq.front())) { wq.pop_front(); waiting_--; }
      auto& rq = resp_wait_[ch];
      while (!rq.empty() && noc_send(rq.front())) { rq.pop_front(); waiting_--; }
    }
    if (!blocked_dma_.empty()) {
      std::vector<int> b;
      b.swap(blocked_dma_);
      for (int x : b) dma_pump(x / p_.dma_engines, x % p_.dma_engines);
    }
    while (!pq_.empty() && pq_.top().t <= now_ && error_.empty() && !stop_now_) {
      Event e = pq_.top();
      pq_.pop();
      n_events_++;
      handle(e);
    }
    bool waiting = !blocked_dma_.empty() || waiting_ > 0;
    if (waiting && pq_.empty() && noc_next() == kNever && mem_next() == kNever)
      error_ = "memory path deadlock: requests refused by an idle component";
  }
  return now_;
}

std::string Engine::stats_json() const {
  std::ostringstream o;
  auto cyc = [&](Tick t) { return (double)t / period_; };
  o << "{\"now_ps\":" << now_ << ",\"core_period_ps\":" << period_ << ",\"mem_transactions\":" << mem_reqs_
    << ",\"sparsity\":" << sparse_.json()
    << ",\"engine\":{\"steps\":" << n_steps_ << ",\"events\":" << n_events_ << ",\"mem_advances\":" << n_mem_adv_
    << ",\"noc_advances\":" << n_noc_adv_ << ",\"profile\":{\"run\":" << prof_run_ << ",\"memory\":" << prof_mem_
    << ",\"noc\":" << prof_noc_ << "}},\"tenant_bytes\":[";
  for (size_t i = 0; i < tenant_bytes_.size(); ++i) o << (i ? "," : "") << tenant_bytes_[i];
  o << "],\"cores\":[";
  for (size_t i = 0; i < cores_.size(); ++i) {
    const Core& c = cores_[i];
    o << (i ? "," : "") << "{\"arrays\":[";
    for (size_t a = 0; a < c.arrays.size(); ++a)
      o << (a ? "," : "") << "{\"busy_cycles\":" << cyc(c.arrays[a].busy_ps) << ",\"tiles\":" << c.arrays[a].count << "}";
    o << "],\"vector\":{\"busy_cycles\":" << cyc(c.vec.busy_ps) << ",\"ops\":" << c.vec.count << "},\"dma\":[";
    for (size_t d = 0; d < c.dma.size(); ++d) {
      Tick act = c.dma[d].active_ps + (c.dma[d].active_since >= 0 ? now_ - c.dma[d].active_since : 0);
      o << (d ? "," : "") << "{\"active_cycles\":" << cyc(act) << "}";
    }
    o << "],\"instructions\":{\"MOVIN\":" << c.n_movin << ",\"MOVOUT\":" << c.n_movout << ",\"COMP_GEMM\":" << c.n_gemm
      << ",\"COMP_VECTOR\":" << c.n_vec << ",\"COMP_PRELOAD\":" << c.n_preload << ",\"BAR\":" << c.n_wait
      << ",\"BARRIER\":" << c.n_bar << "},\"bytes_read\":" << c.bytes_rd << ",\"bytes_written\":" << c.bytes_wr
      << ",\"transactions\":" << c.txns << ",\"numa_local\":" << c.numa_local << ",\"numa_remote\":" << c.numa_remote
      << ",\"spad_peak_bytes\":" << c.spad_peak << "}";
  }
  o << "]}";
  return o.str();
}

}  // namespace npusim
