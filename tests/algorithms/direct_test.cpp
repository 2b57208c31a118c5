// Direct convolution against the reference over shapes that hit every tail, forced with
// SVERTKA_ALGO=direct under each ISA the CPU runs, on one and two threads.
#include <gtest/gtest.h>

#include <string>

#include "runtime/topology.hpp"
#include "support/forced_algorithm.hpp"
#include "support/shapes.hpp"

namespace svertka::test {
namespace {

class DirectConv : public ForcedAlgorithm {};

TEST_P(DirectConv, MatchesReferenceOnTailShapes) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(1);
  for (const ConvParams& p : tail_shapes(Op::conv2d)) {
    std::string description;
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng, &description));
    EXPECT_NE(description.find("direct " + isa()), std::string::npos) << description;
  }
}

// ResNet's last stage, 7 pixels wide: rows of 4 pad least, and of AVX2's two 4-row blocks the
// model takes 4x24 (12 accumulators) over 4x16 (8, too few to keep both FMA ports busy).
TEST_P(DirectConv, SevenPixelRowsTakeABlockWithTenAccumulatorsOrMore) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(12);
  ConvParams p;
  p.in_channels = p.out_channels = 64;
  p.in_height = p.in_width = 7;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  p.layout = Layout::nhwc;
  std::string description;
  EXPECT_TRUE(matches_reference(Op::conv2d, p, rng, &description));
  EXPECT_EQ(description.find(" 4x16 "), std::string::npos) << description;
  if (isa() == "avx2") {
    EXPECT_NE(description.find(" 4x24 "), std::string::npos) << description;
  }
}

// Many input channels (1024, as in ResNet's fourth stage and U-Net): the model takes tiles
// whose input over one tap (MR pixels x the channels) stays in L1, since the broadcasts of a
// larger one come from L2 (every ISA has such a block: 6x64 and 8x32, 4x24).
TEST_P(DirectConv, WideChannelLayersTakeTilesWhoseInputStaysInL1) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(16);
  ConvParams p;
  p.in_channels = 1024;
  p.out_channels = 64;
  p.in_height = p.in_width = 7;
  p.layout = Layout::nhwc;
  std::string description;
  EXPECT_TRUE(matches_reference(Op::conv2d, p, rng, &description));
  const size_t at = description.find(isa() + " ") + isa().size() + 1;
  const int64_t mr = std::stoll(description.substr(at));
  EXPECT_LE(mr * p.in_channels * int64_t{sizeof(float)}, topology().l1d_bytes) << description;
}

// Border tiles packed once and multiplied by each group of output-channel blocks right after
// that group's interior tiles: weights larger than half of L2 (512 channels, 3x3: a group per
// block), and border panels too many for one group (a 7x7 filter padded 3 on 12x12, 256
// channels: many groups of a few tiles, the interior first).
TEST_P(DirectConv, MatchesReferenceWithBorderTilesBetweenBlockGroups) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(13);
  struct B {
    int64_t c, k, h, w, r, pad;
  };
  for (const B& b : {B{512, 64, 7, 7, 3, 1}, B{256, 40, 12, 12, 7, 3}}) {
    for (Layout layout : {Layout::nhwc, Layout::nchw}) {
      ConvParams p;
      p.in_channels = b.c;
      p.out_channels = b.k;
      p.in_height = b.h;
      p.in_width = b.w;
      p.kernel_h = p.kernel_w = b.r;
      p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = b.pad;
      p.layout = layout;
      EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
    }
  }
}

// Weights beyond half of L2 but not far beyond the input: at two threads the work items are
// groups of output-channel blocks times bands of rows (a 1x1 stride-2 layer, 640 channels:
// 8 groups x 2 bands; a 3x3 layer, 128 channels: 4 x 4), not groups alone.
TEST_P(DirectConv, MatchesReferenceWithChannelGroupsTimesBands) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(14);
  struct B {
    int64_t c, k, h, r, stride, pad;
  };
  for (const B& b : {B{128, 640, 28, 1, 2, 0}, B{64, 128, 28, 3, 1, 1}}) {
    for (Layout layout : {Layout::nhwc, Layout::nchw}) {
      const ConvParams p{.in_channels = b.c,
                         .in_height = b.h,
                         .in_width = b.h,
                         .out_channels = b.k,
                         .kernel_h = b.r,
                         .kernel_w = b.r,
                         .stride_h = b.stride,
                         .stride_w = b.stride,
                         .pad_top = b.pad,
                         .pad_bottom = b.pad,
                         .pad_left = b.pad,
                         .pad_right = b.pad,
                         .layout = layout};
      EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
    }
  }
}

