// Open-addressing hash map from int64 keys to int32 values for the L2's per-access lookups (tags, MSHRs,
// in-flight downstream requests): one flat array, linear probing, deletion by backward shift, so lookups,
// inserts and erases allocate nothing (std::unordered_map allocates a node per insert).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace npusim {
namespace l2 {

class FlatMap {
 public:
  explicit FlatMap(int64_t expected = 16) { rehash(expected); }
  int64_t size() const { return size_; }
  // The value of `key`, or -1.
  int32_t find(int64_t key) const {
    for (uint64_t i = slot(key);; i = (i + 1) & mask_) {
      const Cell& c = cells_[i];
      if (c.value < 0) return -1;
      if (c.key == key) return c.value;
    }
  }
  // Insert or overwrite; value must be >= 0.
  void put(int64_t key, int32_t value) {
    if (2 * (size_ + 1) > (int64_t)cells_.size()) rehash(2 * (size_ + 1));
    for (uint64_t i = slot(key);; i = (i + 1) & mask_) {
      Cell& c = cells_[i];
      if (c.value < 0) { c.key = key; c.value = value; ++size_; return; }
      if (c.key == key) { c.value = value; return; }
    }
  }
  // Remove `key` if present.
  void erase(int64_t key) {
    uint64_t i = slot(key);
    for (;; i = (i + 1) & mask_) {
      if (cells_[i].value < 0) return;
      if (cells_[i].key == key) break;
    }
    // backward shift: move later cells of the probe run into the hole unless they sit at or after their home
    for (uint64_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      Cell& c = cells_[j];
      if (c.value < 0) break;
      const uint64_t home = slot(c.key);
      if (((j - home) & mask_) >= ((j - i) & mask_)) { cells_[i] = c; i = j; }
    }
    cells_[i].value = -1;
    --size_;
  }
  // Call f(key, value) for every entry (in table order).
  template <class F> void for_each(F&& f) const {
    for (const Cell& c : cells_) if (c.value >= 0) f(c.key, c.value);
  }

 private:
  struct Cell { int64_t key = 0; int32_t value = -1; };
  uint64_t slot(int64_t key) const {
    return ((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> shift_;  // Fibonacci hashing (Knuth, TAOCP 6.4)
  }
  void rehash(int64_t want) {
    int bits = 4;
    while ((int64_t(1) << bits) < 2 * want) ++bits;
    std::vector<Cell> old;
    old.swap(cells_);
    cells_.assign(std::size_t(1) << bits, Cell());
    mask_ = (uint64_t(1) << bits) - 1;
    shift_ = 64 - bits;
    size_ = 0;
    for (const Cell& c : old) if (c.value >= 0) put(c.key, c.value);
  }
  std::vector<Cell> cells_;
  uint64_t mask_ = 0;
  int shift_ = 60;
  int64_t size_ = 0;
};

}  // namespace l2
}  // namespace npusim
