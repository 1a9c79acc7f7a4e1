// Two physical BookSim networks behind one npusim::Interconnect: requests on subnet 0, responses on
// subnet 1 (gpgpu-sim's BookSim interface with `subnets = 2`, as GPU/NPU simulators split reply traffic).
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "booksim_net.hpp"

namespace npusim {

class SplitNetwork : public Interconnect {
 public:
  explicit SplitNetwork(const NocParams& p);
  int num_nodes() override { return net_[0]->num_nodes(); }
  bool try_send(const Packet& pkt, Tick now) override;
  void advance(Tick until, std::vector<PacketDelivery>& out) override;
  Tick next_event() override;
  double min_latency_ps() override { return net_[0]->min_latency_ps(); }
  // {"request": {...}, "response": {...}} with each subnet's BookSimNetwork statistics
  std::string stats_json() override;

 private:
  std::unique_ptr<BookSimNetwork> net_[2];
  std::vector<PacketDelivery> tmp_[2];
};

}  // namespace npusim
