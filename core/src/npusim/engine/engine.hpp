// Event-driven multi-core TOG engine: lazily expands loop-compressed TOGs per core, issues tile
// instructions in order to systolic arrays / vector unit / DMA queues, and drives the memory path
// (DMA -> Interconnect -> MemoryDevice (L2 -> DRAM) -> Interconnect -> DMA) through kernel interfaces.
#pragma once
#include <cstdint>
#include <ctime>
#include <deque>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "npusim/compute.hpp"
#include "npusim/interconnect.hpp"
#include "npusim/memory.hpp"
#include "npusim/types.hpp"
#include "sparsity.hpp"

namespace npusim {

// Node table row layout (int64 fields per node), shared with engine/flatten.py.
enum NodeField : int {
  NF_TYPE = 0, NF_PARENT, NF_VAR, NF_START, NF_END, NF_STEP, NF_LOOPKIND, NF_FIRST_CHILD, NF_NEXT_SIBLING,
  NF_DIM_BEGIN, NF_DIM_COUNT, NF_OFF_BEGIN, NF_OFF_COUNT, NF_DEP_BEGIN, NF_DEP_COUNT, NF_BASE_ADDR,
  NF_ELEM_BYTES, NF_ASYNC, NF_TAG, NF_OP, NF_FLAGS, NF_CYCLES, NF_OVERLAP, NF_COUNT
};
enum NodeType : int { NT_LOOP = 0, NT_LOAD, NT_STORE, NT_GEMM, NT_VECTOR, NT_PRELOAD, NT_WAIT, NT_BARRIER };
enum LoopKind : int { LK_OUTER = 0, LK_ACCUM = 1, LK_INNER = 2 };

struct EngineParams {
  int num_cores = 1;
  double core_mhz = 940;
  int arrays = 2;
  int dma_engines = 2;
  int dma_max_outstanding = 128;
  int dma_bytes_per_cycle = 512;
  int64_t dma_latency_cycles = 0;  // core cycles from a DMA's last memory response to its completion
  int ports_per_core = 1;
  int issue_window = 64;
  int64_t spad_bytes = 16 << 20;
  int64_t interleave_bytes = 256;
  int interleave_ipoly = 1;
  int txn_bytes = 64;
  int numa_partitions = 1;
  int trace = 0;             // record a timeline
  Tick trace_window = 1000000;  // DRAM bandwidth counter window (ps)
  int profile = 0;           // measure host time spent in the memory device / NoC (stats "engine.profile")
};

// Host clock for the optional run-loop profile (EngineParams::profile): the TSC on x86-64, else monotonic ns.
inline int64_t profile_clock() {
#if defined(__x86_64__)
  return (int64_t)__builtin_ia32_rdtsc();
#else
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
#endif
}

// Adds the host time of its scope to `acc` when `on` (one branch when off).
struct Prof {
  int64_t* acc;
  int64_t t0;
  Prof(int on, int64_t& a) : acc(on ? &a : nullptr), t0(on ? profile_clock() : 0) {}
  ~Prof() { if (acc) *acc += profile_clock() - t0; }
};

struct TraceEvent { int32_t track; int32_t name; int64_t kernel; Tick start; Tick end; };

class Engine {
 public:
  Engine(EngineParams p, MemoryDevice* mem, Interconnect* noc, ComputeTiming* timing);
  // Register a flattened kernel; returns its id. Tables are row-major (NF_COUNT per node, 4 per dim:
  // size,stride,var,bound; 2 per offset: var,stride; 1 per dep).
  int add_kernel(const std::string& name, const std::vector<int64_t>& nodes, const std::vector<int64_t>& dims,
                 const std::vector<int64_t>& offs, const std::vector<int64_t>& deps, int nvars, int root_first);
  // Queue kernel `kernel` on the cores of `partition` (core -> partition map set by set_partition);
  // it starts at `at` or when the partition's previous kernel finished, whichever is later.
  // Returns the launch id.
  int64_t launch(int kernel, int partition, Tick at, int tenant);
  void set_partition(int core, int partition) { part_of_core_[core] = partition; }
  // Run until no work is left or simulated time would exceed `until`. Returns the current time.
  Tick run(Tick until);
  // When set, run() also returns right after any launch finishes (schedulers react to idle partitions).
  void set_stop_on_launch_end(bool on) { stop_on_end_ = on; }
  // True while partition p has a running kernel or queued launches.
  bool partition_busy(int p) const {
    return p < (int)part_queue_.size() && (part_running_[p] >= 0 || !part_queue_[p].empty());
  }
  bool idle() const;
  // L2 whose dirty lines are written back at the end of the run (nullptr: no cache / nothing to flush).
  void set_cache(CacheDevice* cache) { cache_ = cache; }
  // End-of-run flush: cache->flush(now) and run until the memory system is idle again. Returns the
  // write-backs queued; flush_ps() accumulates the time from each flush call to idle (not part of any
  // launch's span). Call only when no launch is running.
  int64_t flush_cache();
  int64_t flush_writebacks() const { return flush_wb_; }
  Tick flush_ps() const { return flush_ps_; }
  Tick now() const { return now_; }
  Tick core_period() const { return period_; }
  // Launch results: start/end ticks (end = -1 while running).
  Tick launch_start(int64_t id) const { return launches_[id].start; }
  Tick launch_end(int64_t id) const { return launches_[id].end; }
  // Systolic-array busy time summed over arrays (ps) and DMA bytes moved, per launch.
  Tick launch_array_busy(int64_t id) const { return launches_[id].array_busy; }
  int64_t launch_bytes(int64_t id) const { return launches_[id].bytes; }
  std::string stats_json() const;
  const std::vector<TraceEvent>& trace() const { return trace_; }
  const std::vector<int64_t>& dram_counters() const { return dram_ctr_; }  // (window, channel, bytes) triples
  std::string error() const { return error_; }
  // Zero-tile / sparse-GEMM overrides filled from operand data (see sparsity.hpp); empty = dense.
  SparsityTable& sparsity() { return sparse_; }

