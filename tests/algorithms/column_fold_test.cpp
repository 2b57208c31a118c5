// The column fold (first layers: the filter's columns folded into the reduction, the input
// rows read in place) against the reference, forced with SVERTKA_ALGO=column_fold under each ISA
// the CPU runs, on one and two threads, both layouts: 1 to 7 input channels, filters 2 to 11
// wide, strides, dilation, windows leaving the image on every side, output rows whose every
// filter row lies in the padding, outputs narrower than a tile and channel counts off the block.
#include <gtest/gtest.h>

#include "support/forced_algorithm.hpp"

namespace svertka::test {
namespace {

class ColumnFoldConv : public ForcedAlgorithm {};

TEST_P(ColumnFoldConv, MatchesReferenceOnFirstLayerShapes) {
  const ScopedEnv scoped = force("column_fold");
  std::mt19937 rng(1);
  struct F {
    int64_t c, k, h, w, kh, kw, sh, sw, d, pt, pb, pl, pr;
  };
  const F list[] = {
      {3, 64, 23, 29, 7, 7, 2, 2, 1, 3, 3, 3, 3}, {3, 37, 12, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {1, 16, 9, 30, 5, 5, 1, 3, 1, 2, 0, 4, 1},  {4, 33, 10, 11, 7, 7, 3, 2, 1, 0, 3, 6, 0},
      {2, 8, 15, 16, 3, 4, 2, 1, 2, 2, 2, 3, 3},  {5, 40, 8, 8, 1, 9, 1, 2, 1, 0, 0, 8, 8},
      {7, 20, 6, 40, 2, 6, 1, 1, 1, 1, 1, 0, 5},  {3, 96, 13, 13, 11, 11, 4, 4, 1, 2, 2, 2, 2},
      {3, 24, 5, 6, 3, 3, 1, 1, 1, 4, 4, 4, 4},   {6, 16, 4, 8, 2, 3, 1, 2, 3, 0, 2, 1, 1},
      {3, 64, 30, 30, 7, 7, 2, 2, 1, 3, 3, 3, 3},
  };
  for (Layout layout : {Layout::nhwc, Layout::nchw})
    for (const F& f : list) {
      const ConvParams p{.batch = 2,
                         .in_channels = f.c,
                         .in_height = f.h,
                         .in_width = f.w,
                         .out_channels = f.k,
                         .kernel_h = f.kh,
                         .kernel_w = f.kw,
                         .stride_h = f.sh,
                         .stride_w = f.sw,
                         .pad_top = f.pt,
                         .pad_bottom = f.pb,
                         .pad_left = f.pl,
                         .pad_right = f.pr,
                         .dilation_h = f.d,
                         .dilation_w = f.d,
                         .layout = layout};
      std::string description;
      EXPECT_TRUE(matches_reference(Op::conv2d, p, rng, &description));
      EXPECT_NE(description.find("column_fold " + isa()), std::string::npos) << description;
    }
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(ColumnFoldConv);

}  // namespace
}  // namespace svertka::test
