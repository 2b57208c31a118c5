// The layer suite: real network layers read from a CSV (bench/layers.csv format).
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <vector>

#include "svertka/svertka.hpp"

namespace svertka::bench {

struct Layer {
  std::string name;
  Op op = Op::conv2d;
  ConvParams params;
};

// Reads the columns name,op,N,C,H,W,K,R,S,stride,pad,dil,groups,out_pad; '#' starts a comment.
// Throws std::runtime_error naming the file and line of a malformed row.
std::vector<Layer> read_layers(const std::string& path, Layout layout);

// One layer from a oneDNN-style problem string, e.g. "mb1ic64ih56oc64kh3ph1" or
// "deconv:g2mb1_ic32oc32_ih14kh4sh2ph1_n\"up\"": keys g mb ic ih iw oc oh ow kh kw sh sw ph pw dh
// dw (dilation - 1, as in benchdnn) and n (name); '_' separates freely; iw, kw, sw, pw, dw
// default to the h value, mb, g, sh to 1, ph, dh to 0. Throws std::runtime_error naming the
// bad key.
Layer parse_problem(const std::string& text, Layout layout);

// The keys of a problem string, in the order above (n aside).
const std::vector<std::string>& problem_keys();

// A smaller layer with the same per-window work, for kernels too slow to run whole: groups
// (or output channels when groups = 1) are cut until the FLOPs fit in max_flops.
Layer sampled(const Layer& layer, double max_flops, double* fraction);

// Timing buffers start on a cache line, as frameworks allocate tensors and oneDNN its own
// memory: glibc puts a large allocation 16 bytes into a page, and then every vector load of a
// channel run spans two lines (a depthwise layer measured 1.5x slower).
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
  friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
};
using Floats = std::vector<float, CacheLineAllocator<float>>;

// n uniform values in [-1, 1], the same every run: inputs for timing.
Floats random_floats(std::size_t n);

}  // namespace svertka::bench
