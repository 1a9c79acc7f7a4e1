// Fixed-latency interconnect with PyTorchSim SimpleInterconnect semantics: latency_cycles per
// packet, FIFO per (src,dst), each destination accepts one packet per NoC cycle.
#pragma once
#include <queue>
#include <vector>
#include "npusim/interconnect.hpp"

namespace npusim {

class SimpleNoc : public Interconnect {
 public:
  SimpleNoc(int nodes, double freq_mhz, int latency_cycles);
  int num_nodes() override { return (int)dst_free_.size(); }
  bool try_send(const Packet& pkt, Tick now) override;
  void advance(Tick until, std::vector<PacketDelivery>& out) override;
  Tick next_event() override;
  double min_latency_ps() override { return (double)latency_ * period_; }
  std::string stats_json() override;

 private:
  struct InFlight { Tick time; int64_t seq; Packet pkt;
                    bool operator>(const InFlight& o) const { return time != o.time ? time > o.time : seq > o.seq; } };
  std::vector<int64_t> dst_free_;  // next NoC cycle each destination can accept
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<InFlight>> q_;
  Tick period_;
  int64_t latency_, seq_ = 0, packets_ = 0, bytes_ = 0;
  double lat_sum_ = 0;
};

}  // namespace npusim
