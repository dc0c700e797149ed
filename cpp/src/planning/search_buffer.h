// Zero-filled arrays for the per-cell state of grid searches (private to the planning
// sources).
//
// A search front on a large map runs across thousands of rows at once, so with 4 KiB pages
// nearly every access misses the TLB. On Linux the array is asked to be backed by
// transparent huge pages (madvise; the OS may decline), and it comes zero-filled from the
// OS: pages the search never reaches are never written, and no pass clears the array first.
// Elsewhere it falls back to calloc.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ilrs::planning::internal {

template <typename T>
class SearchBuffer {
  static_assert(std::is_trivially_default_constructible_v<T> &&
                    std::is_trivially_destructible_v<T>,
                "SearchBuffer holds trivial types whose zero bytes are a valid value");

 public:
  explicit SearchBuffer(std::size_t size) : size_(size) {
    const std::size_t bytes = std::max<std::size_t>(size * sizeof(T), 1);
#if defined(__linux__)
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    if (bytes >= kHuge) {
      mapped_bytes_ = bytes + kHuge;  // room to start on a huge-page boundary
      void* p = mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      mapping_ = p;
      const auto start = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
      madvise(reinterpret_cast<void*>(start), bytes, MADV_HUGEPAGE);
      data_ = reinterpret_cast<T*>(start);
      return;
    }
#endif
    data_ = static_cast<T*>(std::calloc(bytes, 1));
    if (data_ == nullptr) throw std::bad_alloc();
  }

  ~SearchBuffer() {
#if defined(__linux__)
    if (mapping_ != nullptr) {
      munmap(mapping_, mapped_bytes_);
      return;
    }
#endif
    std::free(data_);
  }

  SearchBuffer(const SearchBuffer&) = delete;
  SearchBuffer& operator=(const SearchBuffer&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  T* data_ = nullptr;
  void* mapping_ = nullptr;
  std::size_t mapped_bytes_ = 0;
};

}  // namespace ilrs::planning::internal
