// Seeded sweeps of small layer shapes that exercise every parameter: batch, odd channels,
// groups (depthwise and channel multipliers), kernels 1..7 and non-square, strides, dilation,
// asymmetric padding, output padding (transposed), both layouts.
#pragma once

#include <random>
#include <stdexcept>
#include <vector>

#include "svertka/svertka.hpp"

namespace svertka::test {

inline std::vector<ConvParams> random_shapes(Op op, int count, unsigned seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<ConvParams> shapes;
  while (static_cast<int>(shapes.size()) < count) {
    ConvParams p;
    p.batch = pick(1, 2);
    switch (pick(0, 3)) {
      case 0: p.groups = 1; break;
      case 1: p.groups = pick(2, 3); break;
      case 2: p.groups = pick(1, 5); break;  // depthwise below
      default: p.groups = pick(1, 2);
    }
    p.in_channels = p.groups * pick(1, 3);
    p.out_channels = p.groups * pick(1, 3);
    if (pick(0, 3) == 0) p.in_channels = p.groups;  // depthwise, channel multiplier out/in
    p.kernel_h = pick(0, 5) == 0 ? 7 : pick(1, 4);
    p.kernel_w = pick(0, 5) == 0 ? 7 : pick(1, 4);
    p.stride_h = pick(1, 3);
    p.stride_w = pick(1, 3);
    p.dilation_h = pick(0, 2) == 0 ? pick(2, 3) : 1;
    p.dilation_w = pick(0, 2) == 0 ? pick(2, 3) : 1;
    p.pad_top = pick(0, 3);
    p.pad_bottom = pick(0, 3);
    p.pad_left = pick(0, 3);
    p.pad_right = pick(0, 3);
    p.in_height = pick(1, 9);
    p.in_width = pick(1, 9);
    if (op == Op::conv_transpose2d) {
      p.output_padding_h = pick(0, int(std::max(p.stride_h, p.dilation_h)) - 1);
      p.output_padding_w = pick(0, int(std::max(p.stride_w, p.dilation_w)) - 1);
    }
    p.layout = pick(0, 1) ? Layout::nhwc : Layout::nchw;
    try {
      output_size(op, p);  // keep only valid shapes
      shapes.push_back(p);
    } catch (const std::invalid_argument&) {
    }
  }
  return shapes;
}

}  // namespace svertka::test
