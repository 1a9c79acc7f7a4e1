// Timing shell around L2Policy: per-slice input queue, one data-port access per L2 cycle, miss queue
// drained one request per cycle into the downstream device (retried while it refuses), fills and
// acks that complete the original requests exactly once. Cacheable = MemRequest.flags bit 0.
#include "sectored_l2.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace npusim {

namespace {
constexpr int32_t kBypass = 4;  // inflight kind of a non-cacheable request passed through whole
}

SectoredL2::SectoredL2(int channels, const l2::Params& p, double freq_mhz, int hit_latency, int miss_queue,
                       int input_queue, int port_bytes)
    : period_(period_ps(freq_mhz)), mq_size_(miss_queue), in_size_(input_queue), port_bytes_(port_bytes) {
  if (channels < 1) throw std::invalid_argument("SectoredL2 needs at least one slice");
  slices_.reserve(channels);
  for (int i = 0; i < channels; ++i) slices_.emplace_back(p);
  hit_ps_ = (Tick)hit_latency * period_;
  atom_ = slices_[0].pol.atom_bytes();
  occ_last_.assign(channels, 0);
}

void SectoredL2::set_downstream(MemoryDevice* next) {
  if (next && next->num_channels() != (int)slices_.size())
    throw std::invalid_argument("SectoredL2::set_downstream: the downstream device has a different number of channels");
  down_ = next;
}

int32_t SectoredL2::new_orig(const MemRequest& req, Tick now, int32_t parts, int32_t bypass) {
  const int32_t idx = origs_.take();
  Orig& o = origs_[idx];
  o.req = req;
  o.req.issue = now;
  o.remaining = parts;
  o.finish = 0;
  o.bypass = bypass;
  return idx;
}

bool SectoredL2::try_send(const MemRequest& req, Tick now) {
  if (req.channel < 0 || req.channel >= (int)slices_.size())
    throw std::out_of_range("SectoredL2::try_send: channel out of range");
  if (!down_) throw std::logic_error("SectoredL2::try_send: set_downstream() was not called");
  Slice& s = slices_[req.channel];
  if (s.in_reqs >= in_size_) return false;
  Tick ready = edge(now);  // may equal the last advance time: the next advance() serves it
  s.in_reqs += 1;
  s.requests += 1;
  (req.is_write ? s.write_bytes : s.read_bytes) += req.bytes;
  if (!(req.flags & 1)) {
    s.bypassed += 1;
    s.bypassed_writes += req.is_write ? 1 : 0;
    s.bypass_bytes += req.bytes;
    s.in.push_back(Access{new_orig(req, now, 1, 1), req.addr, req.bytes, ready});
    return true;
  }
  int64_t a = req.addr, end = req.addr + std::max(req.bytes, 1);
  int32_t parts = (int32_t)((end - 1) / atom_ - a / atom_ + 1);
  int32_t orig = new_orig(req, now, parts, 0);
  while (a < end) {
    int64_t b = std::min(end, (a / atom_ + 1) * atom_);
    s.in.push_back(Access{orig, a, (int32_t)(b - a), ready});
    a = b;
  }
  return true;
}

Tick SectoredL2::slice_next(const Slice& s) const {
  Tick t = kNever;
  if (!s.in.empty() && !s.blocked) t = std::max(s.next_proc, s.in.front().ready);
  if (!s.mq.empty()) t = std::min(t, std::max(s.next_send, s.mq.front().ready));
  if (!s.fq.empty() && s.in.empty() && (int32_t)s.mq.size() < mq_size_)
    t = std::min(t, std::max(s.next_proc, s.flush_ready));
  return t;
}

Tick SectoredL2::next_event() {
  Tick t = done_q_.empty() ? kNever : done_q_.top().time;
  for (const Slice& s : slices_) t = std::min(t, slice_next(s));
  if (down_) t = std::min(t, down_->next_event());
  return t;
}

void SectoredL2::enqueue_out(int i, Tick t, int32_t token_orig) {
  Slice& s = slices_[i];
  const std::vector<l2::Downstream>& out = s.pol.out();
  for (const l2::Downstream& d : out) {
    MemRequest r;
    r.id = next_id_++;
    r.addr = d.addr;
    r.bytes = d.bytes;
    r.is_write = d.is_write;
    r.channel = i;
    if (token_orig >= 0) {
      r.src = origs_[token_orig].req.src;
      r.tenant = origs_[token_orig].req.tenant;
    }
    s.mq.push_back(Pending{r, t + period_});  // leaves at the earliest one cycle after the tag lookup
    track_downstream(r.id, Inflight{i, d.kind, d.token});
  }
  note_occupancy(i);
}

void SectoredL2::track_downstream(int64_t id, const Inflight& f) {
  const int32_t k = inflight_pool_.take();
  inflight_pool_[k] = f;
  inflight_.put(id, k);
}

