// Event-driven DRAM controller + device: every decision point issues what is legal at that cycle and
// otherwise jumps to the earliest cycle at which the best candidate of any bank becomes legal.
#include "dram_device.hpp"
#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace npusim {

namespace {
constexpr int64_t kFar = INT64_MAX / 4;  // "no decision pending" in cycles
constexpr int64_t kNearCycles = 8;       // banks legal within this many cycles stay in the ready list
int log2i(int64_t v) { int b = 0; while ((int64_t(1) << b) < v) ++b; return b; }
inline void upd(int64_t& slot, int64_t v) { if (v > slot) slot = v; }
inline int64_t take(int64_t& a, int bits) { int64_t v = a & ((int64_t(1) << bits) - 1); a >>= bits; return v; }
// Field-by-field request copy: the caller builds requests with scalar stores, and a block copy (16-byte
// moves) right after them stalls on store-to-load forwarding.
inline void copy_request(MemRequest& d, const MemRequest& s) {
  d.id = s.id; d.addr = s.addr; d.bytes = s.bytes; d.is_write = s.is_write; d.src = s.src; d.channel = s.channel;
  d.tenant = s.tenant; d.flags = s.flags; d.issue = s.issue; d.owner = s.owner;
}
// Scheduler priority as one key, lower first: the active buffer's column commands (class 3), refresh work (2),
// then every other request's command (0), each oldest first (seq; refresh candidates carry seq -1). Ramulator
// 2.1's FRFCFS: of the commands that are ready, the oldest request's (active buffer, then priority buffer, then
// the read or write buffer); with separate row and column buses one such pick per bus.
inline int64_t prio(int cls, int64_t seq) { return ((int64_t)(2 - cls) << 56) + seq + 1; }
}  // namespace

DramDevice::DramDevice(const DramSpec& s) : spec_(s) {
  if (s.channels <= 0 || s.pcs <= 0 || s.ranks <= 0 || s.bankgroups <= 0 || s.banks <= 0 || s.rows <= 0 ||
      s.columns <= 0 || s.req_bytes <= 0 || s.tck_ps <= 0 || s.rq_size <= 0 || s.wq_size <= 0 || s.act_cycles <= 0)
    throw std::invalid_argument("DramSpec: organisation sizes, req_bytes, tck_ps, queue sizes and act_cycles must be > 0");
  bpu_ = (int)(s.bankgroups * s.banks);
  {  // write-drain thresholds in whole accesses: nwrite > wr_high * wq_size and nwrite < wr_low * wq_size, with
     // Ramulator 2's float arithmetic (its watermarks are floats multiplied by the buffer size)
    const float hi = (float)s.wr_high * (float)s.wq_size, lo = (float)s.wr_low * (float)s.wq_size;
    wr_hi_ = 0;
    while ((float)wr_hi_ <= hi) ++wr_hi_;  // the fewest writes that start draining
    wr_hi_ = std::max<int64_t>(1, wr_hi_);
    wr_lo_ = -1;
    while ((float)(wr_lo_ + 1) < lo) ++wr_lo_;  // the most writes at which draining stops (-1: only when empty)
  }
  pc_bits_ = log2i(s.pcs); rank_bits_ = log2i(s.ranks); bg_bits_ = log2i(s.bankgroups);
  bank_bits_ = log2i(s.banks); rb_bits_ = log2i(s.req_bytes); col_bits_ = log2i(s.columns); row_bits_ = log2i(s.rows);
  if ((int64_t(1) << rb_bits_) != s.req_bytes || (int64_t(1) << pc_bits_) != s.pcs ||
      (int64_t(1) << rank_bits_) != s.ranks || (int64_t(1) << bg_bits_) != s.bankgroups ||
      (int64_t(1) << bank_bits_) != s.banks || (int64_t(1) << col_bits_) != s.columns ||
      (int64_t(1) << row_bits_) != s.rows)
    throw std::invalid_argument("DramSpec: req_bytes and organisation sizes must be powers of two");
  rtw_ = s.nCL + s.nBL + 2 - s.nCWL;  // read-to-write turnaround (JESD235 / Ramulator 2)
  burst_ = std::max(s.nCCDS, s.nBL);
  unit_bits_ = bg_bits_ + bank_bits_;
  incremental_cand_ = s.scheduler != 1 && s.row_policy == 0;
  rowhit_ = s.scheduler == 2;
  // group_ok: g.next_act only grows by ACTs of the group (T + nRRDL), un.next_act by the same ACTs (T + nRRDS)
  // and by refreshes, so with nRRDL <= nRRDS the group's ACT bound is covered by the unit's
  act_unit_bound_only_ = s.nRRDL <= s.nRRDS;
  if (s.scheduler < 0 || s.scheduler > 2) throw std::invalid_argument("DramSpec: scheduler must be 0 (FRFCFS), 1 (FCFS) or 2 (FRFCFS-RowHit)");
  const bool common = s.scheduler != 1 && s.row_policy == 0 && s.refresh == 0 && s.ranks == 1 && s.fast_path != 0 &&
                      s.pcs * bpu_ <= kColBase;  // candidate sets are 64-bit masks: a row and a column half
  fast_ = !common ? 0 : s.split_cmd_bus ? 1 : 2;
  group_bits_ = (uint64_t(1) << s.banks) - 1;
  unit_mask_ = bpu_ >= 64 ? ~uint64_t(0) : (uint64_t(1) << bpu_) - 1;
  if (fast_) {
    for (int64_t g = 0; g < s.pcs * s.bankgroups; ++g) gmask_[g] = group_bits_ << (g * s.banks);
    for (int64_t u = 0; u < s.pcs; ++u) umask_[u] = unit_mask_ << (u * bpu_);
  }
  bank_shift_ = bank_bits_;
  pc_shift_ = rank_bits_ + unit_bits_;
  {  // field positions in (address >> rb_bits_) per mapping, LSB first (see decode_inline)
    const int bits[6] = {pc_bits_, rank_bits_, bg_bits_, bank_bits_, row_bits_, col_bits_};
    const int lo = std::min(2, col_bits_);
    int order[6] = {5, 0, 1, 2, 3, 4};                                // RoBaRaCoCh: Co Pc Ra Bg Ba Ro
    if (s.mapping == 1) { const int o[6] = {5, 4, 3, 2, 1, 0}; std::copy(o, o + 6, order); }  // Co Ro Ba Bg Ra Ch
    if (s.mapping == 2) { const int o[6] = {5, 0, 1, 2, 3, 4}; std::copy(o, o + 6, order); }  // Co[lo] Ch Ra Bg Ba Co[hi] Ro
    int at = 0;
    for (int k = 0; k < 6; ++k) {
      const int f = order[k];
      const int w = s.mapping == 2 && f == 5 ? lo : bits[f];
      fp_[f].sh = at;
      fp_[f].mk = (int64_t(1) << w) - 1;
      at += w;
      if (s.mapping == 2 && f == 3) { col_hi_sh_ = at; at += col_bits_ - lo; }
    }
    if (s.mapping == 2) {
      fp_[5].sh = col_hi_sh_;  // low column bits: a & fp_[5].mk; high ones: (a >> fp_[5].sh) & col_hi_mk_
      col_lo_bits_ = lo;
      col_hi_mk_ = (int64_t(1) << (col_bits_ - lo)) - 1;
      int x = 0;
      for (int f = 0; f < 4; ++f) { xor_sh_[f] = x; x += bits[f]; }
      xor_sh_[4] = x;  // the row takes the column bits left over (Ramulator's loop runs over every level below the column)
    }
  }
  ch_.resize(s.channels);
  const int64_t units = s.pcs * s.ranks;
  for (auto& ch : ch_) {
    ch.banks.resize(units * bpu_);
    for (int64_t b = 0; b < units * bpu_; ++b) {
      ch.banks[b].unit = (int32_t)(b / bpu_);
      ch.banks[b].group = (int32_t)(ch.banks[b].unit * s.bankgroups + (b % bpu_) / s.banks);
    }
    ch.groups.resize(units * s.bankgroups);
    ch.units.resize(units);
    ch.touched.resize(units * bpu_);
    ch.ready.resize(2 * units * bpu_);  // a row-slot and a column-slot candidate per bank
    ch.act_acc.assign(units * bpu_, -1);
    // steady-state capacities up front (no regrowth copies or first-touch page faults mid-run)
    ch.acc.reserve(s.rq_size + s.wq_size);
    ch.qnext.reserve(s.rq_size + s.wq_size);
    ch.free_acc.reserve(s.rq_size + s.wq_size);
    ch.active.reserve(units * bpu_);
    for (auto& f : ch.fin) f.reserve(128);
    for (int64_t u = 0; u < units; ++u) {
      // all-bank: every unit refreshes every tREFI; per-bank: one REFpb per tREFIpb for the whole channel, bank by
      // bank in (unit, bank) order (Ramulator 2.1 PerBank: tREFIpb = tREFI / the channel's banks), unit 0 first.
      // The first is due at edge tREFI(pb) - 1: Ramulator's refresh managers fire at controller clock tREFI(pb),
      // its tick counted from 1, and Ramulator clock c is npusim edge c - 1 (tests/test_vs_ramulator2.py).
      ch.units[u].ref_due = s.refresh == 1 ? (u == 0 ? s.nREFIpb - 1 : kFar) : s.nREFI - 1;
      ch.units[u].first = (int32_t)(u / s.ranks * s.ranks);
    }
    ch.ref_min = ch.units[0].ref_due;
    std::fill(ch.bt, ch.bt + 64, kFar);
    std::fill(ch.ckey, ch.ckey + 64, INT64_MAX);
    ch.next_decision = s.refresh == 2 ? kFar : ch.units[0].ref_due;
  }
  parents_.reserve(s.channels * (s.rq_size + s.wq_size) * 2);
  free_parents_.reserve(s.channels * (s.rq_size + s.wq_size) * 2);
  run_at_.assign(s.channels, kFar);
  dec_at_.assign(s.channels, kNever);
  fin_at_.assign(s.channels, kNever);
  for (int c = 0; c < (int)s.channels; ++c) {
    sync(c);
    for (int64_t u = 0; u < units; ++u) group_bounds(ch_[c], (int)u);
  }
}

