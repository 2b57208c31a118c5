// Bilinear upsampling as a depthwise transposed convolution: the filter, the exactness at input
// points, agreement with the interpolation formula, and the padding the seminar warns about.
#include "bilinear.hpp"

#include <gtest/gtest.h>

#include "reference/reference.hpp"
#include "support/check.hpp"

namespace svertka::test {
namespace {

TEST(Bilinear, Factor2FilterIsTheSeminarsTriangle) {
  EXPECT_EQ(bilinear_weights(1, 2),
            (std::vector<float>{0.25f, 0.5f, 0.25f, 0.5f, 1.0f, 0.5f, 0.25f, 0.5f, 0.25f}));
  EXPECT_EQ(bilinear_weights(2, 1), (std::vector<float>{1.0f, 1.0f}));  // identity per channel
}

class BilinearFactor : public ::testing::TestWithParam<std::tuple<int64_t, Layout>> {};

TEST_P(BilinearFactor, EqualsTheInterpolationFormula) {
  const auto [factor, layout] = GetParam();
  std::mt19937 rng(17);
  for (auto [h, w] : {std::pair<int64_t, int64_t>{1, 1}, {1, 5}, {4, 1}, {5, 7}, {8, 8}}) {
    const int64_t batch = 2, channels = 3;
    const auto src = random_floats(batch * channels * h * w, rng);
    const int64_t oh = (h - 1) * factor + 1, ow = (w - 1) * factor + 1;
    std::vector<float> want(batch * channels * oh * ow), got(want.size()), magnitude(want.size());
    reference::upsample_bilinear_interpolate(src.data(), batch, channels, h, w, factor, layout,
                                             want.data());
    reference::upsample_bilinear_interpolate(absolute(src).data(), batch, channels, h, w, factor,
                                             layout, magnitude.data());
    upsample_bilinear(src, batch, channels, h, w, factor, layout, got);
    EXPECT_TRUE(close(want, got, magnitude)) << h << "x" << w;
  }
}

INSTANTIATE_TEST_SUITE_P(Factors, BilinearFactor,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4),
                                            ::testing::Values(Layout::nchw, Layout::nhwc)));

TEST(Bilinear, PaddingOneKeepsEveryInputPointExactly) {
  std::mt19937 rng(1);
  const int64_t h = 6, w = 5, oh = 2 * h - 1, ow = 2 * w - 1;
  const auto src = random_floats(h * w, rng);
  std::vector<float> dst(oh * ow);
  upsample_bilinear(src, 1, 1, h, w, 2, Layout::nchw, dst);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) EXPECT_EQ(dst[2 * y * ow + 2 * x], src[y * w + x]);
}

// With padding 0 the same filter gives 2h+1 outputs: the interior is the padding-1 result moved
// by one, but the border interpolates towards an implicit zero (a corner is f00/4, not f00).
TEST(Bilinear, PaddingZeroGrowsTheOutputAndDarkensTheBorder) {
  std::mt19937 rng(2);
  const int64_t h = 4, w = 3;
  const auto src = random_floats(h * w, rng);
  ConvParams p = bilinear_params(1, 1, h, w, 2, Layout::nchw);
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 0;
  ASSERT_EQ(output_size(Op::conv_transpose2d, p), (Extent{2 * h + 1, 2 * w + 1}));
  std::vector<float> padded((2 * h + 1) * (2 * w + 1)), exact((2 * h - 1) * (2 * w - 1));
  conv_transpose2d(p, src, bilinear_weights(1, 2), {}, padded);
  upsample_bilinear(src, 1, 1, h, w, 2, Layout::nchw, exact);
  for (int64_t y = 0; y < 2 * h - 1; ++y)
    for (int64_t x = 0; x < 2 * w - 1; ++x)
      EXPECT_NEAR(padded[(y + 1) * (2 * w + 1) + x + 1], exact[y * (2 * w - 1) + x], 1e-6);
  EXPECT_EQ(padded[0], src[0] * 0.25f);
  EXPECT_EQ(padded[1], src[0] * 0.5f);
  EXPECT_NE(padded[0], src[0]);
}

}  // namespace
}  // namespace svertka::test
