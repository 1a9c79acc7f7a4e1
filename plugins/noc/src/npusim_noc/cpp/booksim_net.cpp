#include "booksim_net.hpp"
#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace npusim {

static constexpr int kInfCredits = 1 << 30;  // terminals always accept ejected flits (BookSim sinks)

BookSimNetwork::BookSimNetwork(const NocParams& p)
    : p_(p), topo_(p), V_(p.num_vcs), B_(p.vc_buf_size), S_((int)std::ceil(p.internal_speedup)),
      period_(period_ps(p.freq_mhz)) {
  auto bad = [](const std::string& m) { throw std::invalid_argument(m); };
  if (V_ < 1 || V_ > 64) bad("num_vcs must be in 1..64");
  if (B_ < 1) bad("vc_buf_size must be >= 1");
  if (p.routing_delay < 0 || p.vc_alloc_delay < 0 || p.sw_alloc_delay < 0 || p.st_final_delay < 0 ||
      p.credit_delay < 0)
    bad("router delays must be >= 0");
  if (p.input_speedup < 1 || p.output_speedup < 1 || !(p.internal_speedup > 0)) bad("speedups must be >= 1");
  if (p.flit_size < 1) bad("flit_size must be >= 1");
  if (p.freq_mhz <= 0) bad("freq_mhz must be > 0");
  if ((V_ & (V_ - 1)) == 0) vshift_ = __builtin_ctz(V_);
  unit_speedup_ = p.internal_speedup == 1.0;
  vmask_ = V_ == 64 ? ~0ULL : (1ULL << V_) - 1;
  const int T = topo_.num_terminals();
  term_node_.assign(T, -1);
  for (int i = 0; i < (int)p.node_terminal.size(); ++i) {
    int t = p.node_terminal[i];
    if (t < 0 || t >= T || term_node_[t] >= 0) bad("node_terminal: bad or duplicate terminal for node " + std::to_string(i));
    term_node_[t] = i;
  }
  const int isp = p.input_speedup, osp = p.output_speedup;
  routers_.resize(topo_.num_routers());
  // Each router's per-port and per-VC state lives in one contiguous block of arena_ (pmask words, ports,
  // input VCs, output VCs), so a router step touches a few adjacent cache lines instead of scattered arrays.
  auto words = [](size_t bytes) { return (bytes + 63) / 64 * 8; };  // 64-byte aligned, in uint64 units
  std::vector<size_t> at(routers_.size() + 1, 0);
  for (int r = 0; r < topo_.num_routers(); ++r) {
    const size_t P = topo_.num_ports(r);
    const size_t PVB = P * V_ * B_;
    at[r + 1] = at[r] + words(((P + 63) / 64) * 8 + P * sizeof(PortState) + P * V_ * (sizeof(InVC) + sizeof(OutVC)) +
                              PVB * sizeof(int64_t) + (PVB * sizeof(Flit) + 7) / 8 * 8);
  }
  arena_.assign(at.back() + 8, 0);
  uint64_t* base = arena_.data() + ((64 - (reinterpret_cast<uintptr_t>(arena_.data()) & 63)) & 63) / 8;
  for (int r = 0; r < topo_.num_routers(); ++r) {
    Router& R = routers_[r];
    R.P = topo_.num_ports(r);
    unsigned char* b = reinterpret_cast<unsigned char*>(base + at[r]);
    R.pmask = reinterpret_cast<uint64_t*>(b);
    b += ((R.P + 63) / 64) * 8;
    R.ps = reinterpret_cast<PortState*>(b);
    for (int q = 0; q < R.P; ++q) new (&R.ps[q]) PortState{};
    b += R.P * sizeof(PortState);
    R.in = reinterpret_cast<InVC*>(b);
    for (int i = 0; i < R.P * V_; ++i) new (&R.in[i]) InVC{};
    b += R.P * V_ * sizeof(InVC);
    R.out = reinterpret_cast<OutVC*>(b);
    for (int i = 0; i < R.P * V_; ++i) new (&R.out[i]) OutVC{};
    for (int q = 0; q < R.P; ++q) {
      int kind = topo_.router(r).out[q].kind;
      for (int v = 0; v < V_; ++v) R.out[q * V_ + v].credits = kind == kRouterPort ? B_ : kind == kTerminalPort ? kInfCredits : 0;
    }
    b += R.P * V_ * sizeof(OutVC);
    const size_t PVB = (size_t)R.P * V_ * B_;
    R.cring = reinterpret_cast<int64_t*>(b);  // arena_ starts zeroed
    b += PVB * sizeof(int64_t);
    R.buf = reinterpret_cast<Flit*>(b);
    for (size_t i = 0; i < PVB; ++i) new (&R.buf[i]) Flit{0, 0, 0, 0, 0};
    for (int q = 0; q < R.P; ++q) R.ps[q].freevc = V_ == 64 ? ~0ULL : (1ULL << V_) - 1;
    R.va = Allocator(p.vc_allocator, p.alloc_iters, R.P * V_, R.P * V_);
    R.sa = Allocator(p.sw_allocator, p.alloc_iters, R.P * isp, R.P * osp);
  }
  size_t maxpv = 1;
  for (auto& R : routers_) maxpv = std::max(maxpv, (size_t)R.P * V_);
  reqs_.resize(maxpv * V_);  // VA: each input VC may request every VC of its output port
  sreqs_.resize(2 * maxpv);  // SA: at most one request per input VC, plus one speculative per head
  held_.resize(maxpv);
  spec_.resize(maxpv);
  hold_ = p.hold_switch_for_packet != 0;
  spec_on_ = p.speculative != 0;
  if (spec_on_ && (p.vc_alloc_delay != p.sw_alloc_delay || p.vc_alloc_delay < 1))
    bad("speculative = 1 needs vc_alloc_delay == sw_alloc_delay >= 1 (the two allocations run in parallel)");
  for (auto& R : routers_) {
    R.hold_vc.assign((size_t)R.P * isp, -1);
    R.hold_in.assign((size_t)R.P * isp, -1);
    R.hold_out.assign((size_t)R.P * osp, -1);
  }
  va_seg_.resize(maxpv + 1);
  grants_.reset(maxpv * V_ + 2 * maxpv);
  sources_.resize(T);
  for (auto& s : sources_) {
    s.vcs.assign(V_, OutVC{B_, -1, false, 0, 0});
    s.cring.assign((size_t)V_ * B_, 0);
  }
  int64_t horizon = p.sw_alloc_delay + p.st_final_delay + p.credit_delay + topo_.max_latency() + 4;
  int64_t W = 64;
  while (W < 2 * horizon) W *= 2;
  wheel_.resize(W);
  wheel_mask_ = W - 1;
}

