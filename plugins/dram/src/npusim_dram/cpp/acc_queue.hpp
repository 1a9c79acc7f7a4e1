// Per-bank queue of access ids, oldest first: a singly linked list threaded through the channel's access
// pool (next[id], one int32 per pool slot), so a bank holds two ints per queue and no heap buffer of its own.
// FIFO appends and removal of the oldest id are O(1); removal of any other id (a row hit behind older
// accesses) walks from the front and keeps the order of the rest. Iterate with
// `for (int32_t id = q.front(); id >= 0; id = next[id])`.
#pragma once
#include <cstdint>

namespace npusim {

class AccQueue {
 public:
  bool empty() const { return head_ < 0; }
  int32_t front() const { return head_; }  // -1 when empty
  // Append the newest id.
  void push_back(int32_t id, int32_t* next) {
    next[id] = -1;
    if (head_ < 0) head_ = id;
    else next[tail_] = id;
    tail_ = id;
  }
  // Remove `id` (which must be queued), keeping the order of the others.
  void erase(int32_t id, int32_t* next) {
    if (head_ == id) {
      head_ = next[id];
      if (head_ < 0) tail_ = -1;
      return;
    }
    int32_t p = head_;
    while (next[p] != id) p = next[p];
    next[p] = next[id];
    if (tail_ == id) tail_ = p;
  }

 private:
  int32_t head_ = -1, tail_ = -1;
};

}  // namespace npusim