// Windows that leave the image on every side: padding as large as the filter, dilation
// larger than the input, stride 2 with odd widths.
TEST_P(DirectConv, MatchesReferenceOnBorderHeavyShapes) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(4);
  struct B {
    int64_t h, w, k, s, d, pad;
  };
  for (const B& b : {B{5, 20, 3, 1, 1, 3}, B{9, 31, 5, 2, 1, 5}, B{3, 17, 3, 1, 9, 9},
                     B{16, 16, 3, 2, 4, 4}, B{1, 40, 1, 2, 1, 0}, B{7, 15, 7, 1, 1, 0},
                     B{4, 30, 2, 2, 3, 1}}) {
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      ConvParams p;
      p.batch = 2;
      p.in_channels = 11;
      p.out_channels = 37;
      p.in_height = b.h;
      p.in_width = b.w;
      p.kernel_h = p.kernel_w = b.k;
      p.stride_h = p.stride_w = b.s;
      p.dilation_h = p.dilation_w = b.d;
      p.pad_top = p.pad_left = b.pad;
      p.pad_bottom = p.pad_right = b.pad > 0 ? b.pad - 1 : 0;
      p.layout = layout;
      EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
    }
  }
}

// Dilated filters with padding wider than the register block (DeepLab's ASPP): the columns at
// each side where only some taps land inside run in place with those taps, rows too; in place
// and blocked input, strides 1 and 2, and transposed (its phases have such columns too).
TEST_P(DirectConv, MatchesReferenceWithWideSideSegments) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(6);
  for (Op op : {Op::conv2d, Op::conv_transpose2d})
    for (int64_t c : {11, 64})
      for (int64_t s : {1, 2}) {
        ConvParams p;
        p.in_channels = c;
        p.out_channels = 37;
        p.in_height = 20;
        p.in_width = op == Op::conv2d ? 61 : 30;
        p.kernel_h = p.kernel_w = 3;
        p.stride_h = p.stride_w = s;
        p.dilation_h = p.dilation_w = 16;
        p.pad_top = p.pad_left = 16;
        p.pad_bottom = p.pad_right = 13;
        p.layout = c == 64 ? Layout::nhwc : Layout::nchw;
        EXPECT_TRUE(matches_reference(op, p, rng));
      }
}

// A pointwise layer runs as one row of H·W pixels; on several threads its items are pieces of
// that row (whole tiles, the last piece to the end, with the packed ragged pixels): in place and
// blocked, channel tails, pieces fewer than the threads want.
TEST_P(DirectConv, MatchesReferenceOnPointwiseRowPieces) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(7);
  struct B {
    int64_t c, k, h, w;
    Layout layout;
  };
  for (const B& b : {B{64, 40, 20, 20, Layout::nhwc}, B{11, 37, 13, 17, Layout::nchw},
                     B{64, 96, 7, 7, Layout::nhwc}, B{24, 33, 3, 9, Layout::nhwc}}) {
    ConvParams p;
    p.batch = 2;
    p.in_channels = b.c;
    p.out_channels = b.k;
    p.in_height = b.h;
    p.in_width = b.w;
    p.layout = b.layout;
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
  }
}

// Rows in near-equal tiles read in place, each tap over the pixels where it reads inside the
// image: rows narrower than a tile (7), rows that tiles do not divide (a pointwise row of 49
// pixels, 21, 15), taps over part of the end tiles (3x3 padded 1), a tile that no tap spans
// (two taps 5 apart over a 5-pixel input: bias, then each tap over half of the tile), strides 3
// and 4 (no compiled kernel reads rows that far apart), and an NHWC channel count without one
// (96); both layouts, pieces of a pointwise row on two threads.
TEST_P(DirectConv, MatchesReferenceWithTapsOverPartsOfTiles) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(13);
  struct B {
    int64_t c, k, h, w, r, stride, dilation, pad;
  };
  for (const B& b : {B{64, 56, 7, 7, 1, 1, 1, 0}, B{32, 32, 1, 21, 1, 1, 1, 0},
                     B{32, 32, 3, 15, 3, 1, 1, 1}, B{64, 64, 7, 7, 3, 1, 1, 1},
                     B{16, 24, 3, 5, 2, 1, 5, 5}, B{24, 40, 9, 20, 3, 3, 1, 1},
                     B{16, 32, 8, 17, 3, 4, 1, 2}, B{96, 40, 6, 9, 3, 1, 1, 1}})
    for (Layout layout : {Layout::nhwc, Layout::nchw}) {
      ConvParams p;
      p.batch = 2;
      p.in_channels = b.c;
      p.out_channels = b.k;
      p.in_height = b.h;
      p.in_width = b.w;
      p.kernel_h = p.kernel_w = b.r;
      p.stride_h = p.stride_w = b.stride;
      p.dilation_h = p.dilation_w = b.dilation;
      p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = b.pad;
      p.layout = layout;
      std::string description;
      EXPECT_TRUE(matches_reference(Op::conv2d, p, rng, &description));
      EXPECT_NE(description.find("direct " + isa()), std::string::npos) << description;
    }
}

