// Sparse bipartite allocators of BookSim 2 (iSLIP, separable input-first, separable output-first) with
// round-robin arbiters; used for both VC allocation and switch allocation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>
#include "noc_params.hpp"

namespace npusim {

struct AllocRequest {
  int in, out;  // requester and resource indices
  int tag;      // caller data carried to the grant (e.g. the input VC)
  int pri = 0;  // priority: separable allocators prefer higher values before round-robin order (iSLIP ignores it)
};

// Request indices granted by one allocation: fixed capacity set once, so a grant is one store.
struct Grants {
  std::vector<int> buf;
  int n = 0;
  void reset(size_t capacity) { buf.assign(capacity, 0); n = 0; }
  void clear() { n = 0; }
  void push_back(int i) { buf[n++] = i; }
  int size() const { return n; }
  const int* begin() const { return buf.data(); }
  const int* end() const { return buf.data() + n; }
};

class Allocator {
 public:
  Allocator() = default;
  Allocator(int kind, int iters, int num_in, int num_out);
  // Match requests (one grant per input and per output at most). Writes the chosen request indices
  // into `grants`. Round-robin pointers advance past granted pairs (iSLIP: only first-iteration grants).
  void allocate(const AllocRequest* reqs, int n, Grants& grants) {
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
  // Requests in `segs` groups (group g = reqs[seg[g]..seg[g+1]), one input each, no output shared between
  // groups): each group's input arbiter picks; identical to allocate() on such a request graph.
  void allocate_per_input(const AllocRequest* reqs, const int* seg, int groups, Grants& grants) {
    grants.clear();
    for (int g = 0; g < groups; ++g) {
      const int lo = seg[g], hi = seg[g + 1], in = reqs[lo].in, p = in_ptr_[in];
      int best = lo, bd = reqs[lo].out >= p ? reqs[lo].out - p : reqs[lo].out - p + nout_;
      for (int i = lo + 1; i < hi; ++i) {
        int d = reqs[i].out >= p ? reqs[i].out - p : reqs[i].out - p + nout_;
        if (d < bd) bd = d, best = i;
      }
      const AllocRequest& q = reqs[best];
      in_ptr_[q.in] = q.out + 1 == nout_ ? 0 : q.out + 1;
      out_ptr_[q.out] = q.in + 1 == nin_ ? 0 : q.in + 1;
      grants.push_back(best);
    }
  }
  // Requests with pairwise distinct inputs and outputs: all are granted, in request order (as allocate()).
  void grant_all(const AllocRequest* reqs, int n, Grants& grants) {
    grants.clear();
    for (int i = 0; i < n; ++i) {
      const AllocRequest& q = reqs[i];
      in_ptr_[q.in] = q.out + 1 == nout_ ? 0 : q.out + 1;
      out_ptr_[q.out] = q.in + 1 == nin_ ? 0 : q.in + 1;
      grants.push_back(i);
    }
  }

 private:
  void allocate_many(const AllocRequest* reqs, int n, Grants& grants);
  int kind_ = kIslip, iters_ = 1;
  std::vector<int> in_ptr_, out_ptr_;        // round-robin priority pointers
  std::vector<int> in_match_, out_match_;    // per call: matched request index or -1
  std::vector<int> best_in_, best_out_;      // per iteration scratch: best request index
  int nin_ = 0, nout_ = 0;
  bool use_pri_ = false;  // separable allocators arbitrate by priority first (BookSim arbiters); iSLIP does not
  // Arbiter order at input a.in (a, b from the same input) and at output a.out: priority, then round robin.
  bool in_better(const AllocRequest& a, const AllocRequest& b) const {
    if (use_pri_ && a.pri != b.pri) return a.pri > b.pri;
    const int p = in_ptr_[a.in];
    return (a.out >= p ? a.out - p : a.out - p + nout_) < (b.out >= p ? b.out - p : b.out - p + nout_);
  }
  bool out_better(const AllocRequest& a, const AllocRequest& b) const {
    if (use_pri_ && a.pri != b.pri) return a.pri > b.pri;
    const int p = out_ptr_[a.out];
    return (a.in >= p ? a.in - p : a.in - p + nin_) < (b.in >= p ? b.in - p : b.in - p + nin_);
  }
};

}  // namespace npusim
