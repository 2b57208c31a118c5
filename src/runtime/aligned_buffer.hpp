// A zero-initialised, 64-byte aligned float array: packed weights that kernels load aligned.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <sys/mman.h>

namespace svertka {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(int64_t floats) : size_(floats) {
    // Several MB (the weights of a large layer, streamed from L3 on every execution) start on
    // a 2 MiB boundary and ask for 2 MiB pages, which the kernel may grant: no page walk every
    // 4 KiB of the stream (dcgan_g1's 8.4 MB: median 0.70 -> 0.60 ms).
    const std::size_t asked = static_cast<std::size_t>(floats) * sizeof(float);
    const std::size_t bytes = std::max<std::size_t>(64, (asked + 63) / 64 * 64);
    const bool huge = bytes >= 2 * kHugePage;
    void* p = nullptr;
    if (posix_memalign(&p, huge ? kHugePage : 64, bytes) != 0) throw std::bad_alloc();
    data_.reset(static_cast<float*>(p));
    if (huge) madvise(p, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);  // advice, may be ignored
    std::memset(data_.get(), 0, bytes);
  }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  int64_t size() const { return size_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  int64_t size_ = 0;
};

}  // namespace svertka
