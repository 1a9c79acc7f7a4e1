// Cycle-level, event-driven DRAM controller + device model (Ramulator 2 semantics): per-bank state
// machines, JEDEC timing constraints, FR-FCFS/FCFS, open/closed row, refresh, write draining.
#pragma once
#include <algorithm>
#include <queue>
#include <string>
#include <vector>
#include "npusim/memory.hpp"
#include "dram_spec.hpp"
#include "acc_queue.hpp"
#include "pending_list.hpp"

// Private template members bind inside the library (no PLT hop; the -fPIC library exports only the API).
#define NPUSIM_DRAM_LOCAL __attribute__((visibility("hidden")))

namespace npusim {

class DramDevice final : public MemoryDevice {
 public:
  explicit DramDevice(const DramSpec& spec);
  int num_channels() override { return (int)spec_.channels; }
  bool try_send(const MemRequest& req, Tick now) override;
  // try_send of a request given by its fields (the others as in a default MemRequest), for trace replay.
  bool offer(int32_t channel, int64_t addr, int32_t bytes, int32_t is_write, int64_t id, Tick now);
  void advance(Tick until, std::vector<MemCompletion>& done) override;
  // advance() in two steps for callers that take completions in place (trace replay): run every channel's
  // decisions up to `until`, then pass each finished request to sink(const MemRequest&, Tick done) in the
  // order advance() would append it (channel by channel, reads then writes, each in completion order).
  void run_until(Tick until);
  template <class Sink> void collect(Tick until, Sink&& sink);
  // Lazy per-channel stepping for trace replay (channels are independent between arrivals): for a request of
  // `bytes` at `addr` refused by channel c, run c decision by decision until its queue has room, returning the
  // cycle of the decision that made it.
  int64_t run_until_room(int c, int64_t addr, int32_t bytes, int32_t is_write);
  // The offer loop of lazy trace replay (dram_replay.cpp) for requests i0 .. i1-1 (request i: channel[i],
  // local[i], is_write[i], `bytes`, id i), offered as fast as accepted: a channel runs to cycle U (now / tck)
  // only when offered a request (ran_to[c]: how far it ran), and a refused request's channel alone runs until
  // it has room, which moves U and now on. Counts refusals in `refused`. One call per chunk keeps offer()
  // and the channel stepping inlined (no call per request).
  void offer_lazy(const int64_t* channel, const int64_t* local, const int8_t* is_write, int64_t i0, int64_t i1,
                  int32_t bytes, int64_t* ran_to, int64_t& U, Tick& now, int64_t& refused);
  // True when the common policy's bank-set scheduler runs (FR-FCFS, open row, all-bank refresh, one rank,
  // at most 64 banks per channel, spec.fast_path).
  bool uses_fast_path() const { return fast_ != 0; }
  Tick next_event() override;
  double min_latency_ps() override;
  double peak_bytes_per_ps() override;
  std::string stats_json() override;

  // Global byte address -> (channel, channel-local address) following the address mapping's Ch field
  // (lowest bits above the access for RoBaRaCoCh/MOP4CLXOR, highest bits for ChRaBaRoCo). For replay.
  void map_global(int64_t addr, int64_t& channel, int64_t& local) const;
  // Decoded fields of a channel-local address: {pc, rank, bankgroup, bank, row, column}.
  std::vector<int64_t> decode(int64_t local) const;
  struct Fields { int64_t pc, rank, bg, bank, row, col; };
  Fields decode_fields(int64_t local) const;
  // Command log as flat records of 8 values: cycle, cmd (DramCmd), channel, pc, rank, bankgroup, bank, row.
  const std::vector<int64_t>& command_log() const { return log_; }
  int64_t command_log_len() const { return (int64_t)log_.size(); }
  int64_t pending_accesses() const;