void SectoredL2::note_occupancy(int i) {
  Slice& s = slices_[i];
  int64_t occ = s.pol.occupancy_sectors();
  occ_total_ += occ - occ_last_[i];
  occ_last_[i] = occ;
  occ_max_ = std::max(occ_max_, occ_total_);
}

void SectoredL2::part_done(int32_t orig, Tick when) {
  Orig& o = origs_[orig];
  o.finish = std::max(o.finish, when);
  if (--o.remaining == 0) done_q_.push(Done{o.finish, seq_++, orig});
}

void SectoredL2::step_slice(int i, Tick t) {
  Slice& s = slices_[i];
  // 1) miss queue -> downstream, one request per L2 cycle (TOGSim Cache::cycle pops one miss-queue entry
  //    per cycle); a refused request stays at the head and is offered again next cycle
  if (!s.mq.empty() && s.next_send <= t && s.mq.front().ready <= t) {
    s.next_send = t + period_;
    if (down_ && down_->try_send(s.mq.front().req, t)) {
      (s.mq.front().req.is_write ? down_writes_ : down_reads_) += 1;
      s.mq.pop_front();
      if (s.blocked) {
        s.blocked = false;
        s.next_proc = std::max(s.next_proc, t);
      }
    }
  }
  // 2) one access through the data port: ceil(bytes / port width) cycles (the string's data_port_width,
  //    as AccelSim's BandwidthManagement charges data-port cycles); with no access waiting, a flush
  //    write-back reads its sector through the port instead
  if (s.in.empty()) { flush_step(i, t); return; }
  if (s.blocked || s.next_proc > t || s.in.front().ready > t) return;
  Access a = s.in.front();
  Orig& o = origs_[a.orig];
  int32_t cycles = std::max(1, (a.bytes + port_bytes_ - 1) / port_bytes_);
  if (o.bypass) {
    if ((int32_t)s.mq.size() >= mq_size_) { s.blocked = true; return; }
    MemRequest r = o.req;
    r.id = next_id_++;
    s.mq.push_back(Pending{r, t + period_});
    track_downstream(r.id, Inflight{i, kBypass, a.orig});
  } else {
    int64_t mq_free = (int64_t)mq_size_ - (int64_t)s.mq.size();
    int r = s.pol.access(a.addr, o.req.is_write, a.bytes, mq_free, ++s.stamp, a.orig);
    if (r == l2::kReservationFail) { s.blocked = true; return; }
    enqueue_out(i, t, a.orig);
    if (s.pol.done() == l2::kDoneNow) part_done(a.orig, t + hit_ps_);
  }
  s.in.pop_front();
  if (s.in.empty() || s.in.front().orig != a.orig) s.in_reqs -= 1;
  s.next_proc = t + (Tick)cycles * period_;
}

bool SectoredL2::flush_step(int i, Tick t) {
  Slice& s = slices_[i];
  if (s.fq.empty() || s.next_proc > t || s.flush_ready > t || (int32_t)s.mq.size() >= mq_size_) return false;
  const l2::Downstream& d = s.fq.front();
  MemRequest r;
  r.id = next_id_++;
  r.addr = d.addr;
  r.bytes = d.bytes;
  r.is_write = 1;
  r.channel = i;
  s.mq.push_back(Pending{r, t + period_});
  track_downstream(r.id, Inflight{i, l2::kWriteBack, -1});
  s.fq.pop_front();
  s.next_proc = t + (Tick)std::max(1, (d.bytes + port_bytes_ - 1) / port_bytes_) * period_;
  return true;
}

int64_t SectoredL2::flush(Tick now) {
  if (!down_) throw std::logic_error("SectoredL2::flush: set_downstream() was not called");
  int64_t n = 0;
  for (int i = 0; i < (int)slices_.size(); ++i) {
    Slice& s = slices_[i];
    s.pol.flush();
    const std::vector<l2::Downstream>& out = s.pol.out();
    if (out.empty()) continue;
    for (const l2::Downstream& d : out) s.fq.push_back(d);
    s.flush_ready = edge(now);
    n += (int64_t)out.size();
    note_occupancy(i);
  }
  return n;
}

void SectoredL2::on_downstream(const MemCompletion& c) {
  const int32_t k = inflight_.find(c.req.id);
  if (k < 0) throw std::logic_error("SectoredL2: completion of an unknown downstream request");
  const Inflight f = inflight_pool_[k];
  inflight_.erase(c.req.id);
  inflight_pool_.release(k);
  Slice& s = slices_[f.slice];
  Tick t = edge(c.time);
  if (s.blocked) {
    s.blocked = false;
    s.next_proc = std::max(s.next_proc, t);
  }
  switch (f.kind) {
    case l2::kFetch: {
      int n = s.pol.fill(c.req.addr, ++s.stamp);
      enqueue_out(f.slice, t, -1);  // write-backs of an allocate-on-fill eviction
      // filled waiters respond after the hit latency, as TOGSim sends filled requests through its
      // l2d_hit_latency delay queue (L2DataCache::cycle)
      for (int k = 0; k < n; ++k) part_done((int32_t)s.pol.released()[k], t + hit_ps_);
      break;
    }
    case l2::kForward: part_done((int32_t)f.token, t); break;
    case kBypass: part_done((int32_t)f.token, c.time); break;
    default: break;  // write-backs and posted writes need no response
  }
}