std::vector<int64_t> DramDevice::decode(int64_t local) const {
  Fields f = decode_fields(local);
  return {f.pc, f.rank, f.bg, f.bank, f.row, f.col};
}

template <int M>
inline DramDevice::Fields DramDevice::decode_inline(int64_t local) const {
  int64_t a = local >> rb_bits_;
  int64_t pc = 0, rank = 0, bg = 0, bank = 0, col = 0, row = 0;
  // all organisation sizes are powers of two (checked in Python), so fields are masks and shifts
  if (M == 0) {  // RoBaRaCoCh (Ramulator 2 ro_ba_ra_co_ch / linear_mappers): the channel is the lowest field of the
    // global address (map_global); within the channel LSB first Co, then the levels below the channel in order
    // (Pc, Ra, Bg, Ba) and Ro
    col = take(a, col_bits_); pc = take(a, pc_bits_); rank = take(a, rank_bits_);
    bg = take(a, bg_bits_); bank = take(a, bank_bits_); row = a;
  } else if (M == 1) {  // ChRaBaRoCo: LSB Co, Ro, Ba, Bg, Ra, Ch
    col = take(a, col_bits_); row = take(a, row_bits_); bank = take(a, bank_bits_);
    bg = take(a, bg_bits_); rank = take(a, rank_bits_); pc = take(a, pc_bits_);
  } else {  // MOP4CLXOR: LSB Co[1:0], Ch, Ra, Bg, Ba, Co[rest], Ro; Ch..Ba and then Ro XORed with consecutive column
    // bits (Ramulator 2.0 / 2.1 mop4clxor: the XOR runs over every level below the column, so the row takes the
    // column bits the others leave: none for HBM2's 32 columns, the top 3 of DDR4's 128 64-B columns)
    int lo = std::min(2, col_bits_);
    col = take(a, lo);
    pc = take(a, pc_bits_); rank = take(a, rank_bits_); bg = take(a, bg_bits_); bank = take(a, bank_bits_);
    col |= take(a, col_bits_ - lo) << lo;
    row = a;
    int x = 0;
    auto mix = [&](int64_t& f, int bits) { if (bits > 0) { f ^= (col >> x) & ((int64_t(1) << bits) - 1); x += bits; } };
    mix(pc, pc_bits_); mix(rank, rank_bits_); mix(bg, bg_bits_); mix(bank, bank_bits_); mix(row, row_bits_);
  }
  return Fields{pc & (spec_.pcs - 1), rank & (spec_.ranks - 1), bg & (spec_.bankgroups - 1),
                bank & (spec_.banks - 1), row & (spec_.rows - 1), col & (spec_.columns - 1)};
}

template <int M>
inline DramDevice::Loc DramDevice::locate(int64_t local) const {
  // decode_inline's fields with the shifts and masks precomputed (fp_), combined into the bank index
  const int64_t a = local >> rb_bits_;
  int64_t pc = (a >> fp_[0].sh) & fp_[0].mk, rank = (a >> fp_[1].sh) & fp_[1].mk;
  int64_t bg = (a >> fp_[2].sh) & fp_[2].mk, bank = (a >> fp_[3].sh) & fp_[3].mk;
  int64_t row = (a >> fp_[4].sh) & fp_[4].mk;
  if (M == 2) {  // MOP4CLXOR: Ch..Ba XORed with consecutive column bits
    const int64_t col = (a & fp_[5].mk) | (((a >> fp_[5].sh) & col_hi_mk_) << col_lo_bits_);
    pc ^= (col >> xor_sh_[0]) & fp_[0].mk; rank ^= (col >> xor_sh_[1]) & fp_[1].mk;
    bg ^= (col >> xor_sh_[2]) & fp_[2].mk; bank ^= (col >> xor_sh_[3]) & fp_[3].mk;
    row ^= (col >> xor_sh_[4]) & fp_[4].mk;
  }
  return Loc{(int32_t)((pc << pc_shift_) | (rank << unit_bits_) | (bg << bank_shift_) | bank), (int32_t)row};
}

DramDevice::Fields DramDevice::decode_fields(int64_t local) const {
  return spec_.mapping == 0 ? decode_inline<0>(local) : spec_.mapping == 1 ? decode_inline<1>(local) : decode_inline<2>(local);
}

void DramDevice::map_global(int64_t addr, int64_t& channel, int64_t& local) const {
  const int64_t rb = spec_.req_bytes, C = spec_.channels;
  int64_t a = addr / rb, off = addr % rb;
  if (spec_.mapping == 1) {
    int64_t K = spec_.pcs * spec_.ranks * spec_.bankgroups * spec_.banks * spec_.rows * spec_.columns;
    channel = (a / K) % C;
    local = (a % K) * rb + off;
  } else {
    int lo = spec_.mapping == 2 ? std::min(2, col_bits_) : 0;
    int64_t low = a & ((int64_t(1) << lo) - 1), hi = a >> lo;
    channel = hi % C;
    local = (((hi / C) << lo) | low) * rb + off;
  }
}

int64_t DramDevice::pending_accesses() const {
  int64_t n = 0;
  for (auto& c : ch_) n += c.nread + c.nwrite + c.nactive;
  return n;
}

bool DramDevice::try_send(const MemRequest& req, Tick now) {
  if (req.channel < 0 || req.channel >= spec_.channels)
    throw std::out_of_range("DramDevice::try_send: channel out of range");
  if (req.bytes <= 0) throw std::invalid_argument("DramDevice::try_send: bytes must be > 0");
  const Req r{req.id, req.addr, req.bytes, req.is_write, req.channel, &req};
  return spec_.mapping == 0 ? enqueue<0>(r, now) : spec_.mapping == 1 ? enqueue<1>(r, now) : enqueue<2>(r, now);
}

bool DramDevice::offer(int32_t channel, int64_t addr, int32_t bytes, int32_t is_write, int64_t id, Tick now) {
  if (channel < 0 || channel >= spec_.channels) throw std::out_of_range("DramDevice::offer: channel out of range");
  if (bytes <= 0) throw std::invalid_argument("DramDevice::offer: bytes must be > 0");
  const Req r{id, addr, bytes, is_write, channel, nullptr};
  return spec_.mapping == 0 ? enqueue<0>(r, now) : spec_.mapping == 1 ? enqueue<1>(r, now) : enqueue<2>(r, now);
}

template <int M>
bool DramDevice::enqueue(const Req& req, Tick now) {
  Chan& ch = ch_[req.channel];
  // The controller samples its request queues on its own clock edges: a request offered at time `now` joins
  // at the first DRAM clock edge A >= now and is considered from that edge's scheduling decision on. If the
  // channel already issued a command at A (the kernel offers requests at `now` after advancing devices to
  // `now`), the decision of edge A is committed without it and the request is considered from the next
  // edge: a decided cycle is never re-run (as in Ramulator 2, where the frontend's request is seen by the
  // controller's tick() of the next cycle). The rule depends on issued commands only, not on which idle
  // cycles the event-driven scheduler happened to visit.
  if (now != memo_now_) { memo_now_ = now; memo_cycle_ = (now + spec_.tck_ps - 1) / spec_.tck_ps; }
  int64_t A = memo_cycle_;
  if (A <= ch.last_issue) A = ch.last_issue + 1;
  run_if_due(req.channel, A - 1);
  const int64_t first = req.addr >> rb_bits_, last = (req.addr + req.bytes - 1) >> rb_bits_;
  const int64_t nacc = last - first + 1;
  int64_t& queued = req.is_write ? ch.nwrite : ch.nread;
  const int64_t cap = req.is_write ? spec_.wq_size : spec_.rq_size;
  if (queued > 0 && queued + nacc > cap) return false;
  int64_t p;
  if (!free_parents_.empty()) { p = free_parents_.back(); free_parents_.pop_back(); }
  else { p = (int64_t)parents_.size(); parents_.emplace_back(); }
  MemRequest& pq = parents_[p].req;
  if (req.full) {
    copy_request(pq, *req.full);
  } else {  // offer(): the other fields as a default MemRequest has them
    pq.id = req.id; pq.addr = req.addr; pq.bytes = req.bytes; pq.is_write = req.is_write; pq.src = 0;
    pq.channel = req.channel; pq.tenant = 0; pq.flags = 0; pq.owner = 0;
  }
  pq.issue = now;
  parents_[p].remaining = nacc;
  parents_[p].done = 0;
  for (int64_t i = 0; i < nacc; ++i) {
    const Loc f = locate<M>((first + i) << rb_bits_);
    const int32_t bank = f.bank;
    int32_t id;
    if (!ch.free_acc.empty()) { id = ch.free_acc.back(); ch.free_acc.pop_back(); }
    else { id = (int32_t)ch.acc.size(); ch.acc.emplace_back(); ch.qnext.push_back(-1); }
    Access& x = ch.acc[id];  // filled in place (no stack copy: see append_entry)
    x.seq = seq_++;
    x.parent = (int32_t)p;
    x.row = f.row;
    x.is_write = req.is_write ? 1 : 0;
    x.kind = 0;
    x.single = nacc == 1;
    x.bytes = req.bytes;
    x.issue = now;
    Bank& bk = ch.banks[bank];
    (x.is_write ? bk.wq : bk.rq).push_back(id, ch.qnext.data());
    // The bank is re-examined (touched) only if its candidates may have changed: an unchanged candidate keeps
    // its place in the ready or pending list.
    // A bank holding an active-buffer access keeps it as its only candidate (a pending recompute was already
    // requested by whatever invalidated it).
    const bool forced = ch.act_acc[bank] >= 0;
    if (fast_) {  // bank-set scheduler: an idle bank's candidate is this access; else re-examined at the next decision
      if (!bk.active) idle_arrival(ch, bank, id);
      else if (!forced && (!bk.cand_valid || (bk.cand_mode == x.is_write && append_cand(ch, bk, id))))
        ch.m_dirty |= uint64_t(1) << bank;
    } else if (forced) {
    } else if (!incremental_cand_ || !bk.cand_valid) { bk.cand_valid = 0; touch(ch, bank); }
    else if (bk.cand_mode == x.is_write && append_cand(ch, bk, id)) touch(ch, bank);
    // else: the other queue's candidate stands
    if (!bk.active) {
      bk.active = 1;
      ch.m_active |= uint64_t(1) << bank;
      if (!fast_) { bk.active_pos = (int32_t)ch.active.size(); ch.active.push_back(bank); }
    }
  }
  queued += nacc;
  ch.next_decision = std::min(ch.next_decision, A);
  run_at_[req.channel] = ch.next_decision;  // sync(): accesses are queued and a decision is due
  dec_at_[req.channel] = ch.next_decision * spec_.tck_ps;
  return true;
}