BookSimNetwork::~BookSimNetwork() {}

int BookSimNetwork::new_packet() {
  if (free_pkt_ >= 0) {
    int i = free_pkt_;
    free_pkt_ = pkts_[i].next_free;
    pkts_[i] = PktRec{};
    return i;
  }
  pkts_.emplace_back();
  return (int)pkts_.size() - 1;
}

__attribute__((always_inline)) inline void BookSimNetwork::schedule(int64_t when, const Ev& e) {
  if (e.type == kFlitArrive || e.type == kEject) ++flit_events_;
  ++wheel_events_;
  if (when - cycle_ <= wheel_mask_) wheel_[when & wheel_mask_].push_back(e);
  else far_.emplace(when, e);
}

int BookSimNetwork::inject_terminal(int src, int dst, int flits, int64_t create, bool measured) {
  int id = new_packet();
  PktRec& k = pkts_[id];
  k.src = src;
  k.dst = dst;
  k.flits = flits < 1 ? 1 : flits;
  k.create = create < cycle_ ? cycle_ : create;
  k.measured = measured;
  if (measured) ++measured_outstanding;
  Source& s = sources_[src];
  s.q.push_back(id);
  s.queued_flits += k.flits;
  ++queued_packets_;
  if (!s.active) {
    s.active = true;
    active_sources_.push_back(src);
  }
  return id;
}

bool BookSimNetwork::try_send(const Packet& pkt, Tick now) {
  const int N = num_nodes();
  if (pkt.src < 0 || pkt.src >= N || pkt.dst < 0 || pkt.dst >= N)
    throw std::out_of_range("BookSimNetwork: packet node out of range 0.." + std::to_string(N - 1));
  int flits = pkt.bytes > 0 ? (pkt.bytes + p_.flit_size - 1) / p_.flit_size : 1;
  int s = p_.node_terminal[pkt.src];
  Source& src = sources_[s];
  if (p_.inject_queue_flits >= 0 && src.queued_flits > 0 && src.queued_flits + flits > p_.inject_queue_flits)
    return false;
  // the packet reaches the source at the first network clock edge at or after `now` that the network
  // has not simulated yet (advance(until) includes the edge at `until`)
  int64_t create = next_edge(now, period_) / period_;
  int id = inject_terminal(s, p_.node_terminal[pkt.dst], flits, create, false);
  pkts_[id].pkt = pkt;
  pkts_[id].external = true;
  pkts_[id].sent_ps = now;
  return true;
}

