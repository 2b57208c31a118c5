// The depthwise kernel against the reference: channel counts around the vector block, channel
// multipliers, every filter size, stride and dilation, border-heavy windows, both layouts.
#include <gtest/gtest.h>

#include <utility>

#include "support/forced_algorithm.hpp"
#include "support/shapes.hpp"

namespace svertka::test {
namespace {

class Depthwise : public ForcedAlgorithm {};

TEST_P(Depthwise, MatchesReferenceOverASweep) {
  const ScopedEnv scoped = force("depthwise");
  std::mt19937 rng(1);
  // The last three: NCHW rows of more than four vectors of either ISA, in overlapping chunks;
  // an odd stride-2 row split into phases two vectors at a time.
  const DepthwiseShape list[] = {
      {1, 1, 5, 5, 3, 1, 1, 1, 1, 1, 1},     {5, 1, 7, 9, 3, 1, 1, 1, 1, 1, 1},
      {17, 1, 8, 13, 3, 2, 1, 1, 0, 1, 0},   {32, 1, 9, 20, 3, 1, 1, 1, 1, 1, 1},
      {33, 1, 6, 17, 5, 1, 1, 2, 2, 2, 2},   {64, 1, 15, 15, 3, 2, 1, 1, 1, 1, 1},
      {16, 2, 7, 11, 3, 1, 1, 1, 1, 1, 1},   {7, 3, 6, 8, 3, 1, 1, 0, 2, 1, 0},
      {40, 1, 10, 31, 7, 1, 1, 3, 3, 3, 3},  {24, 1, 12, 12, 1, 1, 1, 0, 0, 0, 0},
      {48, 1, 9, 30, 3, 1, 2, 2, 2, 2, 2},   {8, 1, 3, 19, 3, 1, 5, 5, 5, 5, 5},
      {20, 1, 11, 22, 2, 2, 1, 0, 1, 0, 1},  {32, 1, 5, 40, 3, 3, 1, 1, 1, 1, 1},
      {13, 2, 4, 4, 4, 1, 1, 3, 3, 3, 3},    {96, 1, 14, 14, 3, 1, 1, 1, 1, 1, 1},
      {3, 1, 5, 70, 3, 1, 1, 1, 1, 1, 1},    {6, 1, 9, 150, 3, 2, 1, 1, 1, 1, 1},
      {5, 1, 4, 41, 3, 2, 1, 1, 1, 1, 1},
  };
  for (const DepthwiseShape& s : list) {
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      std::string description;
      EXPECT_TRUE(matches_reference(Op::conv2d, depthwise_params(s, layout), rng, &description));
      EXPECT_NE(description.find("depthwise " + isa()), std::string::npos) << description;
    }
  }
}

// NCHW convolutions with output rows under 16 pixels go through the NHWC tiles, in channel
// blocks: bands of fewer than 8 pixels, stride, dilation, large and asymmetric
// padding, channels not of whole transposes; wider rows, a channel multiplier, channels
// padded by more than an eighth or input rows too long for bands of two output rows stay
// planes.
TEST_P(Depthwise, NarrowNchwRowsGoThroughChannelBlocks) {
  const ScopedEnv scoped = force("depthwise");
  std::mt19937 rng(3);
  // 60 channels (64 padded on both ISAs): the last 4 one element at a time; 72: blocked where
  // the blocks are 16 wide (AVX2: 80 padded), planes where they are 32 (AVX-512: 96).
  const bool wide_blocks = isa() == "avx512";
  const std::pair<DepthwiseShape, bool> list[] = {
      {{64, 1, 7, 7, 3, 1, 1, 1, 1, 1, 1}, true},
      {{128, 1, 13, 13, 3, 2, 1, 1, 1, 1, 1}, true},
      {{64, 1, 9, 6, 5, 1, 2, 4, 1, 3, 0}, true},
      {{64, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1}, true},
      {{64, 1, 14, 15, 3, 1, 1, 1, 1, 1, 1}, true},
      {{64, 1, 14, 16, 3, 1, 1, 1, 1, 1, 1}, false},
      {{64, 1, 40, 40, 3, 1, 1, 1, 1, 1, 1}, false},
      {{32, 2, 7, 7, 3, 1, 1, 1, 1, 1, 1}, false},
      {{5, 1, 7, 7, 3, 1, 1, 1, 1, 1, 1}, false},
      {{512, 1, 6, 28, 3, 2, 1, 1, 1, 1, 1}, false},
      {{60, 1, 5, 5, 3, 1, 1, 1, 1, 1, 1}, true},
      {{72, 1, 5, 5, 3, 1, 1, 1, 1, 1, 1}, !wide_blocks},
  };
  for (const auto& [s, blocked] : list) {
    std::string description;
    EXPECT_TRUE(matches_reference(Op::conv2d, depthwise_params(s, Layout::nchw), rng, &description));
    EXPECT_EQ(description.find("channel blocks") != std::string::npos, blocked) << description;
  }
}

TEST_P(Depthwise, MatchesReferenceOnDepthwiseShapesOfTheRandomSweep) {
  const ScopedEnv scoped = force("depthwise");
  std::mt19937 rng(2);
  int tested = 0;
  for (const ConvParams& p : random_shapes(Op::conv2d, 400, 31)) {
    if (p.groups != p.in_channels) continue;
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
    ++tested;
  }
  EXPECT_GT(tested, 20);
}

TEST_P(Depthwise, DoesNotApplyToOtherGroupings) {
  const ScopedEnv scoped = force("depthwise");
  ConvParams p;
  p.in_channels = 8;
  p.out_channels = 8;
  p.groups = 4;
  try {
    Plan(Op::conv2d, p, std::vector<float>(8 * 2));
    FAIL() << "forced depthwise on groups != in_channels";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("groups != in_channels"), std::string::npos) << e.what();
  }
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(Depthwise);

}  // namespace
}  // namespace svertka::test