void DramDevice::sync(int c) {
  const Chan& ch = ch_[c];
  run_at_[c] = ch.next_decision;
  dec_at_[c] = (ch.nread + ch.nwrite + ch.nactive > 0 && ch.next_decision < kFar) ? ch.next_decision * spec_.tck_ps : kNever;
}

void DramDevice::run_channel(int c, int64_t until_cycle) {
  if (fast_ == 1) run_channel_body<1>(c, until_cycle);
  else if (fast_ == 2) run_channel_body<2>(c, until_cycle);
  else run_channel_body<0>(c, until_cycle);
  sync(c);
}

template <int F>
void DramDevice::run_channel_body(int c, int64_t until_cycle) {
  Chan& ch = ch_[c];
  if (ch.next_decision > until_cycle) return;  // idle channels keep next_decision at their next refresh
  if (refresh_<F>() != 2 && ch.nread + ch.nwrite + ch.nactive == 0 && !spec_.log_commands) {
    // Idle fast-forward: with no requests and all banks closed, refreshes repeat identically; skip
    // all but the last two intervals (simulated exactly below). Their constraints (tRFC < 2 tREFI) have
    // expired by then, so the state matches step-by-step simulation; with the command log on, every
    // refresh is simulated, so the log is complete however the caller steps the device.
    const int64_t iv = refresh_<F>() == 1 ? spec_.nREFIpb : spec_.nREFI;
    const int64_t a = spec_.act_cycles - 1;  // REF -> ACT ends at the ACT's last cycle (see issue())
    if (refresh_<F>() == 0) {
      for (auto& u : ch.units) {
        if (u.open_banks != 0 || u.ref_due + 3 * iv > until_cycle) continue;
        int64_t k = (until_cycle - u.ref_due) / iv - 2;
        if (k <= 0) continue;
        u.ref_due += k * iv;
        ch.st.refs += k;
        int64_t L = u.ref_due - iv;  // last skipped refresh (issued exactly when due: banks were closed)
        upd(u.next_act, L + spec_.nRFC - a); upd(u.next_refab, L + spec_.nRFC); upd(u.next_refpb, L + spec_.nRFC);
      }
    } else {  // per-bank: the channel's one sequence of REFpbs moves on k steps, across units
      const int nu = (int)ch.units.size();
      int cur = 0;
      bool closed = true;
      for (int u = 0; u < nu; ++u) {
        if (ch.units[u].ref_due < ch.units[cur].ref_due) cur = u;
        closed = closed && ch.units[u].open_banks == 0;
      }
      const int64_t due = ch.units[cur].ref_due;
      const int64_t k = closed && due + 3 * iv <= until_cycle ? (until_cycle - due) / iv - 2 : 0;
      if (k > 0) {
        const int64_t n = (int64_t)nu * bpu_, g = cur * bpu_ + ch.units[cur].ref_bank;
        Unit& last = ch.units[((g + k - 1) % n) / bpu_];  // the unit of the last skipped REFpb, at due + (k-1) iv
        const int64_t L = due + (k - 1) * iv;
        upd(last.next_act, L + spec_.nRREFD - a); upd(last.next_refpb, L + spec_.nRREFD);
        for (auto& u : ch.units) { u.ref_due = kFar; u.ref_bank = 0; }  // a unit the sequence left starts over
        Unit& nxt = ch.units[((g + k) % n) / bpu_];
        nxt.ref_due = due + k * iv;
        nxt.ref_bank = (g + k) % bpu_;
        ch.st.refs += k;
      }
    }
    update_ref_min(ch);
    if (F) for (int u = 0; u < (int)ch.units.size(); ++u) group_bounds(ch, u);
    ch.next_decision = std::min(ch.next_decision, ch.ref_min);
  }
  while (ch.next_decision <= until_cycle) ch.next_decision = decide<F>(c, ch.next_decision);
}

int64_t DramDevice::run_until_room(int c, int64_t addr, int32_t bytes, int32_t is_write) {
  Chan& ch = ch_[c];
  const int64_t nacc = ((addr + bytes - 1) >> rb_bits_) - (addr >> rb_bits_) + 1;
  const int64_t& queued = is_write ? ch.nwrite : ch.nread;
  const int64_t cap = is_write ? spec_.wq_size : spec_.rq_size;
  // room appears only when a decision issues a column command of this queue (enqueue's admission rule)
  if (fast_) {  // decision by decision (no idle fast-forward: accesses are queued)
    while (queued > 0 && queued + nacc > cap)
      ch.next_decision = fast_ == 1 ? decide<1>(c, ch.next_decision) : decide<2>(c, ch.next_decision);
    sync(c);
    return ch.last_issue;
  }
  while (queued > 0 && queued + nacc > cap) {
    const int64_t T = ch.next_decision;
    if (T >= kFar) throw std::runtime_error("DramDevice::run_until_room: channel idle with a full queue");
    run_channel(c, T);
  }
  return ch.last_issue;
}

void DramDevice::offer_lazy(const int64_t* channel, const int64_t* local, const int8_t* is_write, int64_t i0, int64_t i1,
                            int32_t bytes, int64_t* ran_to, int64_t& U, Tick& now, int64_t& refused) {
  if (bytes <= 0) throw std::invalid_argument("DramDevice::offer_lazy: bytes must be > 0");
  if (spec_.mapping == 0) offer_lazy_m<0>(channel, local, is_write, i0, i1, bytes, ran_to, U, now, refused);
  else if (spec_.mapping == 1) offer_lazy_m<1>(channel, local, is_write, i0, i1, bytes, ran_to, U, now, refused);
  else offer_lazy_m<2>(channel, local, is_write, i0, i1, bytes, ran_to, U, now, refused);
}

template <int M>
void DramDevice::offer_lazy_m(const int64_t* channel, const int64_t* local, const int8_t* is_write, int64_t i0,
                              int64_t i1, int32_t bytes, int64_t* ran_to, int64_t& U, Tick& now, int64_t& refused) {
  const int64_t tck = spec_.tck_ps;
  for (int64_t i = i0; i < i1; ++i) {
    const int64_t c = channel[i];
    if (c < 0 || c >= spec_.channels) throw std::out_of_range("DramDevice::offer_lazy: channel out of range");
    const int32_t wr = is_write[i] ? 1 : 0;
    if (ran_to[c] < U) { run_if_due((int)c, U); ran_to[c] = U; }
    while (!enqueue<M>(Req{i, local[i], bytes, wr, (int32_t)c, nullptr}, now)) {
      refused++;
      U = run_until_room((int)c, local[i], bytes, wr);
      ran_to[c] = U;
      // replay_loop retries at the next event time after `now`: the room-making decision's edge, or 1 ps later
      // when that decision ran at the current edge (an ACT moving an access to the active buffer can make room
      // in the cycle that refused it)
      now = std::max(U * tck, now + 1);
    }
  }
}

void DramDevice::run_until(Tick until) {
  const int64_t U = until / spec_.tck_ps;
  const int nch = (int)ch_.size();
  for (int c = 0; c < nch; ++c) run_if_due(c, U);
}

void DramDevice::advance(Tick until, std::vector<MemCompletion>& done) {
  run_until(until);
  collect(until, [&](const MemRequest& r, Tick t) {
    done.emplace_back();  // filled in place (see copy_request)
    copy_request(done.back().req, r);
    done.back().time = t;
  });
}

