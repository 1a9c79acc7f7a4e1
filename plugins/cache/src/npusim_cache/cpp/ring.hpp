// Growable FIFO ring buffer for the L2's per-slice queues (input accesses, miss queue, flush write-backs):
// a power-of-two array holding a head slot and a count; it doubles when full and never shrinks, so a queue
// that has reached its working depth allocates nothing more (std::deque allocates and frees blocks as it slides).
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

namespace npusim {
namespace l2 {

template <class T>
class Ring {
  // pop_front() only moves the head: an element left behind is overwritten later, never destroyed early
  static_assert(std::is_trivially_destructible<T>::value, "Ring holds trivially destructible records only");

 public:
  // initial: capacity to start with (rounded up to a power of two, at least 1).
  explicit Ring(std::size_t initial = 16) {
    std::size_t c = 1;
    while (c < initial) c <<= 1;
    buf_.resize(c);
    mask_ = c - 1;
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return mask_ + 1; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  // i-th element from the front (0 = front); i < size().
  T& operator[](std::size_t i) { return buf_[(head_ + i) & mask_]; }
  const T& operator[](std::size_t i) const { return buf_[(head_ + i) & mask_]; }
  void push_back(const T& v) {
    if (size_ > mask_) grow();
    buf_[(head_ + size_) & mask_] = v;
    ++size_;
  }
  void pop_front() {  // caller checks !empty()
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  void clear() { head_ = size_ = 0; }

 private:
  // Doubles the array, laying the elements out from index 0 in FIFO order (out of line: push_back's
  // common path stays small enough to inline).
  __attribute__((noinline)) void grow() {
    std::vector<T> next(buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) next[i] = std::move((*this)[i]);
    buf_.swap(next);
    mask_ = buf_.size() - 1;
    head_ = 0;
  }

  std::vector<T> buf_;
  std::size_t head_ = 0;  // slot of the front element (< capacity)
  std::size_t size_ = 0;  // elements held
  std::size_t mask_ = 0;  // capacity - 1 (capacity is a power of two)
};

}  // namespace l2
}  // namespace npusim
