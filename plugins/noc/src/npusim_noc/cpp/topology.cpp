#include "topology.hpp"
#include <algorithm>
#include <limits>
#include <queue>
#include <stdexcept>

namespace npusim {

Topology::Topology(const NocParams& p) : p_(p), V_(p.num_vcs) {
  if (p.k < 2) throw std::invalid_argument("k must be >= 2, got " + std::to_string(p.k));
  if (p.n < 1) throw std::invalid_argument("n must be >= 1, got " + std::to_string(p.n));
  if (p.channel_latency < 1) throw std::invalid_argument("channel_latency must be >= 1");
  kpow_.assign(p.n + 1, 1);
  for (int d = 1; d <= p.n; ++d) {
    kpow_[d] = kpow_[d - 1] * p.k;
    if (kpow_[d] > (1 << 20)) throw std::invalid_argument("k^n too large (more than 2^20 nodes)");
  }
  max_lat_ = p.channel_latency;
  switch (p.topology) {
    case kMesh: build_cube(false); break;
    case kTorus:
      if (V_ < 2) throw std::invalid_argument("torus needs num_vcs >= 2 (two dateline VC classes)");
      build_cube(true);
      break;
    case kFly: build_fly(); break;
    case kAnynet: build_anynet(p); break;
    case kCMesh: build_cmesh(); break;
    default: throw std::invalid_argument("unknown topology id " + std::to_string(p.topology));
  }
  // Routing that ignores the input port and VC (mesh DOR, dest_tag, anynet table) becomes one table lookup.
  const size_t R = routers_.size(), T = inject_.size();
  if (p.topology != kTorus && R * T <= ((size_t)1 << 22)) {
    std::vector<int> tab(R * T);
    for (size_t r = 0; r < R; ++r)
      for (size_t t = 0; t < T; ++t) tab[r * T + t] = compute_route((int)r, 0, 0, (int)t).port;
    port_tab_ = std::move(tab);
  }
}

void Topology::connect(int r, int op, int r2, int ip, int lat) {
  routers_[r].out[op] = PortLink{kRouterPort, r2, ip, lat};
  routers_[r2].in[ip] = PortLink{kRouterPort, r, op, lat};
  max_lat_ = std::max(max_lat_, lat);
}

// k-ary n-cube (BookSim KNCube): port 2d goes +1 in dimension d, 2d+1 goes -1, port 2n is the terminal.
void Topology::build_cube(bool wrap) {
  const int k = p_.k, n = p_.n, R = kpow_[n], P = 2 * n + 1, L = p_.channel_latency;
  routers_.assign(R, RouterPorts{std::vector<PortLink>(P), std::vector<PortLink>(P)});
  coord_.assign((size_t)R * n, 0);
  for (int r = 0; r < R; ++r)
    for (int d = 0; d < n; ++d) coord_[(size_t)r * n + d] = (r / kpow_[d]) % k;
  for (int r = 0; r < R; ++r) {
    for (int d = 0; d < n; ++d) {
      int c = (r / kpow_[d]) % k;
      if (c + 1 < k || wrap) connect(r, 2 * d, r + (((c + 1) % k) - c) * kpow_[d], 2 * d, L);
      if (c > 0 || wrap) connect(r, 2 * d + 1, r + (((c + k - 1) % k) - c) * kpow_[d], 2 * d + 1, L);
    }
    routers_[r].in[2 * n] = PortLink{kTerminalPort, r, -1, L};
    routers_[r].out[2 * n] = PortLink{kTerminalPort, r, -1, L};
    inject_.push_back({r, 2 * n});
    eject_.push_back({r, 2 * n});
  }
}

// Concentrated mesh (BookSim CMesh, n = 2): a k x k router grid, each router serving an xr x yr block of a
// (k*xr) x (k*yr) node grid; node a sits at column a % (k*xr), row a / (k*xr). Ports 0..c-1 are the router's
// nodes (row-major within the block), then +x, -x, +y, -y. The edge express channels of BookSim's CMesh
// are left out: dor_no_express never routes over them. With use_noc_latency a channel spans the block:
// xr cycles in x, yr in y (BookSim: _cX, _cY).
void Topology::build_cmesh() {
  const int k = p_.k, xr = p_.xr, yr = p_.yr, c = p_.c, R = k * k, P = c + 4, L = p_.channel_latency;
  if (p_.n != 2) throw std::invalid_argument("cmesh needs n = 2, got " + std::to_string(p_.n));
  if (xr < 1 || yr < 1 || c != xr * yr)
    throw std::invalid_argument("cmesh needs c = xr * yr, got c = " + std::to_string(c) + ", xr = " +
                                std::to_string(xr) + ", yr = " + std::to_string(yr));
  const int lx = p_.use_noc_latency ? xr : 1, ly = p_.use_noc_latency ? yr : 1;
  routers_.assign(R, RouterPorts{std::vector<PortLink>(P), std::vector<PortLink>(P)});
  for (int r = 0; r < R; ++r) {
    int x = r % k, y = r / k;
    if (x + 1 < k) connect(r, c + 0, r + 1, c + 1, lx);
    if (x > 0) connect(r, c + 1, r - 1, c + 0, lx);
    if (y + 1 < k) connect(r, c + 2, r + k, c + 3, ly);
    if (y > 0) connect(r, c + 3, r - k, c + 2, ly);
  }
  const int width = k * xr, T = c * R;
  inject_.assign(T, {0, 0});
  eject_.assign(T, {0, 0});
  for (int a = 0; a < T; ++a) {
    int col = a % width, row = a / width;
    int r = (row / yr) * k + col / xr, port = (row % yr) * xr + col % xr;
    routers_[r].in[port] = PortLink{kTerminalPort, a, -1, L};
    routers_[r].out[port] = PortLink{kTerminalPort, a, -1, L};
    inject_[a] = {r, port};
    eject_[a] = {r, port};
  }
}

// k-ary n-fly (butterfly): n stages of k^(n-1) k x k routers; stage s resolves destination digit n-1-s.
// Stage s router a, output p -> stage s+1 router a with digit (n-2-s) replaced by p, at input port = old digit.
void Topology::build_fly() {
  const int k = p_.k, n = p_.n, per = kpow_[n - 1], L = p_.channel_latency;
  routers_.assign(n * per, RouterPorts{std::vector<PortLink>(k), std::vector<PortLink>(k)});
  for (int s = 0; s + 1 < n; ++s) {
    int w = kpow_[n - 2 - s];
    for (int a = 0; a < per; ++a) {
      int digit = (a / w) % k;
      for (int p = 0; p < k; ++p) connect(s * per + a, p, (s + 1) * per + a + (p - digit) * w, digit, L);
    }
  }
  for (int t = 0; t < kpow_[n]; ++t) {
    int r0 = t / k, rl = (n - 1) * per + t / k;
    routers_[r0].in[t % k] = PortLink{kTerminalPort, t, -1, L};
    routers_[rl].out[t % k] = PortLink{kTerminalPort, t, -1, L};
    inject_.push_back({r0, t % k});
    eject_.push_back({rl, t % k});
  }
}

// anynet (BookSim topology file): each router gets one port per attached terminal (in terminal order),
// then one bidirectional port per neighbouring router (in neighbour order). Routing: minimum-latency
// paths (Dijkstra over channel latencies), ties broken towards the lowest port, as a static table.
void Topology::build_anynet(const NocParams& p) {
  const int T = (int)p.anynet_node_router.size();
  if (T == 0) throw std::invalid_argument("anynet: network_file lists no nodes");
  int R = 0;
  for (int r : p.anynet_node_router) R = std::max(R, r + 1);
  for (size_t i = 0; i + 2 < p.anynet_links.size(); i += 3)
    R = std::max(R, std::max(p.anynet_links[i], p.anynet_links[i + 1]) + 1);
  std::vector<std::vector<int>> terms(R), nbrs(R);
  for (int t = 0; t < T; ++t) terms[p.anynet_node_router[t]].push_back(t);
  for (size_t i = 0; i < p.anynet_links.size(); i += 3) {
    int a = p.anynet_links[i], b = p.anynet_links[i + 1];
    if (std::find(nbrs[a].begin(), nbrs[a].end(), b) == nbrs[a].end()) nbrs[a].push_back(b);
    if (std::find(nbrs[b].begin(), nbrs[b].end(), a) == nbrs[b].end()) nbrs[b].push_back(a);
  }
  routers_.resize(R);
  for (int r = 0; r < R; ++r) {
    std::sort(nbrs[r].begin(), nbrs[r].end());
    int P = (int)(terms[r].size() + nbrs[r].size());
    routers_[r].in.assign(P, PortLink{});
    routers_[r].out.assign(P, PortLink{});
  }
  inject_.assign(T, {0, 0});
  eject_.assign(T, {0, 0});
  for (int r = 0; r < R; ++r)
    for (size_t i = 0; i < terms[r].size(); ++i) {
      int t = terms[r][i];
      routers_[r].in[i] = PortLink{kTerminalPort, t, -1, p_.channel_latency};
      routers_[r].out[i] = PortLink{kTerminalPort, t, -1, p_.channel_latency};
      inject_[t] = {r, (int)i};
      eject_[t] = {r, (int)i};
    }
  auto port_of = [&](int r, int nb) {
    return (int)terms[r].size() + (int)(std::lower_bound(nbrs[r].begin(), nbrs[r].end(), nb) - nbrs[r].begin());
  };
  // default latency 1 in both directions; an explicit weight sets one direction (BookSim anynet semantics)
  for (int r = 0; r < R; ++r)
    for (int nb : nbrs[r]) connect(r, port_of(r, nb), nb, port_of(nb, r), 1);
  for (size_t i = 0; i < p.anynet_links.size(); i += 3) {
    int a = p.anynet_links[i], b = p.anynet_links[i + 1], lat = p.anynet_links[i + 2];
    if (lat < 1) throw std::invalid_argument("anynet: link latency must be >= 1");
    connect(a, port_of(a, b), b, port_of(b, a), lat);
  }
  // shortest distances to every destination router (reverse Dijkstra), then next-hop table
  const int64_t INF = std::numeric_limits<int64_t>::max() / 4;
  anynet_next_.assign((size_t)R * T, -1);
  std::vector<int64_t> dist(R);
  for (int dr = 0; dr < R; ++dr) {
    if (terms[dr].empty()) continue;
    std::fill(dist.begin(), dist.end(), INF);
    dist[dr] = 0;
    std::priority_queue<std::pair<int64_t, int>, std::vector<std::pair<int64_t, int>>, std::greater<>> pq;
    pq.push({0, dr});
    while (!pq.empty()) {
      auto [d, v] = pq.top();
      pq.pop();
      if (d != dist[v]) continue;
      for (auto& in : routers_[v].in)  // predecessor u sends to v over channel with latency in.latency
        if (in.kind == kRouterPort && d + in.latency < dist[in.peer]) {
          dist[in.peer] = d + in.latency;
          pq.push({dist[in.peer], in.peer});
        }
    }
    for (int r = 0; r < R; ++r) {
      int best = -1;
      int64_t bd = INF;
      if (r != dr) {
        for (int q = 0; q < (int)routers_[r].out.size(); ++q) {
          const auto& o = routers_[r].out[q];
          if (o.kind == kRouterPort && dist[o.peer] < INF && o.latency + dist[o.peer] < bd) {
            bd = o.latency + dist[o.peer];
            best = q;
          }
        }
      }
      for (int t : terms[dr]) anynet_next_[(size_t)r * T + t] = (r == dr) ? eject_[t].second : best;
    }
  }
  for (int s = 0; s < T; ++s)
    for (int t = 0; t < T; ++t)
      if (anynet_next_[(size_t)inject_[s].first * T + t] < 0)
        throw std::invalid_argument("anynet: node " + std::to_string(t) + " unreachable from node " +
                                    std::to_string(s));
}

Route Topology::compute_route(int r, int in_port, int in_vc, int dest) const {
  Route out;
  out.vc_lo = 0;
  out.vc_hi = V_ - 1;
  if (p_.topology == kFly) {  // dest_tag: stage s takes output = destination digit n-1-s
    int per = kpow_[p_.n - 1], s = r / per;
    out.port = (dest / kpow_[p_.n - 1 - s]) % p_.k;
    return out;
  }
  if (p_.topology == kAnynet) {
    out.port = anynet_next_[(size_t)r * num_terminals() + dest];
    return out;
  }
  if (p_.topology == kCMesh) {  // dor_no_express: x first, then y, then the destination's node port
    const int k = p_.k, dr = eject_[dest].first;
    const int cx = r % k, cy = r / k, dx = dr % k, dy = dr / k, c = p_.c;
    out.port = cx < dx ? c + 0 : cx > dx ? c + 1 : cy < dy ? c + 2 : cy > dy ? c + 3 : eject_[dest].second;
    return out;
  }
  // dimension-order routing on k-ary n-cube: lowest differing dimension first
  const int k = p_.k, n = p_.n;
  const int* rc = &coord_[(size_t)r * n];
  const int* dc = &coord_[(size_t)dest * n];
  for (int d = 0; d < n; ++d) {
    int c = rc[d], t = dc[d];
    if (c == t) continue;
    bool plus;
    if (p_.topology == kMesh) {
      plus = t > c;
      out.port = plus ? 2 * d : 2 * d + 1;
      return out;
    }
    int fwd = (t - c + k) % k;
    plus = fwd <= k - fwd;  // shorter way round; ties go +
    out.port = plus ? 2 * d : 2 * d + 1;
    // Dateline VC classes (Dally & Seitz): class 0 = lower half of VCs, class 1 = upper half. A packet
    // enters each dimension in class 0 and moves to class 1 when it crosses the wraparound link.
    int half = V_ / 2;
    bool same_dim = in_port < 2 * n && in_port / 2 == d;
    int cls = (same_dim && in_vc >= half) ? 1 : 0;
    if ((plus && c == k - 1) || (!plus && c == 0)) cls = 1;
    out.vc_lo = cls ? half : 0;
    out.vc_hi = cls ? V_ - 1 : half - 1;
    return out;
  }
  out.port = 2 * n;  // arrived: eject
  return out;
}

}  // namespace npusim
