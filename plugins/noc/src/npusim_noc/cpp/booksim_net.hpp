// BookSim-2-style cycle-level network: input-queued VC routers (route, VC alloc, switch alloc, traversal),
// credit flow control, multi-flit packets; implements npusim::Interconnect. Only routers holding flits and
// sources holding packets are stepped; with nothing in flight the clock jumps to the next event.
#pragma once
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "allocator.hpp"
#include "noc_params.hpp"
#include "npusim/interconnect.hpp"
#include "topology.hpp"

namespace npusim {

class BookSimNetwork : public Interconnect {
 public:
  explicit BookSimNetwork(const NocParams& p);
  ~BookSimNetwork() override;
  int num_nodes() override { return (int)p_.node_terminal.size(); }
  bool try_send(const Packet& pkt, Tick now) override;
  void advance(Tick until, std::vector<PacketDelivery>& out) override;
  Tick next_event() override;
  double min_latency_ps() override;
  std::string stats_json() override;

  // --- cycle-level API used by the synthetic-traffic driver (terminal ids, NoC cycles) ---
  int num_terminals() const { return topo_.num_terminals(); }
  // Queue a packet of `flits` flits from terminal src to dst created at cycle `create`; `measured`
  // tags it for the sample statistics. Returns the packet handle.
  int inject_terminal(int src, int dst, int flits, int64_t create, bool measured);
  void step_cycle();              // simulate the current cycle and move to the next
  int64_t cycle() const { return cycle_; }
  bool idle() const;              // no flit in buffers, channels or source queues
  void reset_stats();             // start a new statistics window at the current cycle
  // Zero-load latency in cycles (creation to tail ejection) of a packet, walking the routing function.
  int64_t zero_load_cycles(int src_t, int dst_t, int flits) const;

  // measured-sample statistics (packets tagged `measured`)
  int64_t measured_done = 0, measured_outstanding = 0;
  double measured_plat = 0, measured_nlat = 0, measured_hops = 0;
  int64_t window_flits_ejected = 0;  // flits ejected since reset_stats()
  int64_t queued_packets() const { return queued_packets_; }

 private:
  struct Flit {
    int32_t pkt, dst;     // packet handle and destination terminal (routing reads it from the flit)
    int16_t hops;         // router-to-router channels crossed so far
    int8_t head, tail;
  };
  struct PktRec {
    Packet pkt;
    int64_t create = 0, inject = -1;
    Tick sent_ps = 0;
    int32_t src = 0, dst = 0, flits = 1;
    int32_t next_free = -1;
    bool measured = false, external = false;
  };
  struct InVC {
    int64_t ready = 0;        // first cycle the front flit may enter its next stage
    uint64_t vc_mask = 0;     // bits vc_lo..vc_hi: the output VCs the route allows
    int head = 0, count = 0;  // ring buffer in Router::buf
    int out_port = -1;
    int8_t state = 0;         // 0 empty, 1 waiting VC allocation, 2 owns an output VC
    int8_t vc_lo = 0, vc_hi = 0, out_vc = -1;  // num_vcs <= 64
  };
  struct OutVC {
    int credits = 0, owner = -1;
    bool tail_pending = false;
    int pend_head = 0, pend_count = 0;  // credits on their way back: arrival cycles in a ring of vc_buf_size
    int64_t release_at = kNever;        // tail_pending: cycle the tail's credit arrives (kNever: not sent yet)
  };
  // Per-port router state kept together (one cache line per port instead of one array per field).
  struct PortState {
    uint64_t busy = 0;        // input port: bit v set while VC v holds flits
    uint64_t freevc = 0;      // output port: bit v set while output VC v is unowned
    uint64_t tailp = 0;       // output port: bit v set while VC v waits for its tail credit
    int64_t port_free = 0;    // output port: next cycle the output channel can take a flit
    int vc_ptr = 0;           // input port: VC after the last switch grant (round-robin tie-break)
    int64_t xbar_flits = 0;   // input port: flits through the crossbar (statistics window)
    int64_t link_flits = 0;   // output port: flits onto the router-router channel (statistics window)
  };
  struct Router {
    int P = 0;
    int flits = 0;            // flits buffered in this router
    int64_t wake = 0;         // no VC can act before this cycle
    uint64_t* pmask = nullptr;  // bit p set while input port p has a VC holding flits (64 ports a word)
    PortState* ps = nullptr;  // [port]            (pmask .. buf: this router's block of arena_)
    InVC* in = nullptr;       // [port * V + vc]
    OutVC* out = nullptr;     // [port * V + vc]
    int64_t* cring = nullptr; // [(port * V + vc) * B + i]: arrival cycles of returning credits
    Flit* buf = nullptr;      // [(port * V + vc) * B + slot]
    bool active = false;
    Allocator va, sa;
    // hold_switch_for_packet: per expanded input the held VC and output, per expanded output the input (-1: none)
    std::vector<int> hold_vc, hold_in, hold_out;
    double sa_credit = 0;     // internal-speedup accumulator (BookSim _partial_internal_cycles)
  };
  struct Source {
    std::deque<int> q;        // packets waiting
    int cur = -1, seq = 0, vc = -1, rr = 0;
    int64_t queued_flits = 0, next_cycle = 0;
    std::vector<OutVC> vcs;   // credits/ownership of the injection channel VCs
    std::vector<int64_t> cring;  // [vc * B + i]: arrival cycles of returning credits
    bool active = false;
  };
  enum EvType { kFlitArrive = 0, kEject = 2 };  // credits travel in per-VC rings (credit_later)
  struct Ev {
    int32_t type, a, b, c;
    Flit f;
  };

