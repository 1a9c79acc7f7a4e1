#include "traffic.hpp"
#include <stdexcept>
#include "booksim_net.hpp"

namespace npusim {

TrafficGen::TrafficGen(int pattern, int nodes, uint64_t seed, const std::vector<int>& hotspots, double hot_fraction)
    : pattern_(pattern), nodes_(nodes), bits_(0), state_(seed * 0x9E3779B97F4A7C15ULL + 1), hot_(hotspots),
      hot_fraction_(hot_fraction) {
  while ((1 << bits_) < nodes) ++bits_;
  if ((pattern == kTransposeTraffic || pattern == kBitcompTraffic) && (1 << bits_) != nodes)
    throw std::invalid_argument("transpose/bitcomp traffic needs a power-of-two node count, got " +
                                std::to_string(nodes));
  if (pattern == kTransposeTraffic && bits_ % 2)
    throw std::invalid_argument("transpose traffic needs an even number of node-address bits (4, 16, 64, ... nodes)");
  if (pattern == kHotspotTraffic && hot_.empty()) throw std::invalid_argument("hotspot traffic needs hotspot nodes");
  for (int h : hot_)
    if (h < 0 || h >= nodes) throw std::invalid_argument("hotspot node " + std::to_string(h) + " out of range");
}

uint64_t TrafficGen::next() {  // splitmix64: portable, same stream on every platform
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double TrafficGen::uniform() { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }

int TrafficGen::dest(int src) {
  switch (pattern_) {
    case kTransposeTraffic: {  // swap the upper and lower halves of the address bits (BookSim transpose)
      int h = bits_ / 2, mask = (1 << h) - 1;
      return ((src >> h) & mask) | ((src & mask) << h);
    }
    case kBitcompTraffic: return ~src & (nodes_ - 1);
    case kHotspotTraffic:
      if (uniform() < hot_fraction_) return hot_[(size_t)(uniform() * hot_.size())];
      return (int)(uniform() * nodes_);
    default: return (int)(uniform() * nodes_);  // uniform random, source included (as BookSim)
  }
}

SweepPoint run_synthetic(const NocParams& p, int pattern, double rate, int packet_flits, int64_t warmup,
                         int64_t sample, uint64_t seed, const std::vector<int>& hotspots, double hot_fraction,
                         int64_t max_drain) {
  if (packet_flits < 1) throw std::invalid_argument("packet_size must be >= 1");
  double prob = rate / packet_flits;
  if (prob < 0 || prob > 1) throw std::invalid_argument("injection rate must be in 0..packet_size flits/node/cycle");
  NocParams q = p;
  q.node_terminal.clear();
  q.inject_queue_flits = -1;  // sources queue without bound, as BookSim's
  q.latency_cycles = 0;
  BookSimNetwork net(q);
  const int T = net.num_terminals();
  TrafficGen gen(pattern, T, seed, hotspots, hot_fraction);
  SweepPoint pt;
  pt.offered = rate;
  // mean zero-load latency of the pattern
  {
    double zl = 0;
    if (pattern == kUniformTraffic || pattern == kHotspotTraffic) {
      double uni = 0, hot = 0;
      for (int s = 0; s < T; ++s) {
        for (int d = 0; d < T; ++d) uni += (double)net.zero_load_cycles(s, d, packet_flits);
        for (int h : hotspots) hot += (double)net.zero_load_cycles(s, h, packet_flits);
      }
      uni /= (double)T * T;
      hot = hotspots.empty() ? 0 : hot / ((double)T * hotspots.size());
      zl = pattern == kHotspotTraffic ? hot_fraction * hot + (1 - hot_fraction) * uni : uni;
    } else {
      for (int s = 0; s < T; ++s) zl += (double)net.zero_load_cycles(s, gen.dest(s), packet_flits);
      zl /= T;
    }
    pt.zero_load_latency = zl;
  }
  const int64_t end_sample = warmup + sample;
  const int64_t queue_limit = (int64_t)T * 4096;  // runaway source queues: the point is saturated
  int64_t c = 0;
  for (;; ++c) {
    if (c == warmup) net.reset_stats();
    bool measured = c >= warmup && c < end_sample;
    for (int s = 0; s < T; ++s)
      if (gen.uniform() < prob) net.inject_terminal(s, gen.dest(s), packet_flits, c, measured);
    net.step_cycle();
    if (c + 1 == end_sample) pt.accepted = (double)net.window_flits_ejected / ((double)T * sample);
    if (c + 1 >= end_sample && net.measured_outstanding == 0) break;
    if (c + 1 >= end_sample + max_drain || net.queued_packets() > queue_limit) {
      pt.stable = 0;
      if (c + 1 < end_sample) {  // stopped inside warm-up or sample: throughput over the cycles seen
        int64_t span = c >= warmup ? c + 1 - warmup : c + 1;
        pt.accepted = (double)net.window_flits_ejected / ((double)T * span);
      }
      break;
    }
  }
  pt.cycles = c + 1;
  pt.measured_packets = net.measured_done + net.measured_outstanding;
  pt.delivered_packets = net.measured_done;
  if (net.measured_done > 0) {
    pt.avg_packet_latency = net.measured_plat / net.measured_done;
    pt.avg_network_latency = net.measured_nlat / net.measured_done;
    pt.avg_hops = net.measured_hops / net.measured_done;
  }
  return pt;
}

}  // namespace npusim