 private:
  struct Kernel {
    std::string name;
    std::vector<int64_t> nodes, dims, offs, deps;
    int nvars = 0, root_first = -1;
    std::vector<int> outer_nest;  // perfect nest of outer loops from the root (node indices)
    int body_first = -1;          // first node executed per outer iteration
    int64_t outer_total = 1;
    int64_t n(int node, int f) const { return nodes[(size_t)node * NF_COUNT + f]; }
  };
  struct Launch { int kernel; int partition; int tenant; Tick at; Tick start = -1; Tick end = -1; int cores_left = 0;
                  Tick array_busy = 0; int64_t bytes = 0; };
  struct Walker {
    bool active = false, done = true;  // active: has a kernel; done: walk finished (no more nodes)
    int held = -1;               // node fetched from the walk but not issued yet (blocked)
    int64_t launch = -1;
    int kernel = -1;
    int ncores = 1;
    int64_t outer_idx = 0;      // next flattened outer iteration assigned to this core
    bool in_body = false;
    std::vector<int64_t> vals;
    std::vector<int> stack;      // open (non-outer) loops, innermost last
    int cursor = -1;            // next node to issue in the current sibling list (-1: end of list)
    std::vector<std::vector<int64_t>> scope_loads;  // per stack depth: load instance slots to close
    std::vector<int64_t> last_inst;  // per node: pool slot of its most recent instance
    std::vector<int64_t> last_seq;   // per node: that instance's seq (a recycled slot has another seq)
  };
  struct Inst {
    int64_t seq = -1;
    int core = 0, node = 0, type = 0, unit = -1;
    int64_t launch = 0;
    int pending = 0;
    bool done = false, started = false;
    std::vector<int64_t> waiters;  // slots of instances waiting on me
    std::vector<int64_t> dep_loads; // load slots whose consumer refcount I hold
    // DMA
    std::vector<int64_t> ext, stride, idx;
    int64_t base = 0, elem = 0, run_pos = 0, txn_left = 0, bytes = 0;
    bool gen_done = false;
    int64_t cur_run = 0;  // byte address of the current contiguous run (base + indices . strides)
    int flags = 0, tag = -1;
    bool is_async = true;
    // spad buffer
    int64_t spad = 0;
    int consumers = 0;
    bool closed = false, freed = false;
    // compute
    int64_t a = 0, b = 0, c = 0;
    bool continues = false;  // GEMM: not the first step of its accumulation chain
    Tick start = 0;
  };
  struct Unit { std::deque<int64_t> q; Tick busy_until = 0; int64_t busy_ps = 0; int64_t count = 0; };
  struct DmaEngine { std::deque<int64_t> q; int outstanding = 0; Tick active_since = -1; int64_t active_ps = 0;
                     bool scheduled = false; Tick pump_tick = -1; int64_t pump_used = 0; };
  struct Core {
    std::vector<Unit> arrays;
    Unit vec;
    std::vector<DmaEngine> dma;
    Walker w;
    int inflight = 0;
    int64_t spad_used = 0, spad_peak = 0;
    std::vector<int> tag_outstanding;  // per DMA tag (dense ids from flatten): async DMAs in flight
    int64_t sync_wait = -1;      // slot of a synchronous DMA blocking issue
    bool issue_scheduled = false;
    int next_array = 0, next_dma = 0;
    std::vector<int> array_of_gemm;  // per node: array of the current accumulation chain
    // stats
    int64_t n_movin = 0, n_movout = 0, n_gemm = 0, n_vec = 0, n_preload = 0, n_bar = 0, n_wait = 0;
    int64_t bytes_rd = 0, bytes_wr = 0, numa_local = 0, numa_remote = 0, txns = 0;
  };
  struct Event { Tick t; int64_t seq; int type; int core; int64_t a;
                 bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; } };
  enum EvType { EV_ISSUE = 0, EV_UNIT_FREE, EV_INST_DONE, EV_DMA, EV_LAUNCH };