void BookSimNetwork::front_changed(int r, int iv, int64_t when) {
  Router& R = routers_[r];
  InVC& v = R.in[iv];
  const Flit& f = R.buf[(size_t)iv * B_ + v.head];
  if (f.head) {
    Route rt = topo_.route(r, vport(iv), vvc(iv), f.dst);
    v.state = 1;
    v.out_port = rt.port;
    v.vc_lo = rt.vc_lo;
    v.vc_hi = rt.vc_hi;
    v.vc_mask = (rt.vc_hi == 63 ? ~0ULL : (1ULL << (rt.vc_hi + 1)) - 1) & ~((1ULL << rt.vc_lo) - 1);
    v.ready = stage_done(when, p_.routing_delay);
  } else if (v.ready < when) {
    v.ready = when;
  }
}

void BookSimNetwork::deliver(int id, int64_t when, int hops) {
  PktRec& k = pkts_[id];
  double plat = (double)(when - k.create + p_.latency_cycles), nlat = (double)(when - k.inject + p_.latency_cycles);
  ++packets_;
  plat_sum_ += plat;
  nlat_sum_ += nlat;
  hops_sum_ += hops;
  plat_max_ = std::max(plat_max_, (int64_t)plat);
  if (k.measured) {
    ++measured_done;
    --measured_outstanding;
    measured_plat += plat;
    measured_nlat += nlat;
    measured_hops += hops;
  }
  if (k.external) {
    Tick t = (when + p_.latency_cycles) * period_;
    bytes_ += k.pkt.bytes;
    ps_sum_ += (double)(t - k.sent_ps);
    ready_.push_back(PacketDelivery{k.pkt, t});
  }
  k.next_free = free_pkt_;
  free_pkt_ = id;
}

void BookSimNetwork::process_events() {
  while (!far_.empty() && far_.begin()->first - cycle_ <= wheel_mask_) {
    wheel_[far_.begin()->first & wheel_mask_].push_back(far_.begin()->second);
    far_.erase(far_.begin());
  }
  auto& slot = wheel_[cycle_ & wheel_mask_];
  for (size_t i = 0; i < slot.size(); ++i) {
    const Ev e = slot[i];
    if (i + 1 < slot.size() && slot[i + 1].type == kFlitArrive) {  // the next arrival's input VC and buffer
      const Ev& nx = slot[i + 1];
      const Router& N = routers_[nx.a];
      const int niv = nx.b * V_ + nx.c;
      __builtin_prefetch(&N.in[niv]);
      __builtin_prefetch(&N.buf[(size_t)niv * B_]);
    }
    switch (e.type) {
      case kFlitArrive: {
        --flit_events_;
        Router& R = routers_[e.a];
        int iv = e.b * V_ + e.c;
        InVC& v = R.in[iv];
        int slot_i = v.head + v.count;
        R.buf[(size_t)iv * B_ + (slot_i >= B_ ? slot_i - B_ : slot_i)] = e.f;
        ++v.count;
        ++R.flits;
        if (!R.active) {
          R.active = true;
          active_routers_.push_back(e.a);
        }
        if (v.count == 1) {
          R.ps[e.b].busy |= 1ULL << e.c;
          R.pmask[e.b >> 6] |= 1ULL << (e.b & 63);
          front_changed(e.a, iv, cycle_ * S_);
          int64_t w = std::max(cycle_, step_cycle_of(v.ready));
          if (w < R.wake) R.wake = w;
        }
        break;
      }
      case kEject: {
        --flit_events_;
        --in_flight_flits_;
        ++flits_;
        ++window_flits_ejected;
        if (e.f.tail) deliver(e.f.pkt, cycle_, e.f.hops);
        break;
      }
    }
  }
  wheel_events_ -= (int64_t)slot.size();
  slot.clear();
}