 private:
  struct Access {
    int64_t seq;     // arrival order (FCFS age)
    Tick issue;      // the request's arrival time (its MemRequest::issue)
    int32_t parent;  // index in parents_
    int32_t row, bytes;  // bytes: the request's size
    int16_t is_write;
    int8_t kind;     // 0 untouched, 1 needed ACT (miss), 2 needed PRE (conflict)
    int8_t single;   // the request's only access: issue() completes it without reading the parent
  };
  struct Parent { MemRequest req; int64_t remaining; Tick done; };
  using HeapEnt = PendingEntry;
  struct ReadyEnt { int64_t key; int32_t bank, slot; };  // a bank's candidate of a slot and its priority
  struct alignas(64) Bank {  // fields read by every scheduling decision first (one cache line), queues last; two lines
    int32_t ver = 0;              // pending/ready entries of an older version are stale
    int32_t unit = 0, group = 0;  // owning unit and bank-group index within the channel (no divisions in hot paths)
    int active = 0;               // listed in Chan::active
    // Cached scheduler candidates of this bank, one per command slot (valid until the bank's queue/state or the
    // write mode changes): slot 0 the row command (ACT/PRE) of its oldest access that misses the open row, slot 1
    // the column command (RD/WR/RDA/WRA) of the active buffer's access, else of its oldest row hit. With one
    // shared command bus both compete for it.
    int cand_valid = 0, cand_mode = 0;
    int8_t cand_cmd[2] = {0, 0};
    int8_t in_ready[2] = {0, 0};  // slot listed in Chan::ready (else its candidate, if any, waits in Chan::heap)
    int16_t touched = 0;          // listed in Chan::touched (candidates must be recomputed)
    int32_t cand_acc[2] = {-1, -1};  // the candidate's access, -1 none
    int64_t cand_key[2] = {0, 0};    // scheduler priority, lower first (see prio())
    int64_t next_rd = 0, next_wr = 0, next_act = 0;
    int64_t next_pre = 0, next_refpb = 0;
    int64_t open_row = -1;
    int32_t active_pos = 0;       // index in Chan::active (O(1) removal)
    AccQueue rq, wq;              // access ids waiting for this bank, oldest first (linked through Chan::qnext)
  };
  static_assert(sizeof(Bank) == 128, "Bank: two cache lines");
  // The bank's own constraint on command cmd of the common policy (open row: ACT, PRE, RD or WR).
  static int64_t bank_bound(const Bank& bk, int cmd) {
    return cmd == kACT ? bk.next_act : cmd == kPRE ? bk.next_pre : cmd == kRD ? bk.next_rd : bk.next_wr;
  }
  struct Group { int64_t next_act = 0, next_rd = 0, next_wr = 0; };
  struct Unit {  // one pseudo-channel x rank: owns banks, tFAW window, refresh
    int64_t next_act = 0, next_rd = 0, next_wr = 0, next_refab = 0, next_refpb = 0;
    int64_t next_prea = 0;  // PREA: tRAS after the unit's last ACT, tRTP after its last RD, write recovery after its last WR
    int64_t faw[4] = {-(1LL << 40), -(1LL << 40), -(1LL << 40), -(1LL << 40)};
    int faw_pos = 0;
    int64_t ref_due = 0;   // next refresh due cycle
    int64_t ref_bank = 0;  // per-bank refresh: next bank (index within unit)
    int64_t open_banks = 0;
    int32_t first = 0;     // first unit of this unit's pseudo-channel (ranks share data-bus turnarounds)
  };
  struct Done { Tick time; int64_t parent; };
  struct ChanStats {
    int64_t reads = 0, writes = 0, bytes = 0, hits = 0, misses = 0, conflicts = 0;
    int64_t acts = 0, pres = 0, refs = 0, rd_cmds = 0, wr_cmds = 0, decisions = 0;
    int64_t read_lat = 0;  // ps, summed exactly
  };
  struct Chan {
    std::vector<Bank> banks;   // unit * banks_per_unit + bg * banks + bank
    std::vector<Group> groups; // unit * bankgroups + bg
    std::vector<Unit> units;
    std::vector<int32_t> active;  // banks with queued accesses (generic scheduler; the bank-set one: m_active)
    // FR-FCFS readiness set: (lower bound of the cycle the bank's candidate becomes legal, bank, version).
    // Timing constraints only grow, so a computed issue time stays a lower bound until the bank is touched.
    PendingList heap;
    // Fixed-capacity lists (no growth checks on the decision path), each listing a bank at most once: touched
    // banks, and the ready list: banks whose candidate is legal now or within kNearCycles, ordered by
    // scheduler priority (cand_key) so a decision stops at the first legal candidate of each command bus.
    std::vector<int32_t> touched;  // first ntouched entries
    std::vector<ReadyEnt> ready;   // first nready entries, cand_key ascending
    int32_t ntouched = 0, nready = 0;
    int heap_mode = 0;
    std::vector<Access> acc;   // access pool
    std::vector<int32_t> qnext;  // per pool slot: the next access id of its bank queue (AccQueue), -1 last
    std::vector<int32_t> free_acc;
    // Active buffer (Ramulator 2's m_active_buffer): per bank the access whose ACT opened the row, -1 none. It
    // has left its read/write queue (nread/nwrite), its column command is the bank's candidate in either mode
    // and comes before every other command, and no PRE (a refresh's included) closes the bank before it.
    std::vector<int32_t> act_acc;
    int64_t nread = 0, nwrite = 0;  // queued accesses
    int64_t nactive = 0;            // accesses in the active buffer (act_acc)
    int64_t next_row = 0, next_col = 0;  // command-bus availability
    int64_t next_decision = 0;     // next cycle at which decide() must run
    int64_t ref_min = 0;           // min over units of ref_due (no unit is due before it)
    int64_t last_issue = -1;       // last cycle a command issued (its decision is committed: arrivals join later)
    int write_mode = 0;
    // Completions in time order: reads (issue + nCL + nBL) and writes (issue + nCWL + nBL) each finish in
    // issue order, so two FIFOs per channel replace a global priority queue.
    std::vector<Done> fin[2];
    size_t fin_head[2] = {0, 0};
    ChanStats st;
    // Bank-set scheduler of the common policy (fast_). Bank masks: one bit per bank of the channel (at most
    // kColBase). Candidate masks: bit b for bank b's row-slot candidate, bit kColBase + b for its column-slot one.
    uint64_t m_act = 0, m_pre = 0, m_hit = 0;  // candidates that are an ACT / a PRE / a column command (RD or WR)
    uint64_t m_dirty = 0;                      // banks whose candidates must be recomputed before deciding
    uint64_t m_active = 0;                     // banks with queued accesses (Bank::active)
    uint64_t m_actbuf = 0;                     // banks with an access in the active buffer (act_acc)
    uint64_t m_actwr = 0;                      // those whose access is a write (its column command may be of
                                               // the other mode than the hits'; checked with its own bounds)
    // Timing wheel of the candidates' bank-level constraints: a candidate whose bt is at most wheel_t is in
    // m_ready, one due within kWheel cycles is in wheel[bt % kWheel] (slot s nonempty: bit s of wheel_occ), a
    // later one in m_far.
    static constexpr int kWheel = 64;
    uint64_t wheel[kWheel] = {};
    uint64_t wheel_occ = 0, m_ready = 0, m_far = 0;
    int64_t wheel_t = -1;
    int64_t bt[64];    // per candidate: its bank's own constraint on it (next_act/pre/rd/wr)
    int64_t ckey[64];  // per candidate: its prio() key
    int32_t ccmd[64], cacc[64];  // per candidate: its command and access
    // Bounds on ACT (0), RD (1), WR (2) per bank group (tRRD_L, tCCD_L, turnarounds: Group's next_*) and per
    // unit (tRRD_S with tFAW, tCCD_S, turnarounds: Unit's next_*), mirrored for the bank-set scheduler.
    int64_t gb[3][64];
    int64_t ub[3][64];
  };
  struct Cand { int64_t when; int cmd; int32_t bank; int32_t acc; int cls; int64_t seq; };  // cls, seq: see prio()
  // Best legal command per command bus chosen by one decision (key INT64_MAX: none).
  struct Pick {
    int64_t key[2] = {INT64_MAX, INT64_MAX};
    int cmd[2];                 // cmd, bank, acc of a bus: set with its key, read only when the key is set
    int32_t bank[2], acc[2];
    void offer(int slot, int64_t k, int c, int32_t b, int32_t a) {
      if (k < key[slot]) { key[slot] = k; cmd[slot] = c; bank[slot] = b; acc[slot] = a; }
    }
  };
  void consider(const Cand& k, int64_t T, int64_t& next, Pick& pick) const;
  __attribute__((noinline)) void refresh_pick(Chan& ch, int64_t T, int64_t& next, Pick& pick);
  __attribute__((noinline)) void fcfs_pick(Chan& ch, int64_t T, int wm, int64_t& next, Pick& pick);