  void push(Tick t, int type, int core, int64_t a);
  void schedule_issue(int c, Tick t);
  void handle(const Event& e);
  void start_launch(int p);
  void try_issue(int c);
  bool walker_next(int c, int& node);  // next node in program order; false when the walk is over
  void close_scope(Core& core, size_t depth);
  int64_t new_inst();
  void issue_node(int c, int node);
  void unit_try_start(int c, Unit& u, int unit_id);
  void dma_pump(int c, int e);
  void inst_done(int64_t slot);
  void finish_dma(int c, int64_t slot);
  void release_load(int64_t slot);
  void maybe_free(int64_t slot);
  void txn_done(const MemRequest& r);
  void map_channel(int64_t addr, int32_t& ch, int64_t& local) const;
  void finish_walker(int c);
  TileTiming timing_of(const Kernel& k, int node, const Inst& in);
  bool sparse_lookup(const Walker& w, const Kernel& k, int node, TileTiming& out) const;
  // Memory-path calls that keep the cached next_event() of the NoC / memory device up to date.
  // With p_.profile, the host time spent inside the NoC / memory device is accumulated (Prof).
  bool noc_send(const Packet& pk) { Prof pr(p_.profile, prof_noc_); noc_dirty_ = true; return noc_->try_send(pk, now_); }
  bool mem_send(const MemRequest& r) { Prof pr(p_.profile, prof_mem_); mem_dirty_ = true; return mem_->try_send(r, now_); }
  Tick noc_next() {
    if (noc_dirty_) { Prof pr(p_.profile, prof_noc_); tn_ = noc_->next_event(); noc_dirty_ = false; }
    return tn_;
  }
  Tick mem_next() {
    if (mem_dirty_) { Prof pr(p_.profile, prof_mem_); tm_ = mem_->next_event(); mem_dirty_ = false; }
    return tm_;
  }
  int64_t extent(const Kernel& k, int64_t dim_row, const std::vector<int64_t>& vals) const;

  EngineParams p_;
  MemoryDevice* mem_;
  CacheDevice* cache_ = nullptr;
  int64_t flush_wb_ = 0;
  Tick flush_ps_ = 0;
  Interconnect* noc_;
  ComputeTiming* timing_;
  Tick period_;
  Tick now_ = 0;
  int64_t ev_seq_ = 0, inst_seq_ = 0, req_seq_ = 0;
  int nchan_;
  int ib_shift_ = -1, ch_bits_ = -1;  // log2 of interleave_bytes / channel count (-1: not a power of two)
  int64_t txn_mask_ = -1;             // txn_bytes - 1 when txn_bytes is a power of two, else -1
  std::vector<int> chan_part_, chan_port_, core_part_;  // NUMA partition / core port of a channel, partition of a core
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> pq_;
  std::vector<Kernel> kernels_;
  std::vector<Launch> launches_;
  std::vector<std::deque<int64_t>> part_queue_;
  std::vector<int64_t> part_running_;
  std::vector<int> part_of_core_;
  std::vector<Core> cores_;
  std::vector<Inst> pool_;
  std::vector<int64_t> free_;
  std::vector<std::deque<MemRequest>> mem_wait_;   // delivered to memory node, refused by memory
  std::vector<std::deque<Packet>> resp_wait_;      // responses refused by the NoC
  std::vector<int> blocked_dma_;                   // (core*dma_engines+e) refused by the NoC
  int64_t waiting_ = 0;                            // entries in mem_wait_ + resp_wait_
  Tick tn_ = kNever, tm_ = kNever;                 // cached next_event() of the NoC / memory device
  bool noc_dirty_ = true, mem_dirty_ = true;       // cache invalid (sent to or advanced since)
  int64_t n_steps_ = 0, n_events_ = 0, n_mem_adv_ = 0, n_noc_adv_ = 0;  // run-loop work counters
  int64_t prof_run_ = 0, prof_mem_ = 0, prof_noc_ = 0;  // host time (profile_clock units) in run / memory / NoC
  std::unordered_map<uint64_t, TileTiming> tcache_;
  std::vector<MemCompletion> mdone_;
  std::vector<PacketDelivery> deliv_;
  std::vector<TraceEvent> trace_;
  std::vector<int64_t> dram_ctr_;
  std::unordered_map<int64_t, int64_t> ctr_index_;
  std::string error_;
  int64_t mem_reqs_ = 0;
  bool stop_on_end_ = false, stop_now_ = false;
  std::vector<int64_t> tenant_bytes_;  // DMA bytes moved per tenant
  SparsityTable sparse_;
};

}  // namespace npusim
