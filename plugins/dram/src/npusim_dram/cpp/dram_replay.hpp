// Trace replay loop (C++ hot path of `npusim mem replay`): offers global-address requests to a DramDevice
// in order at a fixed interval (or as fast as accepted) and drains it.
#pragma once
#include "dram_device.hpp"

namespace npusim {

struct ReplayResult {
  int64_t requests = 0, reads = 0, writes = 0, bytes = 0, refused = 0;
  Tick end_ps = 0;          // completion time of the last request
  double read_lat_ps = 0;   // sum of read latencies (send -> completion)
  double wall_s = 0;        // wall-clock seconds spent in the loop
};

// Global addresses -> channel and channel-local address with the device's address mapping.
void map_trace(const DramDevice& dev, const int64_t* addrs, int64_t n, int64_t* channel, int64_t* local);

// Replays n requests (channel, local address, is_write) of req_bytes each on any MemoryDevice;
// interval_ps = 0 offers them as fast as the device accepts. When done_out is not null, done_out[i] receives
// the completion time (ps) of request i (for determinism / equivalence checks).
ReplayResult dram_replay(MemoryDevice& dev, const int64_t* channel, const int64_t* local, const int8_t* is_write,
                         int64_t n, int64_t req_bytes, int64_t interval_ps, int64_t* done_out);

}  // namespace npusim
