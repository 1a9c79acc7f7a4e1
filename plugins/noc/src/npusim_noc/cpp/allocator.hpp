// Sparse bipartite allocators of BookSim 2 (iSLIP, separable input-first, separable output-first) with
// round-robin arbiters; used for both VC allocation and switch allocation.
#pragma once
#include <cstdint>
#include <vector>
#include "noc_params.hpp"

namespace npusim {

struct AllocRequest {
  int in, out;  // requester and resource indices
  int tag;      // caller data carried to the grant (e.g. the input VC)
};

class Allocator {
 public:
  Allocator() = default;
  Allocator(int kind, int iters, int num_in, int num_out);
  // Match requests (one grant per input and per output at most). Writes the chosen request indices
  // into `grants`. Round-robin pointers advance past granted pairs (iSLIP: only first-iteration grants).
  void allocate(const AllocRequest* reqs, int n, std::vector<int>& grants) {
    grants.clear();
    if (n == 1) {  // a lone request wins under every policy (inline: the common case at low load)
      const AllocRequest& q = reqs[0];
      in_ptr_[q.in] = q.out + 1 == nout_ ? 0 : q.out + 1;
      out_ptr_[q.out] = q.in + 1 == nin_ ? 0 : q.in + 1;
      grants.push_back(0);
      return;
    }
    if (n > 1) allocate_many(reqs, n, grants);
  }
  // All requests come from one input: its round-robin arbiter picks (same result as allocate()).
  void allocate_one_input(const AllocRequest* reqs, int n, std::vector<int>& grants) {
    grants.clear();
    const int in = reqs[0].in, p = in_ptr_[in];
    int best = 0, bd = reqs[0].out >= p ? reqs[0].out - p : reqs[0].out - p + nout_;
    for (int i = 1; i < n; ++i) {
      int d = reqs[i].out >= p ? reqs[i].out - p : reqs[i].out - p + nout_;
      if (d < bd) bd = d, best = i;
    }
    const AllocRequest& q = reqs[best];
    in_ptr_[q.in] = q.out + 1 == nout_ ? 0 : q.out + 1;
    out_ptr_[q.out] = q.in + 1 == nin_ ? 0 : q.in + 1;
    grants.push_back(best);
  }

 private:
  void allocate_many(const AllocRequest* reqs, int n, std::vector<int>& grants);
  int kind_ = kIslip, iters_ = 1;
  std::vector<int> in_ptr_, out_ptr_;        // round-robin priority pointers
  std::vector<int> in_match_, out_match_;    // per call: matched request index or -1
  std::vector<int> best_in_, best_out_;      // per iteration scratch: best request index
  int nin_ = 0, nout_ = 0;
};

}  // namespace npusim