  int new_packet();
  void schedule(int64_t when, const Ev& e);
  void process_events();
  void run_sources();
  void run_router(int r);
  void router_step(int r, int64_t u, bool& again, int64_t& wake_u);
  int64_t router_transit(int64_t a, int lat) const;
  // Substep at which the stage after a `d`-step stage started at substep u may act: BookSim counts stage
  // delays in cycles (time = now + d - 1) and finishes a stage within the internal step that reaches it.
  int64_t stage_done(int64_t u, int d) const {
    if (S_ == 1) return u + d;  // one step per cycle (the common case; avoids the division)
    return d == 0 ? u : std::max(u, (u / S_ + d - 1) * S_) + 1;
  }
  int64_t step_cycle_of(int64_t u) const { return S_ == 1 ? u : u / S_; }  // cycle containing substep u
  // input-VC index <-> (port, vc) without a hardware division when num_vcs is a power of two
  int vport(int iv) const { return vshift_ >= 0 ? iv >> vshift_ : iv / V_; }
  int vvc(int iv) const { return vshift_ >= 0 ? iv & (V_ - 1) : iv % V_; }
  void front_changed(int r, int iv, int64_t when);
  int64_t earliest_work() const;
  // Credits return over the reverse channel with a fixed delay, so per VC they arrive in order: they are
  // queued with their arrival cycle and counted when the VC is next looked at (no event per credit).
  void credit_later(OutVC& o, int64_t* ring, int64_t when) {
    int i = o.pend_head + o.pend_count;
    ring[i >= B_ ? i - B_ : i] = when;
    ++o.pend_count;
    if (o.tail_pending && o.credits + o.pend_count == B_) o.release_at = when;  // the tail's credit
  }
  // wait_for_tail_credit: an output VC of router R whose tail credit has arrived is free for VC allocation
  // (its credits are still counted lazily by settle()).
  void release_if_back(Router& R, int port, int vc) {
    OutVC& o = R.out[port * V_ + vc];
    if (o.release_at <= cycle_) {
      o.tail_pending = false;
      o.owner = -1;
      R.ps[port].tailp &= ~(1ULL << vc);
      R.ps[port].freevc |= 1ULL << vc;
    }
  }
  void settle(OutVC& o, const int64_t* ring) {
    while (o.pend_count && ring[o.pend_head] <= cycle_) {
      ++o.credits;
      o.pend_head = o.pend_head + 1 == B_ ? 0 : o.pend_head + 1;
      --o.pend_count;
      if (o.tail_pending && o.credits == B_) {  // wait_for_tail_credit: the tail's credit is back
        o.tail_pending = false;
        o.owner = -1;
      }
    }
  }
  void deliver(int pkt, int64_t when, int hops);

  NocParams p_;
  Topology topo_;
  int V_, B_, S_;  // VCs, flits per VC buffer, internal steps per cycle (ceil of internal_speedup)
  int vshift_ = -1;  // log2(num_vcs) when a power of two
  uint64_t vmask_ = 0;  // num_vcs low bits set
  bool unit_speedup_ = true;  // internal_speedup == 1: one internal step per cycle, no accumulator
  Tick period_;
  int64_t cycle_ = 0;
  std::vector<Router> routers_;
  std::vector<uint64_t> arena_;  // storage of every router's pmask, ps, in, out, cring and buf
  std::vector<Source> sources_;
  std::vector<int> active_routers_, active_sources_;
  std::vector<PktRec> pkts_;
  int free_pkt_ = -1;
  std::vector<std::vector<Ev>> wheel_;
  std::multimap<int64_t, Ev> far_;
  int64_t wheel_mask_ = 0, wheel_events_ = 0, flit_events_ = 0;
  std::deque<PacketDelivery> ready_;
  std::vector<int> term_node_;  // terminal -> engine node (-1 when unused)
  int64_t queued_packets_ = 0, in_flight_flits_ = 0;
  std::vector<AllocRequest> reqs_, sreqs_;  // VC- and switch-allocation requests (scratch)
  Grants grants_;
  std::vector<int> held_;             // scratch: input VCs using a held crossbar connection this step
  std::vector<AllocRequest> spec_;    // scratch: speculative switch requests of this step
  bool hold_ = false, spec_on_ = false;  // hold_switch_for_packet, speculative
  std::vector<int> va_seg_;  // VA scratch: first request index of each requesting head (+ end marker)
  // statistics
  int64_t stat_start_ = 0, packets_ = 0, flits_ = 0, bytes_ = 0;
  double plat_sum_ = 0, nlat_sum_ = 0, hops_sum_ = 0, ps_sum_ = 0;
  int64_t plat_max_ = 0;
};

}  // namespace npusim
