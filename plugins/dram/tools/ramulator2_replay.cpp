// Drained trace replay through Ramulator 2.1 (External frontend), offering like its LoadStoreTrace frontend.
// usage: ramulator2_replay CONFIG.yaml TRACE.txt K P OUT.bin (build: see benchmarks/dram_vs_ramulator2.py)
//   K > 1: up to K requests per memory cycle (1 before the first tick: Simulation::run's loop with fe:mem = K:1)
//   P > 1: request i is offered from memory cycle i * P on (npusim replay's fixed-rate offers: a refused request
//          is retried every cycle and the ones queued behind it follow at once, so the offer schedule never slides;
//          Ramulator's LoadStoreTrace at fe:mem = 1:P would instead lose the refused slots).
// Prints the controller stats (YAML) at the moment the last request is accepted ("at_last_accept"), and after
// every request has completed ("drained"); OUT.bin gets int64 triples (accept clk, done clk, is_write) per request.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "ramulator/base/config.h"
#include "ramulator/base/factory.h"
#include "ramulator/base/request.h"
#include "ramulator/frontend/i_frontend.h"
#include "ramulator/memory_system/i_memory_system.h"

using namespace Ramulator;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: ramulator2_replay CONFIG.yaml TRACE.txt K P OUT.bin\n";
    return 2;
  }
  ConfigNode config = Config::parse_config_file(argv[1]);
  const int K = std::stoi(argv[3]), P = std::stoi(argv[4]);
  std::vector<int64_t> addr;
  std::vector<int> wr;
  {
    std::ifstream in(argv[2]);
    std::string op, a;
    while (in >> op >> a) {
      wr.push_back(op == "ST");
      addr.push_back(std::stoll(a, nullptr, 0));
    }
  }
  const int64_t n = (int64_t)addr.size();
  IFrontEnd* fe = Factory::create_frontend(config);
  IMemorySystem* ms = Factory::create_memory_system(config);
  fe->connect_memory_system(ms);
  ms->connect_frontend(fe);
  const int tx = ms->get_tx_bytes();

  std::vector<int64_t> acc(n, -1), done(n, -1);
  int64_t clk = 0, i = 0, completed = 0;
  auto stats = [&](const char* tag) {
    ms->update_stats_recursive();
    std::cout << "--- " << tag << " clk " << clk << "\n";
    ms->print_stats(std::cout);
  };
  while (completed < n) {
    const int64_t budget = P > 1 ? clk / P + 1 - i : (clk == 0 ? 1 : K);  // P > 1: every request due by now
    for (int64_t b = 0; b < budget && i < n; ++b) {
      const int64_t id = i;
      auto cb = [&, id](Request& r) {
        // reads: depart (issue + read latency); writes: the cycle their WR issues (controller clock = clk + 1)
        done[id] = r.type_id == Request::Type::Read ? r.depart : clk + 1;
        if (r.type_id != Request::Type::Read && done[id] < acc[id]) done[id] = acc[id];
        ++completed;
      };
      if (!fe->receive_external_requests(wr[i] ? Request::Type::Write : Request::Type::Read, addr[i], 0, cb, tx)) break;
      acc[i] = clk;
      ++i;
      if (i == n) stats("at_last_accept");
    }
    ms->tick();
    ++clk;
    if (clk > 200 * n + 1000000) {
      std::cerr << "ramulator2_replay: no progress\n";
      return 3;
    }
  }
  stats("drained");
  ms->finalize();
  FILE* f = std::fopen(argv[5], "wb");
  for (int64_t k = 0; k < n; ++k) {
    int64_t t[3] = {acc[k], done[k], wr[k]};
    std::fwrite(t, sizeof t, 1, f);
  }
  std::fclose(f);
  return 0;
}
