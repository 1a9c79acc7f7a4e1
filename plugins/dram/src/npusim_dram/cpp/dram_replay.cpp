// In-order trace replay against a DramDevice: a refused request blocks the ones behind it (Ramulator frontend).
#include "dram_replay.hpp"
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <type_traits>

namespace npusim {

void map_trace(const DramDevice& dev, const int64_t* addrs, int64_t n, int64_t* channel, int64_t* local) {
  for (int64_t i = 0; i < n; ++i) dev.map_global(addrs[i], channel[i], local[i]);
}

namespace {

// Completions of any MemoryDevice: advance() fills a vector that is then read back.
struct VectorDrain {
  std::vector<MemCompletion> done;
  template <class OnDone>
  void operator()(MemoryDevice& dev, Tick now, OnDone&& on_done) {
    done.clear();
    dev.advance(now, done);
    for (const MemCompletion& c : done) on_done(c.req, c.time);
  }
};

// Completions of a DramDevice taken in place, in the same order (no MemCompletion copies, direct calls).
struct DramDrain {
  template <class OnDone>
  void operator()(DramDevice& dev, Tick now, OnDone&& on_done) {
    dev.run_until(now);
    dev.collect(now, on_done);
  }
};

// Offer request `id` (its other MemRequest fields default): DramDevice::offer fills the queue entry directly.
inline bool send_one(DramDevice& dev, int32_t ch, int64_t addr, int32_t bytes, int32_t wr, int64_t id, Tick now) {
  return dev.offer(ch, addr, bytes, wr, id, now);
}
inline bool send_one(MemoryDevice& dev, int32_t ch, int64_t addr, int32_t bytes, int32_t wr, int64_t id, Tick now) {
  MemRequest q;
  q.id = id; q.addr = addr; q.bytes = bytes; q.is_write = wr; q.channel = ch;
  return dev.try_send(q, now);
}

template <class OnDone>
void lazy_offers(DramDevice& dev, const int64_t* channel, const int64_t* local, const int8_t* is_write, int64_t n,
                 int64_t req_bytes, ReplayResult& r, Tick& now, OnDone&& on_done);

template <class Dev, class Drain>
ReplayResult replay_loop(Dev& dev, Drain& drain, const int64_t* channel, const int64_t* local, const int8_t* is_write,
                         int64_t n, int64_t req_bytes, int64_t interval_ps, int64_t* done_out) {
  ReplayResult r;
  Tick now = 0;
  int64_t i = 0, completed = 0;
  int64_t lat_ps = 0;  // integer sum: the same total whatever order completions are collected in
  auto on_done = [&](const MemRequest& q, Tick time) {
    ++completed;
    if (done_out) done_out[q.id] = time;
    r.bytes += q.bytes;
    if (q.is_write) r.writes++;
    else { r.reads++; lat_ps += time - q.issue; }
    if (time > r.end_ps) r.end_ps = time;
  };
  if constexpr (std::is_same<Dev, DramDevice>::value) {
    if (interval_ps == 0) {
      lazy_offers(dev, channel, local, is_write, n, req_bytes, r, now, on_done);
      i = n;
      dev.run_until(now);  // every channel up to the last offer, then drain as below
    }
  }
  while (completed < n) {
    bool blocked = false;
    while (i < n) {
      const Tick offer = interval_ps > 0 ? i * interval_ps : 0;
      if (offer > now) break;
      if (!send_one(dev, (int32_t)channel[i], local[i], (int32_t)req_bytes, is_write[i] ? 1 : 0, i, now)) {
        blocked = true;
        r.refused++;
        break;
      }
      ++i;
    }
    Tick nxt = dev.next_event();
    if (i < n && !blocked && interval_ps > 0) nxt = std::min<Tick>(nxt, i * interval_ps);
    if (nxt == kNever) throw std::runtime_error("dram_replay: device idle with requests outstanding");
    if (nxt <= now) nxt = now + 1;
    now = nxt;
    drain(dev, now, on_done);
  }
  r.requests = n;
  r.read_lat_ps = (double)lat_ps;
  return r;
}

// As replay_loop on a DramDevice with requests offered as fast as accepted, with the same results, stepping
// channels lazily: replay_loop advances every channel to each event time `now` before offering at `now`;
// channels interact only through the in-order frontend, so a channel is advanced to `now` only when a
// request is offered to it, and a refused request's channel alone runs until it has room (replay_loop
// retries at every event time, and room appears only at a decision of that channel that issues to it).
// The loop itself is DramDevice::offer_lazy (offer() inlined there), called per chunk of requests.
template <class OnDone>
void lazy_offers(DramDevice& dev, const int64_t* channel, const int64_t* local, const int8_t* is_write, int64_t n,
                 int64_t req_bytes, ReplayResult& r, Tick& now, OnDone&& on_done) {
  std::vector<int64_t> ran_to((size_t)dev.num_channels(), 0);  // replay_loop offers at time 0 before any advance
  int64_t U = 0;  // floor(now / tck): the DRAM clock edge of the latest event time
  for (int64_t i = 0; i < n; i += 4096) {  // chunks keep the completion FIFOs short
    dev.offer_lazy(channel, local, is_write, i, std::min<int64_t>(n, i + 4096), (int32_t)req_bytes, ran_to.data(), U, now,
                   r.refused);
    dev.collect(now, on_done);
  }
}

}  // namespace

ReplayResult dram_replay(MemoryDevice& dev, const int64_t* channel, const int64_t* local, const int8_t* is_write,
                         int64_t n, int64_t req_bytes, int64_t interval_ps, int64_t* done_out) {
  auto t0 = std::chrono::steady_clock::now();
  ReplayResult r;
  if (auto* dram = dynamic_cast<DramDevice*>(&dev)) {
    DramDrain drain;
    r = replay_loop(*dram, drain, channel, local, is_write, n, req_bytes, interval_ps, done_out);
  } else {
    VectorDrain drain;
    drain.done.reserve(1024);
    r = replay_loop(dev, drain, channel, local, is_write, n, req_bytes, interval_ps, done_out);
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace npusim
