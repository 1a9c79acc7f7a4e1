#include "allocator.hpp"

namespace npusim {

Allocator::Allocator(int kind, int iters, int num_in, int num_out)
    : kind_(kind), iters_(iters < 1 ? 1 : iters), in_ptr_(num_in, 0), out_ptr_(num_out, 0),
      in_match_(num_in, -1), out_match_(num_out, -1), best_in_(num_in, -1), best_out_(num_out, -1),
      nin_(num_in), nout_(num_out), use_pri_(kind != kIslip) {}

// Distance of x from round-robin pointer p in a ring of n: smaller = higher priority.
static inline int rr(int x, int p, int n) { return x >= p ? x - p : x - p + n; }

void Allocator::allocate_many(const AllocRequest* reqs, int n, Grants& grants) {
  // Fast paths, exact for every policy: with one requester (or one resource) the result is that side's
  // round-robin choice, and pointers move as for a first-iteration grant.
  bool one_in = true, one_out = true;
  for (int i = 0; i < n; ++i) {
    one_in &= reqs[i].in == reqs[0].in;
    one_out &= reqs[i].out == reqs[0].out;
  }
  if (one_in || one_out) {
    int best = 0;
    for (int i = 1; i < n; ++i) {
      bool better = use_pri_ && reqs[i].pri != reqs[best].pri ? reqs[i].pri > reqs[best].pri
                    : one_in ? rr(reqs[i].out, in_ptr_[reqs[i].in], nout_) < rr(reqs[best].out, in_ptr_[reqs[best].in], nout_)
                             : rr(reqs[i].in, out_ptr_[reqs[i].out], nin_) < rr(reqs[best].in, out_ptr_[reqs[best].out], nin_);
      if (better) best = i;
    }
    const auto& q = reqs[best];
    in_ptr_[q.in] = q.out + 1 == nout_ ? 0 : q.out + 1;
    out_ptr_[q.out] = q.in + 1 == nin_ ? 0 : q.in + 1;
    grants.push_back(best);
    return;
  }
  // matches only matter to later iterations: a single iteration neither reads nor records them
  const bool multi = iters_ > 1;
  if (multi)
    for (int i = 0; i < n; ++i) in_match_[reqs[i].in] = out_match_[reqs[i].out] = -1;
  for (int it = 0; it < iters_; ++it) {
    for (int i = 0; i < n; ++i) best_in_[reqs[i].in] = best_out_[reqs[i].out] = -1;
    bool any = false;
    if (kind_ == kSeparableInputFirst) {
      // input arbiters pick one output each, output arbiters pick among the inputs that chose them
      for (int i = 0; i < n; ++i) {
        const auto& q = reqs[i];
        if (it > 0 && (in_match_[q.in] >= 0 || out_match_[q.out] >= 0)) continue;
        int& b = best_in_[q.in];
        if (b < 0 || in_better(q, reqs[b])) b = i;
      }
      for (int i = 0; i < n; ++i) {
        const auto& q = reqs[i];
        if (best_in_[q.in] != i) continue;
        int& b = best_out_[q.out];
        if (b < 0 || out_better(q, reqs[b])) b = i;
      }
      for (int i = 0; i < n; ++i) {
        const auto& q = reqs[i];
        if (best_out_[q.out] != i) continue;
        if (multi) in_match_[q.in] = out_match_[q.out] = i;
        in_ptr_[q.in] = q.out + 1 == nout_ ? 0 : q.out + 1;
        out_ptr_[q.out] = q.in + 1 == nin_ ? 0 : q.in + 1;
        grants.push_back(i);
        any = true;
      }
    } else {
      // output arbiters grant one input each (request phase), input arbiters accept one grant
      for (int i = 0; i < n; ++i) {
        const auto& q = reqs[i];
        if (it > 0 && (in_match_[q.in] >= 0 || out_match_[q.out] >= 0)) continue;
        int& b = best_out_[q.out];
        if (b < 0 || out_better(q, reqs[b])) b = i;
      }
      for (int i = 0; i < n; ++i) {
        const auto& q = reqs[i];
        if (best_out_[q.out] != i) continue;
        int& b = best_in_[q.in];
        if (b < 0 || in_better(q, reqs[b])) b = i;
      }
      for (int i = 0; i < n; ++i) {
        const auto& q = reqs[i];
        if (best_in_[q.in] != i) continue;
        if (multi) in_match_[q.in] = out_match_[q.out] = i;
        // iSLIP (McKeown 1999) moves pointers only for grants accepted in the first iteration;
        // the separable output-first allocator moves them on every final grant.
        if (kind_ == kSeparableOutputFirst || it == 0) {
          in_ptr_[q.in] = q.out + 1 == nout_ ? 0 : q.out + 1;
          out_ptr_[q.out] = q.in + 1 == nin_ ? 0 : q.in + 1;
        }
        grants.push_back(i);
        any = true;
      }
    }
    if (!any) break;
  }
}

}  // namespace npusim
