#include "split_net.hpp"

namespace npusim {

SplitNetwork::SplitNetwork(const NocParams& p) {
  net_[0].reset(new BookSimNetwork(p));
  net_[1].reset(new BookSimNetwork(p));
}

bool SplitNetwork::try_send(const Packet& pkt, Tick now) { return net_[pkt.is_response ? 1 : 0]->try_send(pkt, now); }

void SplitNetwork::advance(Tick until, std::vector<PacketDelivery>& out) {
  for (int i = 0; i < 2; ++i) {
    tmp_[i].clear();
    net_[i]->advance(until, tmp_[i]);
  }
  // merge by delivery time (requests first on ties) so `out` stays time-ordered
  size_t a = 0, b = 0;
  while (a < tmp_[0].size() || b < tmp_[1].size()) {
    if (b == tmp_[1].size() || (a < tmp_[0].size() && tmp_[0][a].time <= tmp_[1][b].time)) out.push_back(tmp_[0][a++]);
    else out.push_back(tmp_[1][b++]);
  }
}

Tick SplitNetwork::next_event() {
  Tick a = net_[0]->next_event(), b = net_[1]->next_event();
  return a < b ? a : b;
}

std::string SplitNetwork::stats_json() {
  return "{\"request\":" + net_[0]->stats_json() + ",\"response\":" + net_[1]->stats_json() + "}";
}

}  // namespace npusim