Tick DramDevice::next_event() {
  Tick t = kNever;
  const int nch = (int)ch_.size();
  for (int c = 0; c < nch; ++c) t = std::min(t, std::min(fin_at_[c], dec_at_[c]));
  return t;
}

double DramDevice::min_latency_ps() {
  return (double)((std::min(spec_.nCL, spec_.nCWL) + spec_.nBL + spec_.extra_latency) * spec_.tck_ps);
}

double DramDevice::peak_bytes_per_ps() {
  // Each pseudo-channel data bus moves req_bytes per max(nBL, nCCD_S) cycles; a channel's column
  // command bus carries at most one RD/WR per cycle.
  double per_cycle = std::min(1.0, (double)spec_.pcs / (double)std::max(spec_.nBL, spec_.nCCDS));
  return (double)spec_.channels * spec_.req_bytes * per_cycle / (double)spec_.tck_ps;
}

inline int64_t DramDevice::earliest(const Chan& ch, int cmd, int32_t b) const {
  return earliest(ch, cmd, ch.banks[b]);
}

inline int64_t DramDevice::earliest(const Chan& ch, int cmd, const Bank& bk) const {
  const Group& g = ch.groups[bk.group];
  const Unit& un = ch.units[bk.unit];
  switch (cmd) {
    case kACT: {
      int64_t t = std::max({bk.next_act, g.next_act, un.next_act, un.faw[un.faw_pos] + spec_.nFAW, ch.next_row});
      return t;
    }
    case kPRE: return std::max(bk.next_pre, ch.next_row);
    case kRD: case kRDA: return std::max({bk.next_rd, g.next_rd, un.next_rd, ch.next_col});
    case kWR: case kWRA: return std::max({bk.next_wr, g.next_wr, un.next_wr, ch.next_col});
    case kREFab: return std::max(un.next_refab, ch.next_row);
    case kPREA: return std::max(un.next_prea, ch.next_row);
    default: return std::max({bk.next_refpb, un.next_refpb, ch.next_row});
  }
}

void DramDevice::update_mode(Chan& ch) {
  // Write draining (Ramulator 2 GenericDDR controller, PyTorchSim wr_low/high_watermark 0.2/0.8).
  const int64_t hi = wr_hi_, lo = wr_lo_;  // (see the constructor)
  if (!ch.write_mode) {
    if (ch.nwrite >= hi || (ch.nread == 0 && ch.nwrite > 0)) ch.write_mode = 1;
  } else if (ch.nwrite == 0 || (ch.nread > 0 && ch.nwrite <= lo)) {
    ch.write_mode = 0;
  }
}

void DramDevice::update_ref_min(Chan& ch) {
  int64_t m = kFar;
  for (const Unit& u : ch.units) m = std::min(m, u.ref_due);
  ch.ref_min = m;
}

void DramDevice::touch(Chan& ch, int32_t b) {
  Bank& bk = ch.banks[b];
  if (!bk.touched) { bk.touched = 1; ch.touched[ch.ntouched++] = b; }
}

template <int F>
bool DramDevice::unit_blocked(const Chan& ch, int u, int32_t b, int64_t T) const {
  if (refresh_<F>() == 2 || ch.act_acc[b] >= 0) return false;  // the active buffer is served before the refresh
  if (spec_.refresh_hold == 0) return T >= ch.ref_min;  // some unit's refresh is pending: the channel waits
  const Unit& un = ch.units[u];
  if (T < un.ref_due) return false;
  return refresh_<F>() == 0 || b == u * bpu_ + un.ref_bank;
}

void DramDevice::refresh_cands(Chan& ch, int u, std::vector<Cand>& out) {
  Unit& un = ch.units[u];
  if (spec_.refresh == 0) {
    // REFab once every bank is closed; before it one PREA closes the open ones (as Ramulator 2.1's controllers
    // do: the REFab's prerequisite is PREab), not while an active-buffer access waits for its open row
    const int32_t b0 = (int32_t)(u * bpu_);
    if (un.open_banks == 0) {
      out.push_back(Cand{earliest(ch, kREFab, b0), kREFab, b0, -1, 2, -1});
    } else {
      for (int i = 0; i < bpu_; ++i) if (ch.act_acc[b0 + i] >= 0) return;  // would_close_active
      out.push_back(Cand{earliest(ch, kPREA, b0), kPREA, b0, -1, 2, -1});
    }
  } else {
    int32_t b = (int32_t)(u * bpu_ + un.ref_bank);
    if (ch.act_acc[b] >= 0) return;  // its row stays open until the active buffer's access is served
    int cmd = ch.banks[b].open_row >= 0 ? kPRE : kREFpb;
    out.push_back(Cand{earliest(ch, cmd, b), cmd, b, -1, 2, -1});
  }
}

int DramDevice::closed_row_cmd(const Chan& ch, const Bank& bk, int32_t id, int cmd) const {
  const int32_t row = ch.acc[id].row;
  const int32_t* const nx = ch.qnext.data();
  for (int32_t j = bk.rq.front(); j >= 0; j = nx[j]) if (j != id && ch.acc[j].row == row) return cmd;
  for (int32_t j = bk.wq.front(); j >= 0; j = nx[j]) if (j != id && ch.acc[j].row == row) return cmd;
  return cmd == kWR ? (int)kWRA : (int)kRDA;
}

void DramDevice::set_col_cand(const Chan& ch, Bank& bk, int32_t id, int cls) const {
  const Access& x = ch.acc[id];
  set_cand(bk, 1, id, x.is_write ? kWR : kRD, prio(cls, x.seq));
}

bool DramDevice::append_cand(Chan& ch, Bank& bk, int32_t id) {
  // FR-FCFS, open row, no active-buffer access at the bank: the column candidate is the oldest queued row hit,
  // the row candidate the oldest access that misses the open row (PRE; ACT with the row closed). An appended
  // access is the youngest, so it becomes the candidate of its slot only if that slot had none; under
  // FRFCFS-RowHit a new PRE candidate is blocked by any queued hit (older). Gives what compute_cand() would.
  const Access& x = ch.acc[id];
  if (bk.open_row >= 0 && x.row == bk.open_row) {
    if (bk.cand_acc[1] >= 0) return false;
    set_col_cand(ch, bk, id, 0);
    return true;
  }
  if (bk.cand_acc[0] >= 0 || (rowhit_ && bk.cand_acc[1] >= 0)) return false;
  set_cand(bk, 0, id, bk.open_row < 0 ? kACT : kPRE, prio(0, x.seq));
  return true;
}

template <int F>
bool DramDevice::compute_cand(Chan& ch, int32_t b, int wm) {
  Bank& bk = ch.banks[b];
  bk.cand_valid = 1;
  bk.cand_mode = wm;
  bk.cand_acc[0] = bk.cand_acc[1] = -1;
  const int32_t ab = ch.act_acc[b];
  if (ab >= 0) {  // the active buffer's access, in either mode; nothing closes its row first (would_close_active)
    set_col_cand(ch, bk, ab, 3);
    if (row_policy_<F>() == 1) bk.cand_cmd[1] = (int8_t)closed_row_cmd(ch, bk, ab, bk.cand_cmd[1]);
    return true;
  }
  // the mode's queue: its oldest row hit (column slot) and its oldest access that misses (row slot)
  const AccQueue& q = wm ? bk.wq : bk.rq;
  const int32_t* const nx = ch.qnext.data();
  const int64_t open = bk.open_row;  // -1: closed, every access misses
  int32_t hit = -1, miss = -1;
  for (int32_t id = q.front(); id >= 0; id = nx[id]) {
    if (ch.acc[id].row == open) {
      if (hit < 0) { hit = id; if (miss >= 0) break; }
    } else if (miss < 0) {
      miss = id;
      if (hit >= 0 || open < 0) break;
    }
  }
  if (hit >= 0) {
    set_col_cand(ch, bk, hit, 0);
    if (row_policy_<F>() == 1) bk.cand_cmd[1] = (int8_t)closed_row_cmd(ch, bk, hit, bk.cand_cmd[1]);
  }
  if (miss >= 0 && !(rowhit_ && hit >= 0 && ch.acc[hit].seq < ch.acc[miss].seq))
    set_cand(bk, 0, miss, open < 0 ? kACT : kPRE, prio(0, ch.acc[miss].seq));
  return hit >= 0 || miss >= 0;
}

void DramDevice::consider(const Cand& k, int64_t T, int64_t& next, Pick& pick) const {
  if (k.when > T) { next = std::min(next, k.when); return; }
  const bool col = k.cmd == kRD || k.cmd == kWR || k.cmd == kRDA || k.cmd == kWRA;
  pick.offer(spec_.split_cmd_bus && col ? 1 : 0, prio(k.cls, k.seq), k.cmd, k.bank, k.acc);
}

void DramDevice::refresh_pick(Chan& ch, int64_t T, int64_t& next, Pick& pick) {
  cands_.clear();
  for (int u = 0; u < (int)ch.units.size(); ++u) {
    if (T >= ch.units[u].ref_due) refresh_cands(ch, u, cands_);
    else next = std::min(next, ch.units[u].ref_due);
  }
  for (const Cand& k : cands_) consider(k, T, next, pick);
}

