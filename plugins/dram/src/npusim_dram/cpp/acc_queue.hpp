// Per-bank queue of access ids, oldest first: FIFO appends, removal of any id keeping the order of the
// rest. The scheduler nearly always removes the oldest id, so the front is an index (O(1) removal, no
// memmove per issue) and the consumed prefix is dropped only once it outgrows the live part.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace npusim {

class AccQueue {
 public:
  bool empty() const { return head_ == v_.size(); }
  size_t size() const { return v_.size() - head_; }
  int32_t front() const { return v_[head_]; }
  const int32_t* begin() const { return v_.data() + head_; }
  const int32_t* end() const { return v_.data() + v_.size(); }
  // Append the newest id.
  void push_back(int32_t id) { v_.push_back(id); }
  // Remove `id` (which must be queued), keeping the order of the others.
  void erase(int32_t id) {
    if (v_[head_] == id) {
      ++head_;
      if (head_ == v_.size()) { v_.clear(); head_ = 0; }
      else if (head_ >= 64 && 2 * head_ >= v_.size()) { v_.erase(v_.begin(), v_.begin() + head_); head_ = 0; }
    } else {
      v_.erase(std::find(v_.begin() + head_, v_.end(), id));
    }
  }

 private:
  std::vector<int32_t> v_;
  size_t head_ = 0;  // ids before head_ are consumed
};

}  // namespace npusim