void BookSimNetwork::run_sources() {
  const int64_t c = cycle_;
  size_t keep = 0;
  for (size_t i = 0; i < active_sources_.size(); ++i) {
    int s = active_sources_[i];
    Source& S = sources_[s];
    if (S.cur < 0) {
      if (S.q.empty()) {
        S.active = false;
        continue;
      }
      int id = S.q.front();
      int vc = -1;
      if (pkts_[id].create <= c) {
        for (int j = 0; j < V_; ++j) {  // round-robin over free injection VCs with a credit
          int cand = S.rr + j >= V_ ? S.rr + j - V_ : S.rr + j;
          settle(S.vcs[cand], &S.cring[(size_t)cand * B_]);
          if (S.vcs[cand].owner < 0 && S.vcs[cand].credits > 0) {
            vc = cand;
            break;
          }
        }
      }
      if (vc >= 0) {
        S.rr = vc + 1 == V_ ? 0 : vc + 1;
        S.cur = id;
        S.seq = 0;
        S.vc = vc;
        S.vcs[vc].owner = 0;
        S.q.pop_front();
        pkts_[id].inject = c;
      }
    }
    if (S.cur >= 0) settle(S.vcs[S.vc], &S.cring[(size_t)S.vc * B_]);
    if (S.cur >= 0 && S.vcs[S.vc].credits > 0) {
      OutVC& o = S.vcs[S.vc];
      PktRec& k = pkts_[S.cur];
      --o.credits;
      Flit f{S.cur, k.dst, 0, (int8_t)(S.seq == 0), (int8_t)(S.seq == k.flits - 1)};
      auto at = topo_.inject_at(s);
      schedule(c + topo_.router(at.first).in[at.second].latency, Ev{kFlitArrive, at.first, at.second, S.vc, f});
      --S.queued_flits;
      ++in_flight_flits_;
      ++S.seq;
      if (f.tail) {
        if (p_.wait_for_tail_credit) o.tail_pending = true, o.release_at = kNever;
        else o.owner = -1;
        S.cur = -1;
        --queued_packets_;
      }
    }
    active_sources_[keep++] = s;
  }
  active_sources_.resize(keep);
}

// Internal steps (BookSim Router::Evaluate): internal_speedup steps per cycle, accumulated like BookSim's
// _partial_internal_cycles; each step routes, allocates VCs and the switch once.
__attribute__((always_inline)) inline void BookSimNetwork::run_router(int r) {
  Router& R = routers_[r];
  const int64_t c = cycle_;
  if (R.wake > c) return;  // every buffered flit is still in a routing/allocation delay
  bool again = false;
  int64_t wake_u = kNever;
  if (unit_speedup_) {
    router_step(r, c, again, wake_u);
  } else {
    R.sa_credit += p_.internal_speedup;
    int steps = (int)R.sa_credit;
    R.sa_credit -= steps;
    if (steps > S_) steps = S_;
    if (steps == 0) {
      R.wake = c + 1;
      return;
    }
    for (int s = 0; s < steps; ++s) router_step(r, c * S_ + s, again, wake_u);
  }
  R.wake = again ? c + 1 : (wake_u == kNever ? kNever : std::max(c + 1, step_cycle_of(wake_u)));
}