// Rows too narrow for tiles that keep the FMAs busy (2 pixels: 4 accumulators) are gathered
// from several rows into packed tiles, zeros for the taps outside: convolutions and the phases
// of a transposed one, in place and blocked input, a partial channel block.
TEST_P(DirectConv, MatchesReferenceWithNarrowRowsPacked) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(15);
  for (Op op : {Op::conv2d, Op::conv_transpose2d})
    for (Layout layout : {Layout::nhwc, Layout::nchw}) {
      ConvParams p;
      p.batch = 2;
      p.in_channels = 32;
      p.out_channels = 40;
      p.in_height = 9;
      p.in_width = 2;
      p.kernel_h = p.kernel_w = op == Op::conv2d ? 3 : 4;
      p.stride_h = p.stride_w = op == Op::conv2d ? 1 : 2;
      p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
      p.layout = layout;
      std::string description;
      EXPECT_TRUE(matches_reference(op, p, rng, &description));
      EXPECT_NE(description.find(" packed "), std::string::npos) << description;
    }
}

// Rows longer than a chunk (a quarter of L2 of input and output columns) go in chunks: a
// pointwise layer's one long row, and a wide row whose middle segment (all three taps, from
// pixel 1019) starts just before the first cut on this machine (1020 pixels at AVX2, 1022 at
// AVX-512): the part of it left of the cut is narrower than a tile, and that tile must stay
// inside its segment (a mutation letting it start earlier fails here).
TEST_P(DirectConv, MatchesReferenceOnRowsLongerThanAChunk) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(9);
  ConvParams p;
  p.in_channels = 64;
  p.out_channels = 256;
  p.in_height = p.in_width = 36;
  p.layout = Layout::nhwc;
  EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
  p.out_channels = 64;
  p.in_height = 2;
  p.in_width = 2100;
  p.kernel_w = 3;
  p.dilation_w = p.pad_left = p.pad_right = 1019;
  EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
}

// NHWC input with one group and whole channel blocks is read in place: channel counts whose
// row kernels exist (64, 128 at strides 1 and 2), with borders, padding and dilation.
TEST_P(DirectConv, MatchesReferenceReadingNhwcInPlace) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(5);
  for (int64_t c : {64, 128})
    for (int64_t s : {1, 2})
      for (int64_t k : {1, 3}) {
        ConvParams p;
        p.batch = 2;
        p.in_channels = c;
        p.out_channels = 40;
        p.in_height = 7;
        p.in_width = 33;
        p.kernel_h = p.kernel_w = k;
        p.stride_h = p.stride_w = s;
        p.pad_top = p.pad_left = k / 2;
        p.pad_bottom = p.pad_right = k / 2 + 1;
        p.dilation_w = k == 3 ? 2 : 1;
        p.layout = Layout::nhwc;
        EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
      }
}

TEST_P(DirectConv, MatchesReferenceOnARandomSweep) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(2);
  for (const ConvParams& p : random_shapes(Op::conv2d, 150, 23)) {
    if (p.stride_w > 2 || p.kernel_h * p.kernel_w > 64) continue;
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
  }
}

// Rows wide enough for several interior tiles (the last one overlapping), many input channel
// blocks and several output channel blocks.
TEST_P(DirectConv, MatchesReferenceAcrossCacheBlocks) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(3);
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    ConvParams p;
    p.in_channels = 70;
    p.out_channels = 75;
    p.in_height = 9;
    p.in_width = 47;
    p.kernel_h = p.kernel_w = 3;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    p.layout = layout;
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
  }
}

// NCHW rows go to the planes a row buffer at a time, past the caches when the layer's input
// and output outgrow L3: a 3x3 layer of two groups with partial channel blocks (20 of 32 or
// 16), and a pointwise one (its row is the whole image).
TEST_P(DirectConv, NchwOutputBeyondL3IsStreamedAndMatchesReference) {
  const ScopedEnv scoped = force("direct");
  ConvParams p;
  p.in_channels = 8;
  p.out_channels = 40;
  p.groups = 2;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  expect_streamed_output_matches_reference(Op::conv2d, p, std::get<1>(GetParam()));
  ConvParams pointwise;
  pointwise.in_channels = 16;
  pointwise.out_channels = 24;
  expect_streamed_output_matches_reference(Op::conv2d, pointwise, std::get<1>(GetParam()));
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(DirectConv);

}  // namespace
}  // namespace svertka::test
