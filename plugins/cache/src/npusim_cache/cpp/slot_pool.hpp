// Indexed pool for per-request records of the L2 (original requests, MSHRs, in-flight downstream requests):
// take() reuses the most recently released slot or appends a new one, so a record keeps its int32 slot while
// in use and other tables (FlatMap values, queue entries) refer to it by that slot; nothing is freed per request.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace npusim {
namespace l2 {

template <class T>
class SlotPool {
 public:
  void reserve(std::size_t n) { items_.reserve(n); free_.reserve(n); }
  // A slot for a new record (its previous contents are left as they were: the caller sets every field).
  int32_t take() {
    if (!free_.empty()) {
      const int32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    items_.emplace_back();
    return (int32_t)items_.size() - 1;
  }
  void release(int32_t i) { free_.push_back(i); }
  std::size_t size() const { return items_.size(); }  // slots ever taken (in use or free)
  T& operator[](int32_t i) { return items_[(std::size_t)i]; }
  const T& operator[](int32_t i) const { return items_[(std::size_t)i]; }

 private:
  std::vector<T> items_;
  std::vector<int32_t> free_;
};

}  // namespace l2
}  // namespace npusim
