#include "simple_noc.hpp"
#include <sstream>

namespace npusim {

SimpleNoc::SimpleNoc(int nodes, double freq_mhz, int latency_cycles)
    : dst_free_(nodes, 0), period_(period_ps(freq_mhz)), latency_(latency_cycles) {}

bool SimpleNoc::try_send(const Packet& pkt, Tick now) {
  int64_t cyc = next_edge(now, period_) / period_;
  int64_t arrive = cyc + latency_;
  int64_t& free = dst_free_[pkt.dst];
  int64_t deliver = arrive > free ? arrive : free;  // destination takes one packet per cycle
  free = deliver + 1;
  Tick t = deliver * period_;
  q_.push(InFlight{t, seq_++, pkt});
  packets_ += 1;
  bytes_ += pkt.bytes;
  lat_sum_ += (double)(t - now);
  return true;
}

void SimpleNoc::advance(Tick until, std::vector<PacketDelivery>& out) {
  while (!q_.empty() && q_.top().time <= until) {
    out.push_back(PacketDelivery{q_.top().pkt, q_.top().time});
    q_.pop();
  }
}

Tick SimpleNoc::next_event() { return q_.empty() ? kNever : q_.top().time; }

std::string SimpleNoc::stats_json() {
  std::ostringstream o;
  o << "{\"packets\":" << packets_ << ",\"bytes\":" << bytes_
    << ",\"avg_latency_ps\":" << (packets_ ? lat_sum_ / packets_ : 0.0) << "}";
  return o.str();
}

}  // namespace npusim