void DramDevice::fcfs_pick(Chan& ch, int64_t T, int wm, int64_t& next, Pick& pick) {
  for (int32_t k = 0; k < ch.ntouched; ++k) ch.banks[ch.touched[k]].touched = 0;  // FCFS keeps no readiness set
  ch.ntouched = 0;
  const int32_t* const nx = ch.qnext.data();
  auto closing = [&](const Bank& bk, int32_t id, int cmd) {
    return (cmd == kRD || cmd == kWR) && spec_.row_policy == 1 ? closed_row_cmd(ch, bk, id, cmd) : cmd;
  };
  // the active buffer first (Ramulator 2): the oldest activated access's column command
  int32_t ab = -1;
  int64_t aseq = INT64_MAX;
  for (int32_t b : ch.active) {
    const int32_t a = ch.act_acc[b];
    if (a >= 0 && ch.acc[a].seq < aseq) { aseq = ch.acc[a].seq; ab = b; }
  }
  if (ab >= 0) {
    Bank& bk = ch.banks[ab];
    bk.cand_valid = 0;
    const int32_t id = ch.act_acc[ab];
    const int cmd = closing(bk, id, ch.acc[id].is_write ? kWR : kRD);
    consider(Cand{earliest(ch, cmd, ab), cmd, ab, id, 3, aseq}, T, next, pick);
  }
  if ((wm ? ch.nwrite : ch.nread) == 0) return;
  // then only the oldest access of the mode's queue (activated ones have left it) may proceed
  int32_t ob = -1, oid = -1;
  int64_t oseq = INT64_MAX;
  for (int32_t b : ch.active) {
    const auto& q = wm ? ch.banks[b].wq : ch.banks[b].rq;
    int32_t id = q.front();
    if (id >= 0 && id == ch.act_acc[b]) id = nx[id];
    if (id >= 0 && ch.acc[id].seq < oseq) { oseq = ch.acc[id].seq; ob = b; oid = id; }
  }
  if (ob < 0 || unit_blocked<0>(ch, ch.banks[ob].unit, ob, T)) return;
  Bank& bk = ch.banks[ob];
  bk.cand_valid = 0;
  const Access& x = ch.acc[oid];
  int cmd = bk.open_row < 0 ? kACT : bk.open_row != x.row ? kPRE : x.is_write ? kWR : kRD;
  if (cmd == kPRE && ch.act_acc[ob] >= 0) return;  // it would close the active buffer's row (would_close_active)
  cmd = closing(bk, oid, cmd);
  consider(Cand{earliest(ch, cmd, ob), cmd, ob, oid, 0, x.seq}, T, next, pick);
}

template <int F>
int64_t DramDevice::decide(int c, int64_t T) {
  Chan& ch = ch_[c];
  ch.st.decisions++;
  update_mode(ch);
  const int wm = ch.write_mode;
  int64_t next = kFar;
  // best ready candidate per command bus (0 = row bus, 1 = column bus; one shared bus without split):
  // the lowest prio() key wins, the first one on ties
  Pick pick;
  if (refresh_<F>() != 2) {
    if (T < ch.ref_min) next = std::min(next, ch.ref_min);  // no unit due yet
    else refresh_pick(ch, T, next, pick);
  }
  if (scheduler_<F>() == 1) fcfs_pick(ch, T, wm, next, pick);
  if (F) mask_pick<F>(ch, T, wm, next, pick);
  if (!F && scheduler_<F>() != 1) {  // FR-FCFS: only candidates whose lower-bound issue time has come are examined
    if (wm != ch.heap_mode) {
      ch.heap_mode = wm;
      for (int32_t b : ch.active) touch(ch, b);
    }
    Bank* const banks = ch.banks.data();
    ReadyEnt* const rd = ch.ready.data();
    int32_t nr = ch.nready;
    // sorted insertion of bank b's (valid) candidate of slot s
    auto add_ready = [&](int32_t b, int s) {
      Bank& bk = banks[b];
      const int64_t key = bk.cand_key[s];
      int32_t i = nr++;
      for (; i > 0 && rd[i - 1].key > key; --i) rd[i] = rd[i - 1];
      rd[i].key = key; rd[i].bank = b; rd[i].slot = s;
      bk.in_ready[s] = 1;
    };
    const int32_t* const tl = ch.touched.data();
    for (int32_t k = 0, nt = ch.ntouched; k < nt; ++k) {
      const int32_t b = tl[k];
      Bank& bk = banks[b];
      bk.touched = 0;
      bk.ver++;  // its pending entries, if any, are stale
      const bool any = bk.active && bank_cand<F>(ch, b, wm);
      for (int s = 0; s < 2; ++s) {
        bool near = false;
        if (any && bk.cand_acc[s] >= 0) {
          const int64_t when = earliest(ch, bk.cand_cmd[s], bk);
          near = when - T <= kNearCycles;  // legal now or soon: examined by this decision
          if (!near) ch.heap.push(when, 2 * b + s, bk.ver);
        }
        if (!bk.in_ready[s]) {
          if (near) add_ready(b, s);
          continue;
        }
        // listed already: move its entry to the new candidate's place, or drop it (keeping the others' order)
        int32_t i = 0;
        while (rd[i].bank != b || rd[i].slot != s) ++i;
        if (near) {
          const int64_t key = bk.cand_key[s];
          for (; i + 1 < nr && rd[i + 1].key < key; ++i) rd[i] = rd[i + 1];
          for (; i > 0 && rd[i - 1].key > key; --i) rd[i] = rd[i - 1];
          rd[i].key = key; rd[i].bank = b; rd[i].slot = s;
        } else {
          bk.in_ready[s] = 0;
          for (--nr; i < nr; ++i) rd[i] = rd[i + 1];
        }
      }
    }
    ch.ntouched = 0;
    ch.heap.pop_until(T, [&](int64_t, int32_t v, int32_t ver) {
      if (ver == banks[v >> 1].ver) add_ready(v >> 1, v & 1);
    });
    const bool due = refresh_<F>() != 2 && T >= ch.ref_min;  // some unit has a refresh pending
    const bool split = split_<F>() != 0;
    // Priority order: the first legal candidate of a bus is its best; later entries of that bus are not
    // examined, except that the row bus also keeps its second legal candidate: Ramulator issues the column
    // command first, and a PRE of that command's bank is then no longer legal (tRTP / write recovery). Entries
    // legal only later than kNearCycles move to the pending list. Without a split bus every command uses bus 0.
    int32_t bb[2] = {-1, -1}, bs[2] = {0, 0};  // best ready (bank, slot) per bus
    int32_t row2b = -1, row2s = 0;              // second legal row-bus candidate
    int nrow = 0, decided_col = split ? 0 : 1;
    int32_t keep = 0, i = 0;
    for (; i < nr; ++i) {
      const int32_t eb = rd[i].bank;
      const int sl = rd[i].slot, bus = split ? sl : 0;
      if (bus ? !decided_col : nrow < 2) {
        const Bank& bk = banks[eb];
        if (due && unit_blocked<F>(ch, bk.unit, eb, T)) {
          next = std::min(next, T + 1);
        } else {
          const int64_t when = earliest(ch, bk.cand_cmd[sl], bk);
          if (when > T) {
            // legal within a few cycles (bus / tCCD / tRRD spacing): stays in the ready list, saving heap traffic
            if (when - T <= kNearCycles) next = std::min(next, when);
            else { ch.heap.push(when, 2 * eb + sl, bk.ver); banks[eb].in_ready[sl] = 0; continue; }
          } else if (bus) {
            decided_col = 1;
            if (bk.cand_key[sl] < pick.key[1]) { pick.key[1] = bk.cand_key[sl]; bb[1] = eb; bs[1] = sl; }
          } else if (nrow++ == 0) {
            if (bk.cand_key[sl] < pick.key[0]) { pick.key[0] = bk.cand_key[sl]; bb[0] = eb; bs[0] = sl; }
          } else {
            row2b = eb; row2s = sl;
          }
          // done once the column bus is decided and the row bus's pick cannot clash with it
          if (decided_col && (nrow == 2 || (nrow == 1 && (!split || bb[0] != bb[1])))) {
            if (keep != i) rd[keep] = rd[i];
            ++keep; ++i;
            break;
          }
        }
      }
      if (keep != i) rd[keep] = rd[i];
      ++keep;
    }
    if (keep != i) for (int32_t j = i; j < nr; ++j) { rd[keep + (j - i)] = rd[j]; }
    ch.nready = keep + (nr - i);
    if (split && bb[1] >= 0 && bb[0] == bb[1] && pick.key[1] == banks[bb[1]].cand_key[bs[1]]) {
      // the row pick is a PRE of the column pick's bank: the next legal row candidate instead
      if (row2b >= 0) { pick.key[0] = banks[row2b].cand_key[row2s]; bb[0] = row2b; bs[0] = row2s; }
      else { pick.key[0] = INT64_MAX; bb[0] = -1; }
      next = std::min(next, T + 1);
    }
    for (int sl = 0; sl < 2; ++sl) {
      if (bb[sl] < 0 || pick.key[sl] != banks[bb[sl]].cand_key[bs[sl]]) continue;  // a refresh candidate kept the bus
      const Bank& bk = banks[bb[sl]];
      pick.cmd[sl] = bk.cand_cmd[bs[sl]];
      pick.bank[sl] = bb[sl];
      pick.acc[sl] = bk.cand_acc[bs[sl]];
    }
    if (!ch.heap.empty()) next = std::min(next, ch.heap.min_when());
  }
  const bool have0 = pick.key[0] != INT64_MAX, have1 = pick.key[1] != INT64_MAX;
  if (!have0 && !have1) return std::max(next, T + 1);
  // A row command and a column command chosen together target different banks (the row pick skips a PRE of
  // the column pick's bank; a unit with refresh pending offers no column commands but the active buffer's, whose
  // banks get no refresh PRE), so issuing both in one cycle is legal. The column command goes first, as in
  // Ramulator 2.1's HBM controller.
  ch.last_issue = T;  // this edge's decision is committed: later arrivals join the next edge
  if (have1) issue<F>(c, T, pick.cmd[1], pick.bank[1], pick.acc[1]);
  if (have0) issue<F>(c, T, pick.cmd[0], pick.bank[0], pick.acc[0]);
  return T + 1;
}

