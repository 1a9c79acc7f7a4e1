// Kernel interface of a memory device (DRAM or an L2 slice array in front of it).
#pragma once
#include "npusim/types.hpp"

namespace npusim {

// A memory device is event-driven: the engine offers requests with try_send (which may refuse
// when a queue is full: back-pressure), asks next_event() for the earliest time its state can
// change, and calls advance(until) to run it up to that time. Idle devices return kNever.
class MemoryDevice {
 public:
  virtual ~MemoryDevice() {}
  // Number of channels (requests carry channel 0..n-1).
  virtual int num_channels() = 0;
  // Offer a request at time `now`; false when the channel's queue is full (retry later).
  virtual bool try_send(const MemRequest& req, Tick now) = 0;
  // Run the device up to and including time `until`; append finished requests to `done`.
  virtual void advance(Tick until, std::vector<MemCompletion>& done) = 0;
  // Earliest time > last advance at which the device can make progress; kNever when idle.
  virtual Tick next_event() = 0;
  // Lower bound on the latency of any request, in ps (conformance: latency >= this).
  virtual double min_latency_ps() = 0;
  // Peak bandwidth of all channels together, in bytes per ps (conformance: achieved <= this).
  virtual double peak_bytes_per_ps() = 0;
  // Statistics as a JSON object string (per-channel lists where meaningful).
  virtual std::string stats_json() = 0;
};

// A cache sits in front of a downstream MemoryDevice; misses and write-backs go downstream.
class CacheDevice : public MemoryDevice {
 public:
  virtual ~CacheDevice() {}
  // Set the device that serves misses (called once before simulation).
  virtual void set_downstream(MemoryDevice* next) = 0;
  // End-of-run flush at time `now`: queue a write-back of every dirty line downstream (drained by
  // later advance() calls; next_event() stays finite until they are sent). Returns the number of
  // write-backs queued. Default: a cache that holds no dirty data has nothing to flush.
  virtual int64_t flush(Tick now) { (void)now; return 0; }
};

}  // namespace npusim
