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

// The transposed convolution that is the adjoint of `conv`: from its output back to its input
// size, the same weights; output padding recovers the rows the forward stride dropped.
inline ConvParams adjoint_of(const ConvParams& conv) {
  const Extent out = output_size(Op::conv2d, conv);
  ConvParams t = conv;
  t.in_channels = conv.out_channels;
  t.out_channels = conv.in_channels;
  t.in_height = out.height;
  t.in_width = out.width;
  t.output_padding_h = (conv.in_height + conv.pad_top + conv.pad_bottom -
                        conv.dilation_h * (conv.kernel_h - 1) - 1) % conv.stride_h;
  t.output_padding_w = (conv.in_width + conv.pad_left + conv.pad_right -
                        conv.dilation_w * (conv.kernel_w - 1) - 1) % conv.stride_w;
  return t;
}

// Hand-picked shapes that hit every tail of a blocked kernel: channel counts around register
// blocks (13..17, 31..33), reductions longer than a cache block, 1x1 to 7x7 and non-square
// filters, strides 1-4, dilation, groups and depthwise, asymmetric padding, batch 2, tiny and
// odd images. Each in both layouts.
inline std::vector<ConvParams> tail_shapes(Op op) {
  struct S {
    int64_t n, c, k, h, w, kh, kw, s, d, g, pt, pb, pl, pr;
  };
  const S list[] = {
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},      {1, 3, 13, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {2, 14, 14, 7, 7, 1, 1, 1, 1, 1, 0, 0, 0, 0},    {1, 15, 15, 12, 10, 3, 3, 2, 1, 1, 1, 0, 1, 0},
      {1, 17, 31, 8, 9, 5, 5, 1, 1, 1, 2, 2, 2, 2},    {1, 32, 32, 11, 6, 7, 7, 2, 1, 1, 3, 3, 3, 3},
      {1, 33, 33, 6, 13, 1, 7, 1, 1, 1, 0, 0, 3, 3},   {1, 16, 17, 13, 6, 7, 1, 3, 1, 1, 3, 2, 0, 0},
      {2, 5, 7, 10, 10, 2, 3, 4, 1, 1, 0, 1, 2, 0},    {1, 67, 29, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {1, 8, 12, 17, 15, 3, 3, 1, 2, 1, 2, 2, 2, 2},   {1, 6, 9, 19, 19, 3, 3, 1, 3, 3, 3, 0, 0, 3},
      {1, 12, 24, 8, 8, 3, 3, 1, 1, 4, 1, 1, 1, 1},    {2, 16, 16, 9, 7, 3, 3, 2, 1, 16, 1, 1, 1, 1},
      {1, 8, 16, 10, 10, 5, 5, 1, 1, 8, 2, 2, 2, 2},   {1, 2, 33, 40, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {1, 4, 4, 3, 3, 3, 3, 1, 1, 1, 4, 4, 4, 4},      {1, 3, 5, 4, 4, 3, 3, 1, 5, 1, 5, 5, 5, 5},
      {1, 30, 2, 21, 23, 3, 3, 2, 2, 2, 2, 3, 1, 0},   {3, 1, 3, 5, 64, 1, 3, 1, 1, 1, 0, 0, 1, 1},
  };
  std::vector<ConvParams> shapes;
  for (const S& s : list) {
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      ConvParams p;
      p.batch = s.n;
      p.in_channels = s.c;
      p.out_channels = s.k;
      if (op == Op::conv_transpose2d) std::swap(p.in_channels, p.out_channels);
      p.in_height = s.h;
      p.in_width = s.w;
      p.kernel_h = s.kh;
      p.kernel_w = s.kw;
      p.stride_h = p.stride_w = s.s;
      p.dilation_h = p.dilation_w = s.d;
      p.groups = s.g;
      p.pad_top = s.pt;
      p.pad_bottom = s.pb;
      p.pad_left = s.pl;
      p.pad_right = s.pr;
      p.layout = layout;
      try {
        output_size(op, p);
        shapes.push_back(p);
      } catch (const std::invalid_argument&) {
      }
    }
  }
  return shapes;
}

}  // namespace svertka::test
