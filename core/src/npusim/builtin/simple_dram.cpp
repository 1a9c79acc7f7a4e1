#include "simple_dram.hpp"
#include <sstream>

namespace npusim {

SimpleDram::SimpleDram(int channels, double freq_mhz, int latency_cycles, int req_bytes, int queue_size)
    : chan_(channels), period_(period_ps(freq_mhz)), latency_(latency_cycles), req_bytes_(req_bytes),
      queue_cycles_(queue_size) {}

bool SimpleDram::try_send(const MemRequest& req, Tick now) {
  Chan& c = chan_[req.channel];
  int64_t cyc = next_edge(now, period_) / period_;
  // Back-pressure: at most queue_size requests may wait for their start cycle.
  if (c.next_free - cyc >= queue_cycles_) return false;
  int64_t nreq = (req.bytes + req_bytes_ - 1) / req_bytes_;
  int64_t start = c.next_free > cyc ? c.next_free : cyc;
  c.next_free = start + nreq;
  c.busy += nreq;
  c.bytes += req.bytes;
  (req.is_write ? c.writes : c.reads) += 1;
  Tick done = (start + nreq - 1 + latency_) * period_;
  c.lat_sum += (double)(done - now);
  Pending p{done, seq_++, req};
  p.req.issue = now;
  inflight_.push(p);
  return true;
}

void SimpleDram::advance(Tick until, std::vector<MemCompletion>& done) {
  while (!inflight_.empty() && inflight_.top().time <= until) {
    done.push_back(MemCompletion{inflight_.top().req, inflight_.top().time});
    inflight_.pop();
  }
  if (until > last_) last_ = until;
}

Tick SimpleDram::next_event() { return inflight_.empty() ? kNever : inflight_.top().time; }

std::string SimpleDram::stats_json() {
  std::ostringstream o;
  o << "{\"period_ps\":" << period_ << ",\"channels\":[";
  for (size_t i = 0; i < chan_.size(); ++i) {
    const Chan& c = chan_[i];
    int64_t n = c.reads + c.writes;
    o << (i ? "," : "") << "{\"reads\":" << c.reads << ",\"writes\":" << c.writes << ",\"bytes\":" << c.bytes
      << ",\"busy_cycles\":" << c.busy << ",\"avg_latency_ps\":" << (n ? c.lat_sum / n : 0.0)
      << ",\"row_hits\":0,\"row_misses\":0,\"row_conflicts\":0}";
  }
  o << "]}";
  return o.str();
}

}  // namespace npusim
