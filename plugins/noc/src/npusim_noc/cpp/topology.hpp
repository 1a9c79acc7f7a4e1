// Router/port graph of a BookSim-style topology (k-ary n-mesh/cube, k-ary n-fly, anynet) and its routing.
#pragma once
#include <string>
#include <vector>
#include "noc_params.hpp"

namespace npusim {

// One side of a channel: a router port, a terminal, or nothing (mesh edge).
enum PortKind { kNone = 0, kRouterPort = 1, kTerminalPort = 2 };

struct PortLink {
  int kind = kNone;
  int peer = -1;       // router id or terminal id at the other end
  int peer_port = -1;  // port index at the other router (unused for terminals)
  int latency = 1;     // channel latency in cycles
};

struct RouterPorts {
  std::vector<PortLink> in;   // in[p]: where input port p receives from
  std::vector<PortLink> out;  // out[p]: where output port p sends to
};

// A routing decision: output port and the output VC range [vc_lo, vc_hi].
struct Route {
  int port = -1, vc_lo = 0, vc_hi = 0;
};

class Topology {
 public:
  // Builds the topology; throws std::invalid_argument with a one-line message on bad parameters.
  explicit Topology(const NocParams& p);
  int num_routers() const { return (int)routers_.size(); }
  int num_terminals() const { return (int)inject_.size(); }
  const RouterPorts& router(int r) const { return routers_[r]; }
  int num_ports(int r) const { return (int)routers_[r].in.size(); }
  // (router, input port) a terminal injects into; (router, output port) it ejects from.
  std::pair<int, int> inject_at(int t) const { return inject_[t]; }
  std::pair<int, int> eject_at(int t) const { return eject_[t]; }
  // Routing function: dimension order (mesh/torus, dateline VC classes on torus), dest_tag (fly), min (anynet).
  // Inline table lookup where the choice depends only on (router, destination) (all but the torus).
  Route route(int r, int in_port, int in_vc, int dest) const {
    if (!port_tab_.empty()) {
      Route out;
      out.vc_hi = V_ - 1;
      out.port = port_tab_[(size_t)r * inject_.size() + dest];
      return out;
    }
    return compute_route(r, in_port, in_vc, dest);
  }
  Route compute_route(int r, int in_port, int in_vc, int dest) const;
  int max_latency() const { return max_lat_; }

 private:
  void build_cube(bool wrap);
  void build_cmesh();
  void build_fly();
  void build_anynet(const NocParams& p);
  void connect(int r, int op, int r2, int ip, int lat);
  NocParams p_;
  int V_;
  std::vector<RouterPorts> routers_;
  std::vector<std::pair<int, int>> inject_, eject_;
  std::vector<int> kpow_;            // k^d
  std::vector<int> coord_;           // cube: [router * n + d] coordinate (router r hosts terminal r)
  std::vector<int> anynet_next_;     // [router * T + terminal] -> output port
  std::vector<int> port_tab_;        // [router * T + terminal] -> output port (empty: compute per call)
  int max_lat_ = 1;
};

}  // namespace npusim
