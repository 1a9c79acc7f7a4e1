// Parameters of the BookSim-style network (filled from a BookSim config file by npusim_noc.booksim_config).
#pragma once
#include <cstdint>
#include <vector>

namespace npusim {

// Topologies and allocators understood by BookSimNetwork (names as in BookSim 2 config files).
enum NocTopology { kMesh = 0, kTorus = 1, kFly = 2, kAnynet = 3, kCMesh = 4 };
enum NocAllocator { kIslip = 0, kSeparableInputFirst = 1, kSeparableOutputFirst = 2 };

// Defaults are BookSim 2's (src/booksim_config.cpp) where the key exists there.
struct NocParams {
  int topology = kTorus;        // BookSim default topology = torus
  int k = 8, n = 2;             // radix / dimensions (BookSim defaults k=8, n=2)
  int c = 1, xr = 1, yr = 1;    // cmesh concentration: c = xr x yr terminals per router (BookSim c, xr, yr)
  int use_noc_latency = 1;      // cmesh: router-router channels take xr (x) / yr (y) cycles (BookSim default 1)
  int num_vcs = 16;             // BookSim default num_vcs = 16
  int vc_buf_size = 8;          // flits per VC buffer (BookSim default 8)
  int wait_for_tail_credit = 0; // reallocate an output VC only after the tail's credit returned
  int routing_delay = 1, vc_alloc_delay = 1, sw_alloc_delay = 1, st_final_delay = 1;  // cycles
  int credit_delay = 0;         // extra cycles before a credit leaves the router (BookSim default 0)
  int vc_allocator = kIslip, sw_allocator = kIslip;  // BookSim default islip for both
  int alloc_iters = 1;
  int input_speedup = 1, output_speedup = 1;  // crossbar ports per router port
  double internal_speedup = 1.0;              // switch-allocation rounds per cycle
  int hold_switch_for_packet = 0;  // keep a switch connection for the rest of a packet once granted
  int speculative = 0;            // switch allocation in parallel with VC allocation (lower priority)
  int channel_latency = 1;      // cycles per router-router and terminal-router channel (BookSim channels: 1)
  int flit_size = 32;           // bytes per flit (gpgpu-sim/PyTorchSim icnt key flit_size)
  int inject_queue_flits = -1;  // source queue capacity in flits (-1 = unbounded)
  int latency_cycles = 0;       // fixed extra latency added to every packet (PyTorchSim icnt_latency)
  double freq_mhz = 1000.0;     // network clock
  std::vector<int> node_terminal;  // engine node -> topology terminal
  std::vector<int> anynet_node_router;  // anynet: terminal -> router
  std::vector<int> anynet_links;        // anynet: (src router, dst router, latency) triples, directed
};

}  // namespace npusim