// One internal step at substep u (cycle u / S_). `again`/`wake_u` report, for the VCs still holding flits
// after the step, whether one must retry next step (lost an allocation, no credit) or its ready substep.
void BookSimNetwork::router_step(int r, int64_t u, bool& again_out, int64_t& wake_out) {
  Router& R = routers_[r];
  const int isp = p_.input_speedup, osp = p_.output_speedup;
  bool again = false;     // locals, not the references: keeps them in registers across stores
  int64_t wake_u = kNever;
  // One pass over the VCs holding flits, each port visited round-robin from the VC after its last switch
  // grant (among VCs of a port that request the same output the first visited wins the allocator's tie):
  // heads with a route request output VCs, VCs owning an output VC with a credit request the switch.
  int nva = 0, nsa = 0;  // requests in reqs_ / sreqs_ (preallocated for the worst case)
  AllocRequest* va = reqs_.data();
  AllocRequest* sa = sreqs_.data();
  int va_requesters = 0;
  bool va_blocked = false;
  uint64_t va_ports = 0;   // output ports requested in VC allocation this step
  uint64_t sa_ins = 0, sa_outs = 0;  // switch inputs / outputs requested this step
  bool sa_shared = false;            // two switch requests share an input or an output
  auto add_sa = [&](AllocRequest* q, int& n, const AllocRequest& a) {
    q[n++] = a;
    if (a.in >= 64 || a.out >= 64 || (sa_ins >> a.in & 1) || (sa_outs >> a.out & 1)) sa_shared = true;
    sa_ins |= a.in < 64 ? 1ULL << a.in : 0;
    sa_outs |= a.out < 64 ? 1ULL << a.out : 0;
  };
  bool va_shared = false;  // two heads request VCs of the same output port
  int nheld = 0, nspec = 0;  // held-connection VCs in held_, speculative switch requests in spec_
  const int nwords = (R.P + 63) >> 6;
  for (int w = 0; w < nwords; ++w)
  for (uint64_t pm = R.pmask[w]; pm; pm &= pm - 1) {
    const int port = w * 64 + __builtin_ctzll(pm);
    const uint64_t m = R.ps[port].busy;
    const int ptr = R.ps[port].vc_ptr;
    // VCs in round-robin order from ptr: rotate the busy mask right by ptr within num_vcs bits
    uint64_t rot = ptr ? ((m >> ptr) | (m << (V_ - ptr))) & vmask_ : m;
    {
      for (; rot; rot &= rot - 1) {
        int vc = __builtin_ctzll(rot) + ptr;
        if (vc >= V_) vc -= V_;
        const int iv = port * V_ + vc;
        InVC& v = R.in[iv];
        if (v.ready > u) {
          if (v.ready < wake_u) wake_u = v.ready;
          continue;
        }
        if (v.state == 1) {
          const int op = v.out_port, base = op * V_;
          const uint64_t range = v.vc_mask;
          for (uint64_t tp = R.ps[op].tailp & range; tp; tp &= tp - 1) release_if_back(R, op, __builtin_ctzll(tp));
          uint64_t cand = R.ps[op].freevc & range;
          if (cand) {
            if (op >= 64 || (va_ports >> op & 1)) va_shared = true;
            else va_ports |= 1ULL << op;
            va_seg_[va_requesters] = nva;
          }
          for (uint64_t c2 = cand; c2; c2 &= c2 - 1) va[nva++] = AllocRequest{iv, base + __builtin_ctzll(c2), iv};
          if (spec_on_ && cand) {
            // speculative switch bid, placed only if a candidate output VC has a credit (BookSim defaults
            // spec_check_elig = spec_check_cred = 1) and no held connection blocks the input or output
            bool cred = false;
            for (uint64_t c2 = cand; c2 && !cred; c2 &= c2 - 1) {
              OutVC& o = R.out[base + __builtin_ctzll(c2)];
              if (o.credits == 0) settle(o, &R.cring[(size_t)(base + __builtin_ctzll(c2)) * B_]);
              cred = o.credits > 0;
            }
            const int ein = port * isp + (isp == 1 ? 0 : vc % isp), eout = op * osp + (osp == 1 ? 0 : port % osp);
            if (cred && !(hold_ && (R.hold_in[ein] >= 0 || R.hold_out[eout] >= 0))) {
              bool dup = false;  // an earlier VC of this input already bid for this output speculatively
              for (int j = 0; j < nspec && !dup; ++j) dup = spec_[j].in == ein && spec_[j].out == eout;
              if (!dup) spec_[nspec++] = AllocRequest{ein, eout, iv, -1};
            }
          }
          if (!cand) {  // every candidate output VC is taken: retry when one can be released
            va_blocked = true;
            // (a VC still owned by a packet is released by this router's own switch grant of its tail)
            for (uint64_t tp = R.ps[op].tailp & range; tp; tp &= tp - 1) {
              int64_t rel = R.out[base + __builtin_ctzll(tp)].release_at;
              if (rel != kNever) wake_u = std::min(wake_u, rel * S_);
            }
          }
          else ++va_requesters;
        } else {
          int ov = v.out_port * V_ + v.out_vc;
          OutVC& o = R.out[ov];
          if (hold_) {
            const int ein = port * isp + (isp == 1 ? 0 : vc % isp), eout = v.out_port * osp + (osp == 1 ? 0 : port % osp);
            if (R.hold_vc[ein] == vc) {  // this VC owns a held crossbar connection
              held_[nheld++] = iv;
              continue;
            }
            if (R.hold_in[ein] >= 0 || R.hold_out[eout] >= 0) {  // input or output held by another packet
              again = true;
              continue;
            }
          }
          if (o.credits == 0) settle(o, &R.cring[(size_t)ov * B_]);
          if (o.credits > 0)
            add_sa(sa, nsa, AllocRequest{port * isp + (isp == 1 ? 0 : vc % isp), v.out_port * osp + (osp == 1 ? 0 : port % osp), iv});
          else if (o.pend_count)  // waiting for a credit already on its way back
            wake_u = std::min(wake_u, R.cring[(size_t)ov * B_ + o.pend_head] * S_);
          // else: the downstream router lowers our wake-up when it frees a slot (credit_later)
        }
      }
    }
  }
  // VC allocation
  if (nva) {
    if (!va_shared) {
      // Heads bidding for different output ports compete for nothing: the request graph splits into one
      // component per head, where every allocator policy reduces to that head's own round-robin choice.
      va_seg_[va_requesters] = nva;
      R.va.allocate_per_input(va, va_seg_.data(), va_requesters, grants_);
    } else {
      R.va.allocate(va, nva, grants_);
    }
    if (grants_.size() < va_requesters) again = true;
    for (int g : grants_) {
      const AllocRequest& q = va[g];
      int iv = q.in;
      InVC& v = R.in[iv];
      v.out_vc = vvc(q.out);
      R.out[q.out].owner = iv;
      R.ps[v.out_port].freevc &= ~(1ULL << v.out_vc);
      v.state = 2;
      v.ready = stage_done(u, p_.vc_alloc_delay);
      if (v.ready > u) {
        if (v.ready < wake_u) wake_u = v.ready;
      } else if ((settle(R.out[q.out], &R.cring[(size_t)q.out * B_]), R.out[q.out].credits > 0)) {
        // zero VC-allocation delay: bid for the switch now
        int port = vport(iv);
        add_sa(sa, nsa, AllocRequest{port * isp + (isp == 1 ? 0 : vvc(iv) % isp), v.out_port * osp + (osp == 1 ? 0 : port % osp), iv});
      } else {
        again = true;
      }
    }
  }
  // speculative switch requests (BookSim spec_sw_allocator = prio): one per input-output pair, and none
  // where a non-speculative request for the same pair exists; they lose every tie to non-speculative ones
  for (int i = 0; i < nspec; ++i) {
    const AllocRequest& q = spec_[i];
    bool dup = false;
    for (int j = 0; j < nsa && !dup; ++j) dup = sa[j].in == q.in && sa[j].out == q.out;
    if (!dup) add_sa(sa, nsa, q);
  }
  if (!nsa && !nheld) {
    again_out = again;
    wake_out = wake_u;
    return;
  }
  // switch allocation and traversal
  const RouterPorts& ports = topo_.router(r);
  // Moves the front flit of input VC iv through the crossbar; `sa_delay` is the switch-allocation stage it
  // completes. Returns true when the flit was not a tail and more flits wait behind it (switch hold).
  auto traverse = [&](int iv, int sa_delay) __attribute__((always_inline)) -> bool {
    int port = vport(iv), vc = vvc(iv);
    InVC& v = R.in[iv];
    Flit f = R.buf[(size_t)iv * B_ + v.head];
    v.head = v.head + 1 == B_ ? 0 : v.head + 1;
    --v.count;
    --R.flits;
    int op = v.out_port;
    OutVC& o = R.out[op * V_ + v.out_vc];
    --o.credits;
    // the flit leaves the input buffer when switch allocation completes: its credit goes upstream
    int64_t sa_done = stage_done(u, sa_delay), st_done = stage_done(sa_done, p_.st_final_delay);
    const PortLink& up = ports.in[port];
    int64_t credit_at = step_cycle_of(sa_done - 1) + 1 + p_.credit_delay + up.latency;
    if (up.kind == kRouterPort) {
      Router& U = routers_[up.peer];
      int ov = up.peer_port * V_ + vc;
      credit_later(U.out[ov], &U.cring[(size_t)ov * B_], credit_at);
      if (credit_at < U.wake) U.wake = credit_at;  // a VC of the upstream router may wait for this credit
    } else {
      Source& S = sources_[up.peer];
      credit_later(S.vcs[vc], &S.cring[(size_t)vc * B_], credit_at);
    }
    // after traversal the output channel takes one flit per cycle
    int64_t depart = std::max(step_cycle_of(st_done - 1) + 1, R.ps[op].port_free);
    R.ps[op].port_free = depart + 1;
    ++R.ps[port].xbar_flits;
    const PortLink& dn = ports.out[op];
    if (dn.kind == kRouterPort) {
      ++R.ps[op].link_flits;
      ++f.hops;  // every flit of a packet takes the same channels; the tail's count is the packet's
      schedule(depart + dn.latency, Ev{kFlitArrive, dn.peer, dn.peer_port, v.out_vc, f});
    } else {
      // the destination reads its ejection channel one cycle after the flit arrives: BookSim 2
      // retires flits at the start of the next _Step, so its zero-load latency is H*(pipeline+1)+F+1
      schedule(depart + dn.latency + 1, Ev{kEject, dn.peer, 0, 0, f});
    }
    if (f.tail) {
      if (p_.wait_for_tail_credit && dn.kind == kRouterPort) {
        o.tail_pending = true;
        o.release_at = kNever;
        R.ps[op].tailp |= 1ULL << v.out_vc;
      } else {
        o.owner = -1;
        R.ps[op].freevc |= 1ULL << v.out_vc;
        if (va_blocked && u + 1 < wake_u) wake_u = u + 1;  // a head waiting for an output VC may take it
      }
    }
    if (v.count > 0) {
      if (f.tail) front_changed(r, iv, u + 1);
      else v.ready = u + 1;
      if (v.ready < wake_u) wake_u = v.ready;
      return !f.tail;
    }
    R.ps[port].busy &= ~(1ULL << vc);
    if (!R.ps[port].busy) R.pmask[port >> 6] &= ~(1ULL << (port & 63));
    if (f.tail) v.state = 0;
    else v.ready = u + 1;
    return false;
  };
  if (nsa) {
    if (sa_shared) R.sa.allocate(sa, nsa, grants_);
    else R.sa.grant_all(sa, nsa, grants_);  // no two requests compete: every policy grants them all
    if (grants_.size() < nsa) again = true;
  } else {
    grants_.clear();
  }
  for (int g : grants_) {
    const int iv = sa[g].tag, vc = vvc(iv);
    R.ps[vport(iv)].vc_ptr = vc + 1 == V_ ? 0 : vc + 1;  // BookSim moves _sw_rr_offset on every grant
    if (sa[g].pri < 0) {
      // speculative grant: it stands only if VC allocation succeeded in this same step and the output VC
      // has a credit (BookSim IQRouter::_SWAllocEvaluate); otherwise the crossbar slot is wasted
      InVC& v = R.in[iv];
      if (v.state != 2) {
        again = true;
        continue;
      }
      const int ov = v.out_port * V_ + v.out_vc;
      settle(R.out[ov], &R.cring[(size_t)ov * B_]);
      if (R.out[ov].credits == 0) {
        again = true;
        continue;
      }
    }
    bool more = traverse(iv, p_.sw_alloc_delay);
    if (more && hold_) {  // hold_switch_for_packet: keep this input-output connection for the packet
      const int port = vport(iv), ein = port * isp + (isp == 1 ? 0 : vc % isp);
      const int eout = sa[g].out;
      R.hold_vc[ein] = vc;
      R.hold_in[ein] = eout;
      R.hold_out[eout] = ein;
    }
  }
  // held connections (BookSim _SWHoldUpdate): the flit crosses without allocation, in one step
  for (int i = 0; i < nheld; ++i) {
    const int iv = held_[i], port = vport(iv), vc = vvc(iv);
    const int ein = port * isp + (isp == 1 ? 0 : vc % isp), eout = R.hold_in[ein];
    const InVC& v = R.in[iv];
    const int ov = v.out_port * V_ + v.out_vc;
    if (R.out[ov].credits == 0) settle(R.out[ov], &R.cring[(size_t)ov * B_]);
    bool keep = false;
    if (R.out[ov].credits > 0) keep = traverse(iv, 1);  // the connection ends with the tail or an empty VC
    else again = true;  // no credit: the hold is dropped and the VC bids for the switch again next step
    if (!keep) {
      R.hold_vc[ein] = -1;
      R.hold_in[ein] = -1;
      R.hold_out[eout] = -1;
    }
  }
  again_out = again;
  wake_out = wake_u;
}

