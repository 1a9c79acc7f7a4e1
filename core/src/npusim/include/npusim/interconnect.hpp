// Kernel interface of an on-chip network between core DMA ports and memory channels.
#pragma once
#include "npusim/types.hpp"

namespace npusim {

// Nodes are numbered 0..num_nodes()-1. The engine maps core c, injection port p to node
// c*ports_per_core + p and memory channel m to node num_core_ports + m (see build_nodes()).
// Event-driven like MemoryDevice: try_send may refuse (injection queue full).
class Interconnect {
 public:
  virtual ~Interconnect() {}
  virtual int num_nodes() = 0;
  // Inject a packet at time `now`; false when the source's injection queue is full.
  virtual bool try_send(const Packet& pkt, Tick now) = 0;
  // Run the network up to and including `until`; append delivered packets to `out`.
  virtual void advance(Tick until, std::vector<PacketDelivery>& out) = 0;
  // Earliest time the network can make progress; kNever with nothing in flight.
  virtual Tick next_event() = 0;
  // Lower bound on the delivery latency of any packet, in ps.
  virtual double min_latency_ps() = 0;
  virtual std::string stats_json() = 0;
};

}  // namespace npusim
