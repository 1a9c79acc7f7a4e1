// Common POD types shared by the engine and every C++ component: time base, memory requests, packets.
#pragma once
#include <cstdint>
#include <climits>
#include <cmath>
#include <string>
#include <vector>

namespace npusim {

// Global simulated time, in picoseconds. Every clock domain converts its cycles to/from Tick.
using Tick = int64_t;
constexpr Tick kNever = INT64_MAX;

// Clock period in picoseconds for a frequency in MHz (rounded to the nearest ps).
inline Tick period_ps(double mhz) { return (Tick)std::llround(1.0e6 / mhz); }

// Smallest multiple of `period` that is >= t (the next clock edge of a domain at or after t).
inline Tick next_edge(Tick t, Tick period) { return ((t + period - 1) / period) * period; }

// One memory transaction (a DMA burst of `bytes` contiguous bytes inside one channel).
// `channel` is chosen by the engine's channel interleaving; `addr` is the channel-local byte
// address (the global address with the interleave bits removed). Components may split a
// transaction into device-sized accesses internally but complete it exactly once.
struct MemRequest {
  int64_t id = 0;       // unique per simulation, assigned by the engine
  int64_t addr = 0;     // channel-local byte address
  int32_t bytes = 0;    // transaction size in bytes
  int32_t is_write = 0; // 0 = read (DMA load), 1 = write (DMA store)
  int32_t src = 0;      // issuing core id
  int32_t channel = 0;  // memory channel 0..num_channels-1
  int32_t tenant = 0;   // partition / tenant id (for per-tenant stats)
  int32_t flags = 0;    // bit 0: cacheable (persistent L2 plan); other bits reserved
  Tick issue = 0;       // time the request entered the component
  int64_t owner = 0;    // opaque to components (returned unchanged): the engine's DMA instruction slot
};

// A finished memory transaction and the time it finished.
struct MemCompletion {
  MemRequest req;
  Tick time = 0;
};

// One network packet carrying a memory request (request path) or its response (response path).
struct Packet {
  int64_t id = 0;         // unique per simulation
  int32_t src = 0;        // source node
  int32_t dst = 0;        // destination node
  int32_t bytes = 0;      // payload bytes (sets the number of flits)
  int32_t is_response = 0;
  MemRequest req;         // the memory request this packet belongs to
};

// A packet that reached its destination node, and when.
struct PacketDelivery {
  Packet pkt;
  Tick time = 0;
};

// Latency of one compute tile, in core cycles.
//  latency:   cycles from start until the result is in the output buffer
//  occupancy: cycles the unit is busy before it can start the next tile (<= latency when the
//             unit pipelines consecutive tiles, e.g. a systolic array preloading the next weights)
struct TileTiming {
  int64_t latency = 0;
  int64_t occupancy = 0;
};

}  // namespace npusim