  void run_channel(int c, int64_t until_cycle);
  // decide() and issue() are inlined into the decision loop (run_channel_body): no call/spill per decision
  template <int F> NPUSIM_DRAM_LOCAL __attribute__((always_inline)) inline int64_t decide(int c, int64_t T);  // issue what is legal at cycle T; returns the next decision cycle
  template <int F> NPUSIM_DRAM_LOCAL __attribute__((always_inline)) inline void issue(int c, int64_t T, int cmd, int32_t bank, int32_t acc);  // acc: the access (-1 for refresh work)
  // The bank's scheduler candidates for the write mode (cached until its queue or state changes); false if none.
  template <int F> bool bank_cand(Chan& ch, int32_t b, int write_mode) {
    const Bank& bk = ch.banks[b];
    if (bk.cand_valid && bk.cand_mode == write_mode) return std::max(bk.cand_acc[0], bk.cand_acc[1]) >= 0;
    return compute_cand<F>(ch, b, write_mode);
  }
  template <int F> NPUSIM_DRAM_LOCAL bool compute_cand(Chan& ch, int32_t b, int write_mode);
  bool append_cand(Chan& ch, Bank& bk, int32_t id);     // update valid candidates for an appended access; true if one changed
  static void set_cand(Bank& bk, int slot, int32_t acc, int cmd, int64_t key) {
    bk.cand_acc[slot] = acc; bk.cand_cmd[slot] = (int8_t)cmd; bk.cand_key[slot] = key;
  }
  // Access id's RD or WR as bank bk's column candidate, priority class cls (see prio())
  void set_col_cand(const Chan& ch, Bank& bk, int32_t id, int cls) const;
  // Closed-row policy: column command cmd (RD/WR) of access id auto-precharges (RDA/WRA) unless another
  // access queued at bank bk hits the same row.
  int closed_row_cmd(const Chan& ch, const Bank& bk, int32_t id, int cmd) const;
  // Bank-set scheduler: access id arrived at idle bank b (nothing else queued): its candidate for the mode the
  // masks hold (heap_mode) placed at once, as the next decision's mask_sync would (a mode switch re-syncs).
  NPUSIM_DRAM_LOCAL inline void idle_arrival(Chan& ch, int32_t b, int32_t id);
  void refresh_cands(Chan& ch, int u, std::vector<Cand>& out);
  // Earliest cycle command cmd of bank b (or bk) is legal, from the timing state.
  __attribute__((always_inline)) inline int64_t earliest(const Chan& ch, int cmd, int32_t b) const;
  __attribute__((always_inline)) inline int64_t earliest(const Chan& ch, int cmd, const Bank& bk) const;
  template <int M> __attribute__((always_inline)) inline Fields decode_inline(int64_t local) const;  // decode_fields, mapping M inlined
  struct Req { int64_t id, addr; int32_t bytes, is_write, channel; const MemRequest* full; };  // full: try_send's
  template <int M> NPUSIM_DRAM_LOCAL void offer_lazy_m(const int64_t* channel, const int64_t* local, const int8_t* is_write,
                                                     int64_t i0, int64_t i1, int32_t bytes, int64_t* ran_to, int64_t& U,
                                                     Tick& now, int64_t& refused);
  template <int M> NPUSIM_DRAM_LOCAL __attribute__((always_inline)) inline bool enqueue(const Req& req, Tick now);  // try_send / offer after the checks (inlined: the Req stays in registers)
  struct Loc { int32_t bank, row; };  // bank index within the channel and row of a channel-local address
  template <int M> __attribute__((always_inline)) inline Loc locate(int64_t local) const;
  void update_ref_min(Chan& ch);
  // run_channel only when the channel has work up to until_cycle (a decision due)
  void run_if_due(int c, int64_t until_cycle) {
    if (run_at_[c] <= until_cycle) run_channel(c, until_cycle);
  }
  template <int F> NPUSIM_DRAM_LOCAL void run_channel_body(int c, int64_t until_cycle);
  void sync(int c);  // refresh run_at_ / dec_at_ of channel c after its state changed
  void update_mode(Chan& ch);
  template <int F> NPUSIM_DRAM_LOCAL bool unit_blocked(const Chan& ch, int u, int32_t b, int64_t T) const;
  // Bank-set FR-FCFS decision of the common policy: the lowest-key legal candidate per command bus into
  // pick (row bus only if no refresh candidate holds it, and not a PRE of the column pick's bank); false if
  // none, with next = the earliest cycle one becomes legal. Same choices as the generic ready-list scheduler.
  template <int F> NPUSIM_DRAM_LOCAL __attribute__((always_inline)) inline bool mask_pick(Chan& ch, int64_t T, int wm, int64_t& next, Pick& pick);
  template <int F> void mask_sync(Chan& ch, int32_t b, int wm);  // bank b's candidates into the bank-set state
  // Candidate v (bank v % kColBase, slot v / kColBase) into the bank-set state: command cmd with bank-level bound t
  NPUSIM_DRAM_LOCAL inline void mask_place(Chan& ch, int32_t v, int cmd, int64_t t);
  NPUSIM_DRAM_LOCAL inline void mask_unplace(Chan& ch, int32_t v);                   // no candidate v
  NPUSIM_DRAM_LOCAL inline void mask_put(Chan& ch, int32_t v, int cmd, int64_t t);    // mask_place of an unplaced v
  NPUSIM_DRAM_LOCAL inline void mask_slot(Chan& ch, int32_t b, int slot);  // bank b's candidate of slot placed or unplaced
  static constexpr int kColBase = 32;  // candidate id of bank b's column-slot candidate: kColBase + b
  void group_bounds(Chan& ch, int u);           // gb / ub of unit u and its bank groups from the timing state
  // ub[0] of unit u (after an ACT or a REF); gb[0..2] of group g and ub[1..2] of unit u (after a RD or WR)
  NPUSIM_DRAM_LOCAL inline void act_bound(Chan& ch, int u) {
    const Unit& un = ch.units[u];
    ch.ub[0][u] = std::max(un.next_act, un.faw[un.faw_pos] + spec_.nFAW);
  }
  NPUSIM_DRAM_LOCAL inline void col_bounds(Chan& ch, int u, int g) {
    const Unit& un = ch.units[u];
    const Group& gp = ch.groups[g];
    ch.gb[1][g] = gp.next_rd; ch.gb[2][g] = gp.next_wr;
    ch.ub[1][u] = un.next_rd; ch.ub[2][u] = un.next_wr;
  }
  NPUSIM_DRAM_LOCAL __attribute__((always_inline)) inline void wheel_advance(Chan& ch, int64_t T);  // bt <= T into m_ready
  void far_advance(Chan& ch, int64_t T);  // m_far candidates now within the wheel (or due) onto it
  void touch(Chan& ch, int32_t b);