template <int F>
void DramDevice::issue(int c, int64_t T, const int cmd, const int32_t b, const int32_t acc) {
  Chan& ch = ch_[c];
  const DramSpec& s = spec_;
  Bank& bk = ch.banks[b];
  const int u = bk.unit;
  Group& g = ch.groups[bk.group];
  Unit& un = ch.units[u];
  // the bank's candidate changes: recomputed at the next decision (the bank-set scheduler sets the next one
  // right here, below, except after refresh work)
  bk.cand_valid = 0;
  if (!F) touch(ch, b);
  else if (acc < 0) ch.m_dirty |= uint64_t(1) << b;
  if (s.log_commands) {
    const int64_t pc = u / s.ranks, rank = u % s.ranks, bgi = (b % bpu_) / s.banks, bi = b % s.banks;
    int64_t row = cmd == kACT ? ch.acc[acc].row : cmd == kPREA ? -1 : bk.open_row;
    log_.insert(log_.end(), {T, (int64_t)cmd, (int64_t)c, pc, rank, bgi, bi, row});
  }
  const bool row_cmd = cmd == kACT || cmd == kPRE || cmd == kREFab || cmd == kREFpb || cmd == kPREA;
  // a = the ACT's cycles beyond its first (HBM2: 1): the command holds its bus that long, and the JEDEC
  // distances (from a command's last cycle) grow by a after an ACT and shrink by a before one
  const int64_t a = s.act_cycles - 1;
  const int64_t busy = cmd == kACT ? 1 + a : 1;
  if (row_cmd || !split_<F>()) ch.next_row = T + busy;
  if (!row_cmd || !split_<F>()) ch.next_col = T + busy;
  switch (cmd) {
    case kACT: {
      bk.open_row = ch.acc[acc].row;
      un.open_banks++;
      upd(bk.next_act, T + s.nRC); upd(bk.next_pre, T + s.nRAS + a);
      upd(bk.next_rd, T + s.nRCDRD + a); upd(bk.next_wr, T + s.nRCDWR + a); upd(bk.next_refpb, T + s.nRC + a);
      upd(g.next_act, T + s.nRRDL);
      upd(un.next_act, T + s.nRRDS); upd(un.next_refab, T + s.nRC + a); upd(un.next_refpb, T + s.nRRDS + a);
      upd(un.next_prea, T + s.nRAS + a);
      un.faw[un.faw_pos] = T; un.faw_pos = (un.faw_pos + 1) & 3;
      if (ch.acc[acc].kind == 0) ch.acc[acc].kind = 1;
      ch.st.acts++;
      // the access moves to the active buffer (Ramulator 2 promote_to_active): out of its queue
      ch.act_acc[b] = acc;
      (ch.acc[acc].is_write ? ch.nwrite : ch.nread)--;
      ch.nactive++;
      if (F) {  // the opened row's access is now the active buffer's: the bank's only candidate (compute_cand)
        ch.gb[0][bk.group] = g.next_act;
        act_bound(ch, u);
        const Access& x = ch.acc[acc];
        ch.m_actbuf |= uint64_t(1) << b;
        if (x.is_write) ch.m_actwr |= uint64_t(1) << b;
        bk.cand_valid = 1;
        bk.cand_acc[0] = -1;
        set_col_cand(ch, bk, acc, 3);
        ch.m_act &= ~(uint64_t(1) << b); ch.m_ready &= ~(uint64_t(1) << b);  // it was a legal ACT (mask_pick)
        ch.bt[b] = kFar;
        mask_put(ch, kColBase + b, bk.cand_cmd[1], bank_bound(bk, bk.cand_cmd[1]));  // the row was closed: no column candidate yet
      }
      return;
    }
    case kPRE: {
      bk.open_row = -1;
      un.open_banks--;
      upd(bk.next_act, T + s.nRP - a); upd(bk.next_refpb, T + s.nRP); upd(un.next_refab, T + s.nRP);
      if (acc >= 0) ch.acc[acc].kind = 2;
      ch.st.pres++;
      if (F && acc >= 0) {  // every queued access misses now: an ACT for the oldest, no column candidate
        ch.m_pre &= ~(uint64_t(1) << b); ch.m_ready &= ~(uint64_t(1) << b);  // it was a legal PRE (mask_pick)
        ch.bt[b] = kFar;
        compute_cand<F>(ch, b, ch.heap_mode);
        mask_put(ch, b, kACT, bk.next_act);
        mask_unplace(ch, kColBase + b);
      }
      return;
    }
    case kPREA: {  // every open bank of unit u (b: its first bank) closes
      for (int32_t i = u * bpu_, e = i + bpu_; i < e; ++i) {
        Bank& o = ch.banks[i];
        if (o.open_row < 0) continue;
        o.open_row = -1;
        upd(o.next_act, T + s.nRP - a); upd(o.next_refpb, T + s.nRP);
        o.cand_valid = 0;
        if (!F) touch(ch, i);
      }
      un.open_banks = 0;
      upd(un.next_refab, T + s.nRP);
      ch.st.pres++;
      if (F) ch.m_dirty |= umask_[u];  // their candidates (PREs no more, hits no more) are recomputed
      return;
    }
    case kREFab: {
      upd(un.next_act, T + s.nRFC - a); upd(un.next_refab, T + s.nRFC); upd(un.next_refpb, T + s.nRFC);
      if (F) act_bound(ch, u);
      un.ref_due += s.nREFI;
      update_ref_min(ch);
      ch.st.refs++;
      return;
    }
    case kREFpb: {
      upd(bk.next_act, T + s.nRFCpb - a); upd(bk.next_refpb, T + s.nRFCpb);
      upd(un.next_act, T + s.nRREFD - a); upd(un.next_refpb, T + s.nRREFD);
      if (++un.ref_bank == bpu_) {  // the unit's banks are done: the channel's sequence moves to the next unit
        un.ref_bank = 0;
        Unit& nxt = ch.units[(u + 1) % ch.units.size()];
        const int64_t due = un.ref_due + s.nREFIpb;
        un.ref_due = kFar;
        nxt.ref_due = due;
      } else {
        un.ref_due += s.nREFIpb;
      }
      update_ref_min(ch);
      ch.st.refs++;
      return;
    }
    default: break;
  }
  // Column command: RD / WR / RDA / WRA for access acc.
  const bool wr = cmd == kWR || cmd == kWRA;
  const bool from_active = ch.act_acc[b] == acc;  // it left its queue at its ACT (active buffer)
  if (from_active) { ch.act_acc[b] = -1; ch.nactive--; ch.m_actbuf &= ~(uint64_t(1) << b); ch.m_actwr &= ~(uint64_t(1) << b); }
  const int64_t rtw = rtw_, burst = burst_;
  if (!wr) {
    upd(bk.next_pre, T + s.nRTP);
    if (cmd == kRD) upd(un.next_prea, T + s.nRTP);  // (Ramulator 2.1: RD -> PREab; an RDA's bank is closed)
    upd(g.next_rd, T + s.nCCDL); upd(g.next_wr, T + rtw);
    upd(un.next_rd, T + burst); upd(un.next_wr, T + rtw);
    for (int64_t r = 0; r < ranks_<F>() && ranks_<F>() > 1; ++r) {  // other ranks of this pseudo-channel (rank-to-rank)
      if (un.first + r == u) continue;
      Unit& o = ch.units[un.first + r];
      upd(o.next_rd, T + s.nBL + s.nRTRS);
      upd(o.next_wr, T + rtw + s.nRTRS);
    }
    ch.st.rd_cmds++;
  } else {
    upd(bk.next_pre, T + s.nCWL + s.nBL + s.nWR);
    if (cmd == kWR) upd(un.next_prea, T + s.nCWL + s.nBL + s.nWR);
    upd(g.next_wr, T + s.nCCDL); upd(g.next_rd, T + s.nCWL + s.nBL + s.nWTRL);
    upd(un.next_wr, T + burst); upd(un.next_rd, T + s.nCWL + s.nBL + s.nWTRS);
    for (int64_t r = 0; r < ranks_<F>() && ranks_<F>() > 1; ++r) {
      if (un.first + r == u) continue;
      Unit& o = ch.units[un.first + r];
      upd(o.next_wr, T + s.nBL + s.nRTRS);
      upd(o.next_rd, T + std::max<int64_t>(1, s.nCWL + s.nBL + s.nRTRS - s.nCL));
    }
    ch.st.wr_cmds++;
  }
  if (F) col_bounds(ch, u, bk.group);
  if (cmd == kRDA || cmd == kWRA) {
    const int64_t close = wr ? T + s.nCWL + s.nBL + s.nWR : T + s.nRTP;
    bk.open_row = -1;
    un.open_banks--;
    upd(bk.next_act, close + s.nRP - a); upd(bk.next_refpb, close + s.nRP); upd(un.next_refab, close + s.nRP);
  }
  Access& x = ch.acc[acc];
  (x.kind == 0 ? ch.st.hits : x.kind == 1 ? ch.st.misses : ch.st.conflicts)++;
  const int32_t after = ch.qnext[acc];  // the access queued after it (younger)
  (wr ? bk.wq : bk.rq).erase(acc, ch.qnext.data());
  if (bk.rq.empty() && bk.wq.empty()) {
    bk.active = 0;
    ch.m_active &= ~(uint64_t(1) << b);
    if (!F) {  // the generic scheduler's list (the bank-set one uses m_active)
      const int32_t moved = ch.active.back();  // swap-remove
      ch.active[bk.active_pos] = moved;
      ch.banks[moved].active_pos = bk.active_pos;
      ch.active.pop_back();
    }
  }
  if (F) {  // it was a legal column candidate (mask_pick); the bank's next ones in this decision's mode (heap_mode), placed now
    const int32_t v = kColBase + b;
    ch.m_hit &= ~(uint64_t(1) << v); ch.m_ready &= ~(uint64_t(1) << v);
    ch.bt[v] = kFar;
    if (bk.active) {
      if (!from_active && !rowhit_) {
        // FR-FCFS, a queued hit served (the candidates were valid for heap_mode: mask_pick synced them): the row
        // candidate stands (a PRE, now bound by tRTP / write recovery too), the next hit is the first one queued
        // after it (those before it miss the row)
        bk.cand_valid = 1;
        if (bk.cand_acc[0] >= 0) mask_place(ch, b, kPRE, bk.next_pre);
        bk.cand_acc[1] = -1;
        const int32_t* const nx = ch.qnext.data();
        for (int32_t id = after; id >= 0; id = nx[id]) {
          if (ch.acc[id].row != bk.open_row) continue;
          set_col_cand(ch, bk, id, 0);
          mask_put(ch, v, bk.cand_cmd[1], bank_bound(bk, bk.cand_cmd[1]));
          break;
        }
      } else {
        compute_cand<F>(ch, b, ch.heap_mode);
        if (bk.cand_acc[1] >= 0) mask_put(ch, v, bk.cand_cmd[1], bank_bound(bk, bk.cand_cmd[1]));
        mask_slot(ch, b, 0);  // a served active-buffer access frees the row slot; FRFCFS-RowHit's PRE may unblock
      }
    }
  }
  if (!from_active) (wr ? ch.nwrite : ch.nread)--;
  const Tick t_done = (T + (wr ? s.nCWL : s.nCL) + s.nBL + s.extra_latency) * s.tck_ps;
  if (x.single) {  // the request's only access: its completion, from the access alone (parent not touched)
    std::vector<Done>& fin = ch.fin[wr ? 1 : 0];
    fin.emplace_back();  // filled in place (see append_entry)
    fin.back().time = t_done;
    fin.back().parent = x.parent;
    if (t_done < fin_at_[c]) fin_at_[c] = t_done;
    ch.st.bytes += x.bytes;
    if (x.is_write) ch.st.writes++;
    else { ch.st.reads++; ch.st.read_lat += t_done - x.issue; }
    if (t_done > last_done_) last_done_ = t_done;
    ch.free_acc.push_back(acc);
    return;
  }
  Parent& p = parents_[x.parent];
  p.done = std::max(p.done, t_done);
  if (--p.remaining == 0) {
    std::vector<Done>& fin = ch.fin[wr ? 1 : 0];
    fin.emplace_back();  // filled in place (see append_entry)
    fin.back().time = p.done;
    fin.back().parent = x.parent;
    if (p.done < fin_at_[c]) fin_at_[c] = p.done;
    ch.st.bytes += p.req.bytes;
    if (p.req.is_write) ch.st.writes++;
    else { ch.st.reads++; ch.st.read_lat += p.done - p.req.issue; }
    if (p.done > last_done_) last_done_ = p.done;
  }
  ch.free_acc.push_back(acc);
}