void BookSimNetwork::step_cycle() {
  process_events();
  if (!active_sources_.empty()) run_sources();
  size_t keep = 0;
  for (size_t i = 0; i < active_routers_.size(); ++i) {
    int r = active_routers_[i];
    if (i + 1 < active_routers_.size()) {  // start loading the next router's state while this one runs
      const Router& N = routers_[active_routers_[i + 1]];
      __builtin_prefetch(N.pmask);
      __builtin_prefetch(N.in);
      __builtin_prefetch(N.in + 2);
    }
    run_router(r);
    if (routers_[r].flits > 0) active_routers_[keep++] = r;
    else routers_[r].active = false;
  }
  active_routers_.resize(keep);
  ++cycle_;
}

bool BookSimNetwork::idle() const {
  return active_routers_.empty() && queued_packets_ == 0 && flit_events_ == 0;
}

// Earliest cycle >= cycle_ at which anything can happen (kNever when nothing is pending at all).
int64_t BookSimNetwork::earliest_work() const {
  int64_t best = kNever;
  for (int r : active_routers_) best = std::min(best, std::max(cycle_, routers_[r].wake));
  if (best == cycle_) return best;
  for (int s : active_sources_) {
    const Source& S = sources_[s];
    int64_t t = S.cur >= 0 ? cycle_ : (S.q.empty() ? kNever : std::max(cycle_, pkts_[S.q.front()].create));
    best = std::min(best, t);
  }
  if (best == cycle_) return best;
  if (!far_.empty()) best = std::min(best, far_.begin()->first);
  if (wheel_events_ > (int64_t)far_.size()) {  // events inside the wheel's horizon
    int64_t lim = std::min<int64_t>(best, cycle_ + wheel_mask_ + 1);
    for (int64_t t = cycle_; t < lim; ++t)
      if (!wheel_[t & wheel_mask_].empty()) return t;
  }
  return best;
}

