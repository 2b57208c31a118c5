// Seeded sweeps of small layer shapes that exercise every parameter: batch, odd channels,
// groups (depthwise and channel multipliers), kernels 1..7 and non-square, strides, dilation,
// asymmetric padding, output padding (transposed), both layouts.
#pragma once

#include <random>
#include <stdexcept>
#include <vector>

#include "svertka/svertka.hpp"

namespace svertka::test {

// A depthwise layer of batch 2 (either op): c channels times multiplier m, square filter,
// stride and dilation, each side's padding, output padding (transposed).
struct DepthwiseShape {
  int64_t c, m, h, w, k, s, d, pt, pb, pl, pr, op = 0;
};

inline ConvParams depthwise_params(const DepthwiseShape& s, Layout layout) {
  ConvParams p;
  p.batch = 2;
  p.in_channels = p.groups = s.c;
  p.out_channels = s.c * s.m;
  p.in_height = s.h;
  p.in_width = s.w;
  p.kernel_h = p.kernel_w = s.k;
  p.stride_h = p.stride_w = s.s;
  p.dilation_h = p.dilation_w = s.d;
  p.pad_top = s.pt;
  p.pad_bottom = s.pb;
  p.pad_left = s.pl;
  p.pad_right = s.pr;
  p.output_padding_h = p.output_padding_w = s.op;
  p.layout = layout;
  return p;
}

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

// Seeded layers of network sizes (tens to hundreds of channels, images up to 40 wide), every
// parameter drawn, for the blocking that tiny shapes never reach: several blocks of channels,
// cache blocks, bands and groups of work items, chunks of long rows. The draws cycle through six
// families, each a kind of layer that one algorithm takes (dense, depthwise with multipliers,
// grouped with 4, 8 or 16 outputs per group, a first layer of 1-4 channels, a transposed
// filter no larger than its stride, many channels on a small image), so that a handful of
// layers reaches every algorithm. At most max_macs multiply-adds each.
struct RandomLayer {
  Op op;
  ConvParams params;
};
inline std::vector<RandomLayer> random_layers(int count, unsigned seed, double max_macs) {
  std::mt19937 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::vector<RandomLayer> layers;
  for (int family = 0; static_cast<int>(layers.size()) < count; family = (family + 1) % 6) {
    ConvParams p;
    const bool transposed = family == 4 || (family != 2 && family != 3 && pick(0, 2) == 0);
    int64_t in_per_group = pick(1, 48), out_per_group = pick(1, 48);
    if (family == 1) {  // depthwise, with channel multipliers
      p.groups = pick(8, 96);
      in_per_group = 1;
      out_per_group = pick(1, 3);
    } else if (family == 2) {
      constexpr int64_t kOutputs[] = {8, 16, 4};  // 8 first: both ISAs' grouped kernels take it
      p.groups = pick(2, 16);
      in_per_group = pick(2, 24);
      out_per_group = kOutputs[layers.size() / 6 % 3];
    } else if (family == 3) {
      in_per_group = pick(1, 4);
    } else if (family == 5) {
      in_per_group = pick(100, 520);
      out_per_group = pick(40, 300);
    }
    p.in_channels = p.groups * in_per_group;
    p.out_channels = p.groups * out_per_group;
    p.batch = pick(0, 4) == 0 ? 2 : 1;
    p.in_height = family == 5 ? pick(1, 9) : pick(1, 24);
    p.in_width = family == 5 ? pick(1, 14) : pick(1, 40);
    p.kernel_h = pick(0, 4) == 0 ? 7 : pick(1, 4);
    p.kernel_w = pick(0, 1) ? p.kernel_h : pick(1, 5);
    p.stride_h = pick(0, 1) ? 1 : pick(2, 3);
    p.stride_w = pick(0, 2) ? std::min<int64_t>(p.stride_h, 2) : pick(1, 4);
    p.dilation_h = p.dilation_w = pick(0, 4) == 0 ? pick(2, 3) : 1;
    if (family == 2) p.stride_w = std::min<int64_t>(p.stride_w, 2);  // grouped's row kernels
    if (family == 3) p.kernel_w = std::max<int64_t>(p.kernel_w, 2);  // a column to fold
    if (family == 4) {  // every phase a 1x1 filter
      p.stride_h = pick(1, 4);
      p.stride_w = pick(1, 4);
      p.dilation_h = p.dilation_w = 1;
      p.kernel_h = pick(1, p.stride_h);
      p.kernel_w = pick(1, p.stride_w);
    }
    const int64_t span_h = (p.kernel_h - 1) * p.dilation_h;
    const int64_t span_w = (p.kernel_w - 1) * p.dilation_w;
    p.pad_top = pick(0, span_h);
    p.pad_bottom = pick(0, 3) ? p.pad_top : pick(0, span_h + 1);
    p.pad_left = pick(0, span_w);
    p.pad_right = pick(0, 3) ? p.pad_left : pick(0, span_w + 1);
    if (transposed && pick(0, 2) == 0) {
      p.output_padding_h = pick(0, std::max(p.stride_h, p.dilation_h) - 1);
      p.output_padding_w = pick(0, std::max(p.stride_w, p.dilation_w) - 1);
    }
    p.layout = family == 4 || pick(0, 1) ? Layout::nchw : Layout::nhwc;
    if (transposed) std::swap(p.in_channels, p.out_channels);  // weights [C][K/G][R][S]
    const Op op = transposed ? Op::conv_transpose2d : Op::conv2d;
    try {
      // Products: each output pixel of a convolution (input pixel of a transposed one) with
      // every tap of every channel pair of its group.
      const Extent out = output_size(op, p);
      const Extent pixels = transposed ? Extent{p.in_height, p.in_width} : out;
      const double macs = double(p.batch * pixels.height * pixels.width) *
                          double(p.groups * in_per_group * out_per_group * p.kernel_h * p.kernel_w);
      if (macs <= max_macs) layers.push_back({op, p});
    } catch (const std::invalid_argument&) {
    }
  }
  return layers;
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