void DramDevice::group_bounds(Chan& ch, int u) {
  act_bound(ch, u);
  for (int64_t g = u * spec_.bankgroups, e = g + spec_.bankgroups; g < e; ++g) {
    ch.gb[0][g] = ch.groups[g].next_act;
    col_bounds(ch, u, (int)g);
  }
}

inline void DramDevice::mask_unplace(Chan& ch, int32_t v) {
  if (ch.bt[v] == kFar) return;  // not placed (every placed candidate has a bound below kFar)
  const uint64_t bit = uint64_t(1) << v;
  const int s = (int)(ch.bt[v] & (Chan::kWheel - 1));
  ch.m_act &= ~bit; ch.m_pre &= ~bit; ch.m_hit &= ~bit;
  ch.m_ready &= ~bit; ch.m_far &= ~bit;
  ch.wheel[s] &= ~bit;  // off its wheel slot (a no-op if it was not there)
  if (!ch.wheel[s]) ch.wheel_occ &= ~(uint64_t(1) << s);
  ch.bt[v] = kFar;
}

inline void DramDevice::mask_place(Chan& ch, int32_t v, int cmd, int64_t t) {
  mask_unplace(ch, v);
  mask_put(ch, v, cmd, t);
}

inline void DramDevice::mask_put(Chan& ch, int32_t v, int cmd, int64_t t) {
  const uint64_t bit = uint64_t(1) << v;
  constexpr int W = Chan::kWheel;
  (cmd == kACT ? ch.m_act : cmd == kPRE ? ch.m_pre : ch.m_hit) |= bit;
  ch.bt[v] = t;
  const int slot = v >= kColBase;
  const Bank& bk = ch.banks[v - slot * kColBase];
  ch.ckey[v] = bk.cand_key[slot];
  ch.ccmd[v] = cmd;
  ch.cacc[v] = bk.cand_acc[slot];
  // the wheel is at this decision's cycle (mask_pick advanced it before any issue)
  if (t <= ch.wheel_t) ch.m_ready |= bit;
  else if (t - ch.wheel_t < W) { ch.wheel[t & (W - 1)] |= bit; ch.wheel_occ |= uint64_t(1) << (t & (W - 1)); }
  else ch.m_far |= bit;
}

inline void DramDevice::mask_slot(Chan& ch, int32_t b, int slot) {
  const Bank& bk = ch.banks[b];
  const int32_t v = b + slot * kColBase;
  if (bk.cand_acc[slot] >= 0) mask_place(ch, v, bk.cand_cmd[slot], bank_bound(bk, bk.cand_cmd[slot]));
  else mask_unplace(ch, v);
}

inline void DramDevice::idle_arrival(Chan& ch, int32_t b, int32_t id) {
  Bank& bk = ch.banks[b];
  const Access& x = ch.acc[id];
  ch.m_dirty &= ~(uint64_t(1) << b);
  bk.cand_valid = 1;
  bk.cand_mode = ch.heap_mode;
  bk.cand_acc[0] = bk.cand_acc[1] = -1;
  mask_unplace(ch, b);  // (an idle bank has no active-buffer access)
  mask_unplace(ch, kColBase + b);
  if (x.is_write != ch.heap_mode) return;  // the other mode's queue
  append_cand(ch, bk, id);  // the candidate of a queue holding only this access
  const int slot = bk.cand_acc[1] >= 0;
  mask_put(ch, b + slot * kColBase, bk.cand_cmd[slot], bank_bound(bk, bk.cand_cmd[slot]));
}

template <int F>
void DramDevice::mask_sync(Chan& ch, int32_t b, int wm) {
  Bank& bk = ch.banks[b];
  if (!bk.active || !bank_cand<F>(ch, b, wm)) { mask_unplace(ch, b); mask_unplace(ch, kColBase + b); return; }
  mask_slot(ch, b, 0);
  mask_slot(ch, b, 1);
}

inline void DramDevice::wheel_advance(Chan& ch, int64_t T) {
  constexpr int W = Chan::kWheel;
  const int64_t span = T - ch.wheel_t;  // cycles wheel_t+1 .. T come due
  if (span <= 0) return;
  if (span == 1) {  // the common step: one slot
    const int s = (int)(T & (W - 1));
    ch.m_ready |= ch.wheel[s];  // branch-free: whether the slot holds banks varies cycle by cycle
    ch.wheel[s] = 0;
    ch.wheel_occ &= ~(uint64_t(1) << s);
  } else if (span >= W) {
    for (uint64_t o = ch.wheel_occ; o; o &= o - 1) { const int s = __builtin_ctzll(o); ch.m_ready |= ch.wheel[s]; ch.wheel[s] = 0; }
    ch.wheel_occ = 0;
  } else {
    const int first = (int)((ch.wheel_t + 1) & (W - 1));
    uint64_t due = (first ? (ch.wheel_occ >> first) | (ch.wheel_occ << (W - first)) : ch.wheel_occ) &
                   ((uint64_t(1) << span) - 1);  // slots of cycles wheel_t+1 .. T, rotated to bit 0
    for (; due; due &= due - 1) {
      const int s = (first + __builtin_ctzll(due)) & (W - 1);
      ch.m_ready |= ch.wheel[s];
      ch.wheel[s] = 0;
      ch.wheel_occ &= ~(uint64_t(1) << s);
    }
  }
  ch.wheel_t = T;
  if (__builtin_expect(ch.m_far != 0, 0)) far_advance(ch, T);
}