void SectoredL2::advance(Tick until, std::vector<MemCompletion>& done) {
  for (;;) {
    Tick ti = kNever;
    for (const Slice& s : slices_) ti = std::min(ti, slice_next(s));
    Tick td = down_ ? down_->next_event() : kNever;
    Tick t = std::min(ti, td);
    if (t > until) {
      if (!down_) break;
      dbuf_.clear();
      down_->advance(until, dbuf_);
      if (dbuf_.empty()) break;
      for (const MemCompletion& c : dbuf_) on_downstream(c);
      continue;
    }
    if (td <= t) {
      dbuf_.clear();
      down_->advance(t, dbuf_);
      for (const MemCompletion& c : dbuf_) on_downstream(c);
    }
    for (int i = 0; i < (int)slices_.size(); ++i)
      if (slice_next(slices_[i]) <= t) step_slice(i, t);
  }
  if (until > last_) last_ = until;
  while (!done_q_.empty() && done_q_.top().time <= until) {
    Done d = done_q_.top();
    done_q_.pop();
    done.push_back(MemCompletion{origs_[d.orig].req, d.time});
    origs_.release(d.orig);
  }
}

double SectoredL2::min_latency_ps() {
  double m = (double)hit_ps_;
  if (down_) m = std::min(m, down_->min_latency_ps());
  return m;
}

double SectoredL2::peak_bytes_per_ps() { return (double)port_bytes_ * slices_.size() / period_; }

std::string SectoredL2::stats_json() {
  int64_t acc = 0, hit = 0, miss = 0, lmiss = 0, smiss = 0, merge = 0, rf = 0, wb = 0, byp = 0, bypw = 0, fetch = 0;
  int64_t req = 0, dirty = 0, fwb = 0, fpend = 0;
  for (Slice& s : slices_) {
    acc += s.pol.accesses; hit += s.pol.hits; miss += s.pol.misses; lmiss += s.pol.line_misses;
    smiss += s.pol.sector_misses;
    merge += s.pol.mshr_merges; rf += s.pol.reservation_fails; wb += s.pol.writebacks; byp += s.bypassed;
    bypw += s.bypassed_writes;
    dirty += s.pol.dirty_sectors();
    fetch += s.pol.fetches; req += s.requests;
    fwb += s.pol.flush_writebacks; fpend += (int64_t)s.fq.size();
  }
  int64_t cap = slices_[0].pol.capacity_bytes() * (int64_t)slices_.size();
  std::ostringstream o;
  o << "{\"accesses\":" << acc << ",\"hits\":" << hit << ",\"misses\":" << miss << ",\"line_misses\":" << lmiss
    << ",\"sector_misses\":" << smiss
    << ",\"mshr_merges\":" << merge << ",\"reservation_fails\":" << rf << ",\"writebacks\":" << wb
    << ",\"flush_writebacks\":" << fwb << ",\"flush_pending\":" << fpend
    << ",\"capacity_bytes\":" << cap << ",\"max_occupancy_bytes\":" << occ_max_ * atom_
    << ",\"dirty_bytes\":" << dirty * atom_
    << ",\"requests\":" << req << ",\"bypassed\":" << byp << ",\"bypassed_reads\":" << byp - bypw
    << ",\"bypassed_writes\":" << bypw << ",\"fetches\":" << fetch
    << ",\"downstream_reads\":" << down_reads_ << ",\"downstream_writes\":" << down_writes_
    << ",\"hit_rate\":" << (acc ? (double)hit / acc : 0.0) << ",\"period_ps\":" << period_ << ",\"slices\":[";
  for (size_t i = 0; i < slices_.size(); ++i) {
    const Slice& s = slices_[i];
    const l2::L2Policy& p = s.pol;
    o << (i ? "," : "") << "{\"accesses\":" << p.accesses << ",\"hits\":" << p.hits << ",\"misses\":" << p.misses
      << ",\"line_misses\":" << p.line_misses << ",\"sector_misses\":" << p.sector_misses
      << ",\"mshr_merges\":" << p.mshr_merges
      << ",\"reservation_fails\":" << p.reservation_fails << ",\"writebacks\":" << p.writebacks
      << ",\"flush_writebacks\":" << p.flush_writebacks
      << ",\"requests\":" << s.requests << ",\"bypassed\":" << s.bypassed << ",\"read_bytes\":" << s.read_bytes
      << ",\"write_bytes\":" << s.write_bytes << ",\"max_occupancy_bytes\":" << p.max_occ * atom_ << "}";
  }
  o << "]}";
  return o.str();
}

}  // namespace npusim