  // Controller policy as seen by the hot paths, instantiated three times: F = 1 (split command buses, HBM)
  // and F = 2 (one shared command bus, DDR4 / LPDDR5) are the common policy (FR-FCFS, open row, all-bank
  // refresh, one rank) with these flags as compile-time constants and the bank-set scheduler; F = 0 reads
  // them from spec_ (any policy) and uses the ready-list scheduler. Same decisions either way; fast_ picks.
  template <int F> int64_t refresh_() const { return F ? 0 : spec_.refresh; }
  template <int F> int64_t scheduler_() const { return F ? 0 : spec_.scheduler; }
  template <int F> int64_t row_policy_() const { return F ? 0 : spec_.row_policy; }
  template <int F> int64_t split_() const { return F == 1 ? 1 : F == 2 ? 0 : spec_.split_cmd_bus; }
  template <int F> int64_t ranks_() const { return F ? 1 : spec_.ranks; }

  DramSpec spec_;
  int fast_ = 0;  // the instance of the hot paths: 0 generic, 1 / 2 common policy with split / shared buses
  int bpu_;  // banks per unit
  int64_t wr_hi_, wr_lo_;  // write-drain thresholds in accesses: draining starts at wr_hi_ writes, stops at <= wr_lo_
  int rb_bits_, pc_bits_, rank_bits_, bg_bits_, bank_bits_, col_bits_, row_bits_;
  std::vector<Chan> ch_;
  std::vector<Parent> parents_;
  std::vector<int64_t> free_parents_;
  std::vector<int64_t> log_;
  std::vector<Cand> cands_;
  int64_t seq_ = 0;
  Tick last_done_ = 0;
  // Per-channel summaries, contiguous so advance() and next_event() skip idle channels cheaply:
  std::vector<int64_t> run_at_;  // first cycle run_channel has work (next_decision)
  std::vector<Tick> dec_at_;     // next decision time while accesses are queued, else kNever
  std::vector<Tick> fin_at_;     // earliest queued completion, else kNever
  Tick memo_now_ = -1;                  // try_send: last `now` seen and its first visible cycle
  int64_t memo_cycle_ = 0;
  int64_t rtw_ = 0, burst_ = 0;         // read-to-write turnaround, column-to-column spacing (tCK)
  int unit_bits_ = 0, bank_shift_ = 0, pc_shift_ = 0;  // bank index = unit << unit_bits_ | bg << bank_shift_ | bank
  uint64_t group_bits_ = 0, unit_mask_ = 0;  // bank bits of bank group 0 and of unit 0 (bank-set scheduler)
  uint64_t gmask_[64] = {}, umask_[64] = {};  // bank bits of each bank group / unit of a channel
  struct FieldPos { int64_t sh, mk; };  // a field is (address >> rb_bits_ >> sh) & mk
  FieldPos fp_[6] = {};                 // pc, rank, bankgroup, bank, row, column (MOP4CLXOR: low column bits)
  int64_t col_hi_sh_ = 0, col_hi_mk_ = 0, col_lo_bits_ = 0, xor_sh_[5] = {};  // MOP4CLXOR column split, XOR shifts (pc..bank, row)
  // tRRD_L <= tRRD_S: a bank group's ACT bound never exceeds its unit's (g.next_act <= un.next_act <= ub[0]),
  // so the bank-set scheduler checks ACT candidates against their unit's bound only (HBM2: both 4 tCK)
  bool act_unit_bound_only_ = false;
  bool incremental_cand_ = false;       // FR-FCFS + open row: arrivals update the cached candidates
  bool rowhit_ = false;                 // FRFCFS-RowHit: no PRE for an access younger than the bank's oldest row hit
};

template <class Sink>
void DramDevice::collect(Tick until, Sink&& sink) {
  const int nch = (int)ch_.size();
  for (int c = 0; c < nch; ++c) {
    if (fin_at_[c] > until) continue;
    Chan& ch = ch_[c];
    Tick next = kNever;
    for (int w = 0; w < 2; ++w) {
      std::vector<Done>& f = ch.fin[w];
      const Done* const d = f.data();
      const size_t n = f.size();
      size_t h = ch.fin_head[w];
      if (h == n) continue;  // empty FIFO
      for (; h < n && d[h].time <= until; ++h) {
        sink(parents_[d[h].parent].req, d[h].time);
        free_parents_.push_back(d[h].parent);
      }
      if (h == n) { f.clear(); h = 0; }
      else {
        if (d[h].time < next) next = d[h].time;
        // a FIFO that is never empty when collected (steady streaming) drops its consumed prefix once it
        // outgrows the live part, so it stays a few cache lines instead of growing with the trace
        if (h >= 64 && 2 * h >= n) { f.erase(f.begin(), f.begin() + (std::ptrdiff_t)h); h = 0; }
      }
      ch.fin_head[w] = h;
    }
    fin_at_[c] = next;
  }
}

}  // namespace npusim