void DramDevice::far_advance(Chan& ch, int64_t T) {
  constexpr int W = Chan::kWheel;
  for (uint64_t f = ch.m_far; f; f &= f - 1) {  // rare: constraints longer than the wheel
    const int b = __builtin_ctzll(f);
    const int64_t t = ch.bt[b];
    if (t - T >= W) continue;
    ch.m_far &= ~(uint64_t(1) << b);
    if (t <= T) ch.m_ready |= uint64_t(1) << b;
    else { ch.wheel[t & (W - 1)] |= uint64_t(1) << b; ch.wheel_occ |= uint64_t(1) << (t & (W - 1)); }
  }
}

template <int F>
inline bool DramDevice::mask_pick(Chan& ch, int64_t T, int wm, int64_t& next, Pick& pick) {
  if (wm != ch.heap_mode) { ch.heap_mode = wm; ch.m_dirty |= ch.m_active; }
  wheel_advance(ch, T);
  for (uint64_t d = ch.m_dirty; d; d &= d - 1) mask_sync<F>(ch, __builtin_ctzll(d), wm);
  ch.m_dirty = 0;
  const uint64_t cand = ch.m_act | ch.m_pre | ch.m_hit;
  if (!cand) return false;
  constexpr int C = kColBase;
  // candidates of a unit with a refresh due: none but the refresh's (unit_blocked), except the active buffer's
  uint64_t blocked = 0;
  if (T >= ch.ref_min) {
    if (spec_.refresh_hold == 0) blocked = ~uint64_t(0) >> (64 - (int)ch.units.size() * bpu_);  // the channel waits
    else for (int u = 0; u < (int)ch.units.size(); ++u)
      if (T >= ch.units[u].ref_due) blocked |= unit_mask_ << (u * bpu_);
    blocked = (blocked | blocked << C) & ~(ch.m_actbuf << C);  // the active buffer is served before the refresh
  }
  const int64_t* const bt = ch.bt;
  const int64_t* const key = ch.ckey;
  const int gsh = bank_bits_;  // bank -> bank group index within the channel
  const uint64_t ok = ch.m_ready & ~blocked;  // candidates whose bank allows them now
  // drop the banks of bank sets (units or bank groups: set bank >> sh, banks masks[set]) whose bound has not
  // passed (m: a bank mask)
  auto drop_late = [&](uint64_t m, const int64_t* bound, int sh, const uint64_t* masks) {
    for (uint64_t left = m; left;) {
      const int i = __builtin_ctzll(left) >> sh;
      if (bound[i] > T) m &= ~masks[i];
      left &= ~masks[i];
    }
    return m;
  };
  // banks whose unit's and bank group's constraints on command kind k have passed
  auto group_ok = [&](uint64_t m, int k) {
    m = drop_late(m, ch.ub[k], unit_bits_, umask_);
    if (k == 0 && act_unit_bound_only_) return m;  // (see act_unit_bound_only_)
    return drop_late(m, ch.gb[k], gsh, gmask_);
  };
  // column candidates (mask of ids C + b) whose constraints have passed: those of the mode's kind, and
  // active-buffer ones of the other mode (a read promoted before a switch to writes, or a write before one to
  // reads) with their own kind's bounds
  const uint64_t other = wm ? ch.m_actbuf & ~ch.m_actwr : ch.m_actwr;  // banks
  auto hits_ok = [&](uint64_t mv) {
    uint64_t m = mv >> C;
    const uint64_t o = m & other;
    m = m & ~other ? group_ok(m & ~other, wm ? 2 : 1) : 0;
    return (o ? m | group_ok(o, wm ? 1 : 2) : m) << C;
  };
  // lowest key of a candidate set (keys are unique: arrival order)
  auto best = [&](uint64_t m) {
    int b = __builtin_ctzll(m);
    for (m &= m - 1; m; m &= m - 1) {
      const int o = __builtin_ctzll(m);
      if (key[o] < key[b]) b = o;
    }
    return b;
  };
  auto take = [&](int bus, int v) {
    pick.key[bus] = key[v]; pick.cmd[bus] = ch.ccmd[v]; pick.bank[bus] = v & (C - 1); pick.acc[bus] = ch.cacc[v];
  };
  bool any = false;
  if (F == 2) {  // one command bus (next_row == next_col): the lowest key of every legal candidate
    if (ch.next_row <= T) {  // a legal refresh candidate (key 0) keeps the bus from all but the active buffer
      const bool ref = pick.key[0] != INT64_MAX;
      uint64_t acts = ref ? 0 : ch.m_act & ok, hits = ch.m_hit & ok & (ref ? ch.m_actbuf << C : ~uint64_t(0));
      if (acts) acts = group_ok(acts, 0);
      if (hits) hits = hits_ok(hits);
      const uint64_t all = (ref ? 0 : ch.m_pre & ok) | acts | hits;
      if (all) {
        const int v = best(all);
        if (key[v] < pick.key[0]) take(0, v);
        return true;
      }
    }
  } else {
    if (ch.next_col <= T) {  // the column bus first (Ramulator 2.1's HBM controller)
      uint64_t col = ch.m_hit & ok;
      if (col) col = hits_ok(col);
      if (col) { take(1, best(col)); any = true; }
    }
    if (ch.next_row <= T && pick.key[0] == INT64_MAX) {  // a legal refresh candidate (key 0) keeps the row bus
      uint64_t acts = ch.m_act & ok;
      if (acts) acts = group_ok(acts, 0);
      uint64_t row = (ch.m_pre & ok) | acts;
      // the column command just picked delays its bank's PRE (tRTP / write recovery): not legal this cycle
      if (any) row &= ~(uint64_t(1) << pick.bank[1]);
      if (row) { take(0, best(row)); any = true; }
    }
  }
  if (any || pick.key[0] != INT64_MAX) return true;
  // Nothing legal: a lower bound of the cycle a candidate becomes legal (an earlier decision only finds
  // nothing again). Blocked ones retry next cycle; waiting candidates come due on the wheel; for candidates
  // already allowed by their bank, their group's (or unit's) bound.
  if (cand & blocked) next = std::min(next, T + 1);
  if (ch.wheel_occ) {
    const int first = (int)((T + 1) & (Chan::kWheel - 1));
    const uint64_t occ = first ? (ch.wheel_occ >> first) | (ch.wheel_occ << (Chan::kWheel - first)) : ch.wheel_occ;
    next = std::min(next, T + 1 + __builtin_ctzll(occ));
  }
  for (uint64_t f = ch.m_far; f; f &= f - 1) next = std::min(next, bt[__builtin_ctzll(f)]);
  auto group_next = [&](uint64_t m, int k, int64_t bus) {  // m: a bank mask
    for (; m;) {
      const int g = __builtin_ctzll(m) >> gsh;
      next = std::min(next, std::max({ch.gb[k][g], ch.ub[k][g >> bg_bits_], bus}));
      m &= ~gmask_[g];
    }
  };
  const uint64_t okcol = (ok & ch.m_hit) >> C;
  group_next(ok & ch.m_act, 0, ch.next_row);
  group_next(okcol & ~other, wm ? 2 : 1, ch.next_col);
  group_next(okcol & other, wm ? 1 : 2, ch.next_col);
  if (ok & ch.m_pre) next = std::min(next, ch.next_row);
  return false;
}

std::string DramDevice::stats_json() {
  std::ostringstream o;
  o.precision(17);
  const double span = (double)std::max<Tick>(last_done_, 1);
  const double peak_ch = peak_bytes_per_ps() / (double)spec_.channels;
  ChanStats tot;
  o << "{\"tck_ps\":" << spec_.tck_ps << ",\"elapsed_ps\":" << last_done_ << ",\"channels\":[";
  for (size_t i = 0; i < ch_.size(); ++i) {
    const ChanStats& s = ch_[i].st;
    o << (i ? "," : "") << "{\"reads\":" << s.reads << ",\"writes\":" << s.writes << ",\"bytes\":" << s.bytes
      << ",\"row_hits\":" << s.hits << ",\"row_misses\":" << s.misses << ",\"row_conflicts\":" << s.conflicts
      << ",\"avg_read_latency_ps\":" << (s.reads ? (double)s.read_lat / s.reads : 0.0)
      << ",\"bw_util\":" << (double)s.bytes / (span * peak_ch) << ",\"acts\":" << s.acts << ",\"pres\":" << s.pres
      << ",\"refreshes\":" << s.refs << ",\"rd_cmds\":" << s.rd_cmds << ",\"wr_cmds\":" << s.wr_cmds << ",\"decisions\":" << s.decisions << "}";
    tot.reads += s.reads; tot.writes += s.writes; tot.bytes += s.bytes; tot.hits += s.hits;
    tot.misses += s.misses; tot.conflicts += s.conflicts; tot.read_lat += s.read_lat; tot.acts += s.acts;
    tot.pres += s.pres; tot.refs += s.refs;
  }
  o << "],\"reads\":" << tot.reads << ",\"writes\":" << tot.writes << ",\"bytes\":" << tot.bytes
    << ",\"row_hits\":" << tot.hits << ",\"row_misses\":" << tot.misses << ",\"row_conflicts\":" << tot.conflicts
    << ",\"avg_read_latency_ps\":" << (tot.reads ? (double)tot.read_lat / tot.reads : 0.0)
    << ",\"bw_util\":" << (double)tot.bytes / (span * peak_bytes_per_ps())
    << ",\"achieved_bytes_per_ps\":" << (double)tot.bytes / span << ",\"peak_bytes_per_ps\":" << peak_bytes_per_ps()
    << ",\"acts\":" << tot.acts << ",\"pres\":" << tot.pres << ",\"refreshes\":" << tot.refs << "}";
  return o.str();
}

}  // namespace npusim
