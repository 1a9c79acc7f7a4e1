// Memory-side sectored L2 (AccelSim/GPGPU-Sim style): one slice per memory channel in front of a
// downstream MemoryDevice. Event-driven: a slice only acts on L2 clock edges where it has input,
// a miss-queue entry to send, or a blocked access that a fill/ack/send may have unblocked.
#pragma once
#include <queue>
#include <string>
#include <vector>

#include "l2_policy.hpp"
#include "npusim/memory.hpp"
#include "ring.hpp"

namespace npusim {

class SectoredL2 : public CacheDevice {
 public:
  // channels: slices (= memory channels); freq_mhz: L2 clock; hit_latency: L2 cycles from lookup (or
  // fill) to response; miss_queue: entries per slice towards the downstream; input_queue: requests
  // that may wait per slice before try_send refuses; port_bytes: bytes a slice reads/writes per cycle.
  SectoredL2(int channels, const l2::Params& p, double freq_mhz, int hit_latency, int miss_queue,
             int input_queue, int port_bytes);
  void set_downstream(MemoryDevice* next) override;
  int num_channels() override { return (int)slices_.size(); }
  bool try_send(const MemRequest& req, Tick now) override;
  void advance(Tick until, std::vector<MemCompletion>& done) override;
  Tick next_event() override;
  double min_latency_ps() override;
  double peak_bytes_per_ps() override;
  std::string stats_json() override;
  // End-of-run flush: every dirty sector of every slice is queued for write-back; the write-backs go
  // through the data port (one sector per ceil(sector / port) cycles, after pending accesses) into the
  // miss queue when it has room, then downstream (back-pressure as for misses). Returns how many were queued.
  int64_t flush(Tick now) override;
  // Policy object of slice `ch` (functional state; for tests and debugging).
  l2::L2Policy& slice_policy(int ch) { return slices_[ch].pol; }

 private:
  struct Access { int32_t orig; int64_t addr; int32_t bytes; Tick ready; };
  struct Orig { MemRequest req; int32_t remaining = 0; Tick finish = 0; int32_t bypass = 0; };
  struct Pending { MemRequest req; Tick ready; };                 // miss-queue entry
  struct Inflight { int32_t slice; int32_t kind; int64_t token; }; // downstream id -> meaning
  struct Slice {
    explicit Slice(const l2::Params& p) : pol(p) {}
    l2::L2Policy pol;
    l2::Ring<Access> in;
    l2::Ring<Pending> mq;
    int32_t in_reqs = 0;       // original requests with accesses still in `in`
    Tick next_proc = 0;        // first edge the data port is free
    Tick next_send = 0;        // first edge the miss queue may send again
    bool blocked = false;      // head access failed its reservation; wait for a fill/ack/send
    l2::Ring<l2::Downstream> fq;  // flush write-backs not yet in the miss queue
    Tick flush_ready = 0;      // first edge the flush write-backs may leave
    int64_t stamp = 0;
    int64_t bypassed = 0, bypassed_writes = 0, bypass_bytes = 0, requests = 0, read_bytes = 0, write_bytes = 0;
  };
  struct Done {
    Tick time; int64_t seq; int32_t orig;
    bool operator>(const Done& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };

  Tick slice_next(const Slice& s) const;
  void step_slice(int i, Tick t);
  void on_downstream(const MemCompletion& c);
  void part_done(int32_t orig, Tick when);
  int32_t new_orig(const MemRequest& req, Tick now, int32_t parts, int32_t bypass);
  void enqueue_out(int i, Tick t, int32_t token_orig);
  void note_occupancy(int i);
  void track_downstream(int64_t id, const Inflight& f);  // remember what downstream request id means
  bool flush_step(int i, Tick t);
  Tick edge(Tick t) const { return next_edge(t, period_); }

  std::vector<Slice> slices_;
  l2::SlotPool<Orig> origs_;
  l2::FlatMap inflight_;                  // downstream id -> slot in inflight_pool_
  l2::SlotPool<Inflight> inflight_pool_;
  std::priority_queue<Done, std::vector<Done>, std::greater<Done>> done_q_;
  std::vector<MemCompletion> dbuf_;
  MemoryDevice* down_ = nullptr;
  Tick period_, hit_ps_;
  int32_t mq_size_, in_size_, port_bytes_, atom_;
  int64_t next_id_ = int64_t(1) << 62, seq_ = 0;
  int64_t occ_total_ = 0, occ_max_ = 0, down_reads_ = 0, down_writes_ = 0;
  std::vector<int64_t> occ_last_;
  Tick last_ = -1;  // last time advanced to (-1: never)
};

}  // namespace npusim
