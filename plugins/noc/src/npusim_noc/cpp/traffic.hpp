// Synthetic-traffic driver (BookSim-style latency runs): Bernoulli sources, warm-up, sample window, drain.
#pragma once
#include <cstdint>
#include <vector>
#include "noc_params.hpp"

namespace npusim {

enum TrafficPattern { kUniformTraffic = 0, kTransposeTraffic = 1, kBitcompTraffic = 2, kHotspotTraffic = 3 };

// One injection-rate point of a sweep (latencies in cycles, throughput in flits/node/cycle).
struct SweepPoint {
  double offered = 0, accepted = 0;
  double avg_packet_latency = 0, avg_network_latency = 0, avg_hops = 0;
  double zero_load_latency = 0;  // mean zero-load packet latency of the pattern (routing walk)
  int64_t measured_packets = 0, delivered_packets = 0;
  int64_t cycles = 0;            // cycles simulated
  int stable = 1;                // 0: sampled packets did not drain within the limit (saturated)
};

// Destination generator of a traffic pattern over `nodes` terminals (BookSim trafficmanager patterns).
class TrafficGen {
 public:
  TrafficGen(int pattern, int nodes, uint64_t seed, const std::vector<int>& hotspots, double hot_fraction);
  int dest(int src);
  double uniform();  // in [0, 1)

 private:
  uint64_t next();
  int pattern_, nodes_, bits_;
  uint64_t state_;
  std::vector<int> hot_;
  double hot_fraction_;
};

// Run one latency/throughput point on a fresh network built from `p`. `rate` is offered flits/node/cycle;
// packets of `packet_flits` flits arrive by a Bernoulli process with probability rate/packet_flits per cycle.
// Statistics cover packets created in [warmup, warmup + sample); the run continues (with traffic) until
// they are all delivered or `max_drain` more cycles passed (then stable = 0).
SweepPoint run_synthetic(const NocParams& p, int pattern, double rate, int packet_flits, int64_t warmup,
                         int64_t sample, uint64_t seed, const std::vector<int>& hotspots, double hot_fraction,
                         int64_t max_drain);

}  // namespace npusim
