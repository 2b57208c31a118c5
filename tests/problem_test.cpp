// Output sizes and FLOP counts, on cases checked by hand.
#include "problem.hpp"

#include <gtest/gtest.h>

namespace svertka {
namespace {

ConvParams square(int64_t h, int64_t k, int64_t s, int64_t pad, int64_t d = 1, int64_t op = 0) {
  ConvParams p;
  p.in_height = p.in_width = h;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = s;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = pad;
  p.dilation_h = p.dilation_w = d;
  p.output_padding_h = p.output_padding_w = op;
  return p;
}

TEST(OutputSize, ConvolutionByHand) {
  EXPECT_EQ(output_size(Op::conv2d, square(4, 3, 1, 0)), (Extent{2, 2}));  // the seminar, VALID
  EXPECT_EQ(output_size(Op::conv2d, square(4, 3, 1, 1)), (Extent{4, 4}));  // SAME
  EXPECT_EQ(output_size(Op::conv2d, square(224, 7, 2, 3)), (Extent{112, 112}));
  EXPECT_EQ(output_size(Op::conv2d, square(56, 3, 2, 1)), (Extent{28, 28}));
  EXPECT_EQ(output_size(Op::conv2d, square(5, 2, 2, 0)), (Extent{2, 2}));  // floor
  EXPECT_EQ(output_size(Op::conv2d, square(33, 3, 1, 6, 6)), (Extent{33, 33}));  // ASPP
  EXPECT_EQ(output_size(Op::conv2d, square(3, 3, 1, 0)), (Extent{1, 1}));  // kernel = input
  ConvParams asym = square(10, 3, 2, 0);
  asym.pad_top = 1;
  asym.pad_left = 2;
  asym.pad_right = 1;
  EXPECT_EQ(output_size(Op::conv2d, asym), (Extent{5, 6}));  // (10+1-3)/2+1, (10+3-3)/2+1
}

TEST(OutputSize, TransposedByHand) {
  // (h-1)·s - 2p + dil·(q-1) + output_padding + 1
  EXPECT_EQ(output_size(Op::conv_transpose2d, square(2, 3, 1, 0)), (Extent{4, 4}));  // and back
  EXPECT_EQ(output_size(Op::conv_transpose2d, square(4, 4, 2, 1)), (Extent{8, 8}));  // DCGAN
  EXPECT_EQ(output_size(Op::conv_transpose2d, square(28, 2, 2, 0)), (Extent{56, 56}));  // U-Net
  EXPECT_EQ(output_size(Op::conv_transpose2d, square(28, 3, 2, 1, 1, 1)), (Extent{56, 56}));
  EXPECT_EQ(output_size(Op::conv_transpose2d, square(56, 3, 2, 1)), (Extent{111, 111}));
  EXPECT_EQ(output_size(Op::conv_transpose2d, square(5, 3, 1, 0, 2)), (Extent{9, 9}));
  EXPECT_EQ(output_size(Op::conv_transpose2d, square(5, 3, 1, 0, 3, 2)), (Extent{13, 13}));
  ConvParams asym = square(4, 3, 2, 0);
  asym.pad_top = 2;
  asym.pad_right = 1;
  asym.output_padding_h = 1;
  EXPECT_EQ(output_size(Op::conv_transpose2d, asym), (Extent{8, 8}));  // 9-2+1, 9-1
}

TEST(Canonical, PointwiseLayersBecomeOneRowOfTheSameBytes) {
  ConvParams p = square(14, 1, 1, 0);
  p.in_channels = 64;
  p.out_channels = 32;
  for (Op op : {Op::conv2d, Op::conv_transpose2d}) {
    const Problem pr = make_problem(op, p), row = canonical(pr);
    EXPECT_EQ(row.p.in_height, 1);
    EXPECT_EQ(row.p.in_width, 14 * 14);
    EXPECT_EQ(row.out_h, 1);
    EXPECT_EQ(row.out_w, 14 * 14);
    EXPECT_EQ(row.src().size(), pr.src().size());
    EXPECT_EQ(row.dst().size(), pr.dst().size());
    EXPECT_DOUBLE_EQ(flops(row), flops(pr));
  }
  for (ConvParams other : {square(14, 3, 1, 1), square(14, 1, 2, 0), square(14, 1, 1, 1)}) {
    const Problem pr = make_problem(Op::conv2d, other);
    EXPECT_EQ(canonical(pr).p, pr.p) << "not pointwise: unchanged";
  }
}

TEST(Flops, CountsUsefulMultiplyAdds) {
  ConvParams p = square(56, 3, 1, 1);
  p.in_channels = p.out_channels = 64;
  EXPECT_DOUBLE_EQ(flops(make_problem(Op::conv2d, p)), 2.0 * 64 * 56 * 56 * 64 * 9);
  p = square(28, 2, 2, 0);  // transposed: per input element, (K/groups)·R·S
  p.in_channels = 1024;
  p.out_channels = 512;
  EXPECT_DOUBLE_EQ(flops(make_problem(Op::conv_transpose2d, p)), 2.0 * 1024 * 28 * 28 * 512 * 4);
  p.groups = 512;
  EXPECT_DOUBLE_EQ(flops(make_problem(Op::conv_transpose2d, p)), 2.0 * 1024 * 28 * 28 * 1 * 4);
}

}  // namespace
}  // namespace svertka