void BookSimNetwork::advance(Tick until, std::vector<PacketDelivery>& out) {
  const int64_t last = until / period_;  // cycles whose edge is at or before `until`
  while (cycle_ <= last) {
    int64_t t = earliest_work();
    if (t > last) {  // nothing can happen until after `until`: skip the empty cycles
      cycle_ = last + 1;
      break;
    }
    cycle_ = t;
    step_cycle();
  }
  while (!ready_.empty() && ready_.front().time <= until) {
    out.push_back(ready_.front());
    ready_.pop_front();
  }
}

Tick BookSimNetwork::next_event() {
  Tick t = ready_.empty() ? kNever : ready_.front().time;
  if (in_flight_flits_ > 0 || queued_packets_ > 0) {
    int64_t c = earliest_work();
    if (c != kNever) t = std::min(t, c * period_);
  }
  return t;
}

// Cycle a flit that reaches an idle router at cycle `a` arrives on the far side of its output channel
// (latency `lat`): routing, VC allocation, switch allocation and traversal in internal steps.
int64_t BookSimNetwork::router_transit(int64_t a, int lat) const {
  int64_t u = stage_done(a * S_, p_.routing_delay);
  if (!spec_on_) u = stage_done(u, p_.vc_alloc_delay);  // speculative: switch allocation overlaps it
  u = stage_done(stage_done(u, p_.sw_alloc_delay), p_.st_final_delay);
  return (u - 1) / S_ + 1 + lat;
}

