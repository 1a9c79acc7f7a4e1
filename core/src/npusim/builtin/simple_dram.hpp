// Fixed-latency DRAM with PyTorchSim SimpleDRAM semantics: each channel starts one request of
// req_bytes per DRAM cycle and returns it latency_cycles later.
#pragma once
#include <queue>
#include <vector>
#include "npusim/memory.hpp"

namespace npusim {

class SimpleDram : public MemoryDevice {
 public:
  SimpleDram(int channels, double freq_mhz, int latency_cycles, int req_bytes, int queue_size);
  int num_channels() override { return (int)chan_.size(); }
  bool try_send(const MemRequest& req, Tick now) override;
  void advance(Tick until, std::vector<MemCompletion>& done) override;
  Tick next_event() override;
  double min_latency_ps() override { return (double)latency_ * period_; }
  double peak_bytes_per_ps() override { return (double)req_bytes_ * chan_.size() / period_; }
  std::string stats_json() override;

 private:
  struct Chan { int64_t next_free = 0, reads = 0, writes = 0, busy = 0, bytes = 0; double lat_sum = 0; };
  struct Pending { Tick time; int64_t seq; MemRequest req;
                   bool operator>(const Pending& o) const { return time != o.time ? time > o.time : seq > o.seq; } };
  std::vector<Chan> chan_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> inflight_;
  Tick period_;
  int64_t latency_, req_bytes_, queue_cycles_, seq_ = 0;
  Tick last_ = 0;
};

}  // namespace npusim