double BookSimNetwork::min_latency_ps() {
  // shortest path: injection channel, 1 router (n stages for a butterfly), ejection channel, terminal read
  int routers = p_.topology == kFly ? p_.n : 1;
  int64_t t = p_.channel_latency;
  for (int i = 0; i < routers; ++i) t = router_transit(t, p_.channel_latency);
  return (double)((t + 1 + p_.latency_cycles) * period_);
}

int64_t BookSimNetwork::zero_load_cycles(int src, int dst, int flits) const {
  auto at = topo_.inject_at(src);
  int r = at.first, ip = at.second, vc = 0;
  int64_t t = topo_.router(r).in[ip].latency;
  for (int guard = 0; guard < 1 << 20; ++guard) {
    Route rt = topo_.route(r, ip, vc, dst);
    const PortLink& l = topo_.router(r).out[rt.port];
    t = router_transit(t, l.latency);
    if (l.kind != kRouterPort) break;
    vc = rt.vc_lo;
    ip = l.peer_port;
    r = l.peer;
  }
  return t + 1 + (flits < 1 ? 0 : flits - 1) + p_.latency_cycles;  // +1: terminal reads the ejection channel
}

void BookSimNetwork::reset_stats() {
  stat_start_ = cycle_;
  packets_ = flits_ = bytes_ = plat_max_ = 0;
  plat_sum_ = nlat_sum_ = hops_sum_ = ps_sum_ = 0;
  window_flits_ejected = 0;
  for (auto& R : routers_) {
    for (int q = 0; q < R.P; ++q) R.ps[q].link_flits = R.ps[q].xbar_flits = 0;
  }
}

std::string BookSimNetwork::stats_json() {
  double cyc = (double)std::max<int64_t>(1, cycle_ - stat_start_);
  double rmin = 1e300, rmax = 0, rsum = 0, lmax = 0, lsum = 0;
  int64_t links = 0;
  for (int r = 0; r < (int)routers_.size(); ++r) {
    const Router& R = routers_[r];
    int64_t x = 0;
    for (int q = 0; q < R.P; ++q) {
      x += R.ps[q].xbar_flits;
      if (topo_.router(r).out[q].kind == kRouterPort) {
        double u = R.ps[q].link_flits / cyc;
        lsum += u;
        lmax = std::max(lmax, u);
        ++links;
      }
    }
    double u = x / (cyc * R.P);
    rmin = std::min(rmin, u);
    rmax = std::max(rmax, u);
    rsum += u;
  }
  double np = packets_ ? (double)packets_ : 1.0;
  std::ostringstream o;
  o << "{\"packets\":" << packets_ << ",\"flits\":" << flits_ << ",\"bytes\":" << bytes_
    << ",\"cycles\":" << (int64_t)cyc << ",\"avg_packet_latency_cycles\":" << plat_sum_ / np
    << ",\"avg_network_latency_cycles\":" << nlat_sum_ / np << ",\"max_packet_latency_cycles\":" << plat_max_
    << ",\"avg_hops\":" << hops_sum_ / np << ",\"avg_latency_ps\":" << ps_sum_ / np
    << ",\"routers\":" << routers_.size() << ",\"router_util\":{\"min\":" << (routers_.empty() ? 0 : rmin)
    << ",\"avg\":" << (routers_.empty() ? 0 : rsum / routers_.size()) << ",\"max\":" << rmax << "}"
    << ",\"links\":" << links << ",\"link_util\":{\"avg\":" << (links ? lsum / links : 0.0) << ",\"max\":" << lmax
    << "}}";
  return o.str();
}

}  // namespace npusim
