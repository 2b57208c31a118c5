// The fast transposed convolutions against all three reference formulations (scatter, Cᵀ·X,
// zero insertion) over sweeps of every parameter, under each ISA, forced with SVERTKA_ALGO;
// and the adjoint identity with the forward convolution through the fast paths.
#include <gtest/gtest.h>

#include <array>

#include "reference/reference.hpp"
#include "support/forced_algorithm.hpp"
#include "support/shapes.hpp"

namespace svertka::test {
namespace {

// Plan output against each reference formulation, tolerance from the scatter on |x|.
::testing::AssertionResult matches_every_formulation(const ConvParams& params,
                                                     std::mt19937& rng) {
  const Problem pr = make_problem(Op::conv_transpose2d, params);
  const auto src = random_floats(pr.src().size(), rng);
  const auto w = random_floats(pr.weights_size(), rng);
  const auto b = random_floats(params.out_channels, rng);
  std::vector<float> got(pr.dst().size(), std::nanf("")), magnitude(got.size());
  const Plan plan(Op::conv_transpose2d, params, w, b);
  plan.execute(src, got);
  reference::conv_transpose2d_scatter(pr, absolute(src).data(), absolute(w).data(),
                                      absolute(b).data(), magnitude.data());
  using Kernel = void (*)(const Problem&, const float*, const float*, const float*, float*);
  for (Kernel f : {reference::conv_transpose2d_scatter, reference::conv_transpose2d_filter_matrix,
                   reference::conv_transpose2d_zero_insertion}) {
    std::vector<float> want(got.size());
    f(pr, src.data(), w.data(), b.data(), want.data());
    auto result = close(want, got, magnitude);
    if (!result) {
      return result << "\n  plan: " << plan.describe() << "\n  problem: " << to_string(pr) << " "
                    << to_string(params.layout);
    }
  }
  return ::testing::AssertionSuccess();
}

// A transposed convolution of batch 2 with square stride and dilation (the sweeps' rows).
struct Shape {
  int64_t c, k, g, h, w, kh, kw, s, d, pt, pb, pl, pr, op;
};

ConvParams params(const Shape& s, Layout layout) {
  ConvParams p;
  p.batch = 2;
  p.in_channels = s.c;
  p.out_channels = s.k;
  p.groups = s.g;
  p.in_height = s.h;
  p.in_width = s.w;
  p.kernel_h = s.kh;
  p.kernel_w = s.kw;
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

// Strides up to 4 and larger than the filter (phases without taps: bias only), filters no
// larger than the stride (1x1 phases), padding larger than the filter, asymmetric padding,
// dilation, output padding, groups and depthwise, channel counts around the tiles.
void check_phase_shapes() {
  std::mt19937 rng(3);
  const Shape list[] = {
      {16, 16, 1, 5, 17, 2, 2, 2, 1, 0, 0, 0, 0, 0},   {8, 12, 1, 4, 16, 3, 3, 4, 1, 1, 1, 1, 1, 2},
      {33, 31, 1, 6, 20, 4, 4, 2, 1, 1, 1, 1, 1, 0},   {5, 7, 1, 7, 9, 3, 3, 2, 1, 4, 4, 4, 4, 1},
      {12, 6, 3, 5, 19, 3, 5, 2, 1, 1, 0, 2, 1, 1},    {8, 8, 8, 6, 25, 3, 3, 2, 1, 1, 1, 1, 1, 1},
      {16, 32, 16, 4, 18, 4, 4, 2, 1, 1, 1, 1, 1, 0},  {9, 10, 1, 5, 17, 3, 3, 3, 2, 2, 1, 0, 3, 2},
      {14, 15, 1, 3, 30, 1, 1, 3, 1, 0, 0, 0, 0, 1},   {21, 21, 1, 4, 16, 8, 8, 4, 1, 2, 2, 2, 2, 0},
      {64, 3, 1, 5, 22, 4, 4, 2, 1, 1, 1, 1, 1, 0},    {3, 64, 1, 5, 22, 3, 3, 1, 1, 0, 0, 0, 0, 0},
  };
  for (const Shape& s : list) {
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      EXPECT_TRUE(matches_every_formulation(params(s, layout), rng));
    }
  }
}

void check_tail_and_random_shapes() {
  std::mt19937 rng(1);
  for (const ConvParams& p : tail_shapes(Op::conv_transpose2d)) {
    EXPECT_TRUE(matches_every_formulation(p, rng));
  }
  for (const ConvParams& p : random_shapes(Op::conv_transpose2d, 200, 41)) {
    if (p.kernel_h * p.kernel_w > 64) continue;  // direct's limit
    EXPECT_TRUE(matches_every_formulation(p, rng));
  }
}

// Filters no larger than the stride (phase_gemm's, in NCHW): one tap per output phase.
bool one_tap_per_phase(const ConvParams& p) {
  return (p.kernel_h - 1) * p.dilation_h < p.stride_h &&
         (p.kernel_w - 1) * p.dilation_w < p.stride_w;
}

// The shapes each pair of fast paths takes: dense, depthwise (a channel multiplier does not
// transpose), and NCHW filters no larger than the stride (phase_gemm).
enum class Shapes { dense, depthwise, one_tap_per_phase };

bool takes(Shapes shapes, const ConvParams& conv, const ConvParams& t) {
  const bool depthwise = conv.groups == conv.in_channels;
  switch (shapes) {
    case Shapes::dense: return !depthwise;
    case Shapes::depthwise: return depthwise && t.groups == t.in_channels;
    case Shapes::one_tap_per_phase: return one_tap_per_phase(conv);
  }
  return false;
}

// <conv2d(x), y> = <x, conv_transpose2d(y)> with each operation through a forced fast path.
void check_adjoint(const std::string& conv_algorithm, const std::string& transposed_algorithm,
                   const std::string& isa, Shapes shapes) {
  std::mt19937 rng(7);
  int tested = 0;
  for (ConvParams conv : random_shapes(Op::conv2d, 300, 17)) {
    if (conv.kernel_h * conv.kernel_w > 64 || conv.stride_w > 2) continue;
    if (shapes == Shapes::one_tap_per_phase) conv.layout = Layout::nchw;
    const ConvParams t = adjoint_of(conv);
    if (!takes(shapes, conv, t)) continue;
    const BufferSizes s = buffer_sizes(Op::conv2d, conv);
    const auto x = random_floats(s.src, rng), y = random_floats(s.dst, rng);
    const auto w = random_floats(s.weights, rng);
    std::vector<float> cx(s.dst), ty(s.src), abs_cx(s.dst);
    {
      const ScopedEnv e{{"SVERTKA_ALGO", conv_algorithm}, {"SVERTKA_ISA", isa}};
      conv2d(conv, x, w, {}, cx);
      conv2d(conv, absolute(x), absolute(w), {}, abs_cx);
    }
    {
      const ScopedEnv e{{"SVERTKA_ALGO", transposed_algorithm}, {"SVERTKA_ISA", isa}};
      conv_transpose2d(t, y, w, {}, ty);
    }
    double lhs = 0, rhs = 0, magnitude = 0;
    for (std::size_t i = 0; i < s.dst; ++i) lhs += double(cx[i]) * y[i];
    for (std::size_t i = 0; i < s.src; ++i) rhs += double(x[i]) * ty[i];
    for (std::size_t i = 0; i < s.dst; ++i) magnitude += double(abs_cx[i]) * std::fabs(y[i]);
    EXPECT_NEAR(lhs, rhs, 1e-5 * magnitude + 1e-30) << conv_algorithm << " / " << transposed_algorithm;
    ++tested;
  }
  EXPECT_GT(tested, 10);
}

class Adjoint : public ForcedAlgorithm {};

TEST_P(Adjoint, HoldsForTheFastPaths) {
  check_adjoint("direct", "direct", isa(), Shapes::dense);
  check_adjoint("im2col_gemm", "gemm_col2im", isa(), Shapes::dense);
  check_adjoint("depthwise", "depthwise", isa(), Shapes::depthwise);
  check_adjoint("im2col_gemm", "phase_gemm", isa(), Shapes::one_tap_per_phase);
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(Adjoint);

class TransposedDirect : public ForcedAlgorithm {};

TEST_P(TransposedDirect, MatchesEveryFormulationOnTailAndRandomShapes) {
  const ScopedEnv scoped = force("direct");
  check_tail_and_random_shapes();
}

TEST_P(TransposedDirect, MatchesEveryFormulationOnPhaseShapes) {
  const ScopedEnv scoped = force("direct");
  check_phase_shapes();
}

// DCGAN's first layer's geometry (4x4 input, 4x4 filter at stride 2, padding 1), NHWC.
ConvParams dcgan_first_layer(int64_t in_channels, int64_t out_channels) {
  ConvParams p;
  p.in_channels = in_channels;
  p.out_channels = out_channels;
  p.in_height = p.in_width = 4;
  p.kernel_h = p.kernel_w = 4;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  p.layout = Layout::nhwc;
  return p;
}

// DCGAN's first layer: 8.4 MB of weights streamed from L3 for phases of 4x4 pixels, which go
// in place in tiles of a row each (4x64 on AVX-512 keeps 16 accumulators).
TEST_P(TransposedDirect, MatchesReferenceOnDcganFirstLayer) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(9);
  std::string description;
  EXPECT_TRUE(matches_reference(Op::conv_transpose2d, dcgan_first_layer(512, 256), rng,
                                &description));
  EXPECT_NE(description.find("direct " + isa()), std::string::npos) << description;
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(TransposedDirect);

class TransposedGemmCol2im : public ForcedAlgorithm {};

TEST_P(TransposedGemmCol2im, MatchesEveryFormulationOnTailAndRandomShapes) {
  const ScopedEnv scoped = force("gemm_col2im");
  check_tail_and_random_shapes();
}

TEST_P(TransposedGemmCol2im, MatchesEveryFormulationOnPhaseShapes) {
  const ScopedEnv scoped = force("gemm_col2im");
  check_phase_shapes();
}

// DCGAN's first layer a row of 4 pixels at a time: the register block that pads a row least
// (AVX2's 4x24, AVX-512's 6x64), not the table's first (6 or 14 rows, a third or more empty).
TEST_P(TransposedGemmCol2im, RowsOfFourPixelsTakeTheBlockThatPadsLeast) {
  const ScopedEnv scoped = force("gemm_col2im");
  std::mt19937 rng(11);
  const ConvParams p = dcgan_first_layer(64, 32);
  std::string description;
  EXPECT_TRUE(matches_reference(Op::conv_transpose2d, p, rng, &description));
  EXPECT_NE(description.find(isa() == "avx2" ? " 4x24 " : " 6x64 "), std::string::npos)
      << description;
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(TransposedGemmCol2im);

class TransposedPhaseGemm : public ForcedAlgorithm {};

// NCHW filters no larger than the stride: 2x2 at stride 2 with widths whose tiles straddle
// input rows, filters smaller than the stride and 1x1 (columns and rows of bias alone), 3- and
// 4-wide rows (register blocks holding whole filter rows), a filter row wider than the stride
// would allow without dilation spacing it, padding cutting into the first phase, asymmetric
// and output padding, groups, several pixel blocks (256 channels of 40x40; and 512 -> 40
// channels of 15x16, whose 327 KB of weights beyond half of L2 take blocks larger than fit L2:
// 224 pixels and 16 on AVX2, not 128) and random shapes.
TEST_P(TransposedPhaseGemm, MatchesEveryFormulation) {
  const ScopedEnv scoped = force("phase_gemm");
  std::mt19937 rng(8);
  const Shape list[] = {
      {16, 16, 1, 5, 17, 2, 2, 2, 1, 0, 0, 0, 0, 0},
      {13, 9, 1, 7, 45, 2, 2, 2, 1, 0, 0, 0, 0, 0},
      {8, 7, 1, 4, 11, 1, 1, 2, 1, 0, 0, 0, 0, 1},
      {5, 6, 1, 3, 13, 2, 2, 3, 1, 0, 0, 0, 0, 2},
      {9, 10, 1, 4, 21, 3, 3, 3, 1, 0, 0, 0, 0, 0},
      {6, 5, 1, 3, 19, 4, 4, 4, 1, 1, 2, 3, 1, 3},
      {7, 8, 1, 5, 9, 2, 2, 3, 2, 0, 0, 0, 0, 0},
      {12, 11, 1, 6, 33, 2, 2, 2, 1, 1, 0, 1, 0, 1},
      {12, 18, 3, 5, 14, 2, 2, 2, 1, 0, 1, 1, 0, 1},
      {40, 24, 2, 4, 37, 2, 2, 2, 1, 0, 0, 0, 0, 0},
      {256, 8, 1, 40, 40, 2, 2, 2, 1, 0, 0, 0, 0, 0},
      {3, 40, 1, 1, 1, 2, 2, 2, 1, 0, 0, 0, 0, 0},
      {512, 40, 1, 15, 16, 2, 2, 2, 1, 0, 0, 0, 0, 0},
  };
  for (const Shape& s : list) {
    EXPECT_TRUE(matches_every_formulation(params(s, Layout::nchw), rng));
  }
  int tested = 0;
  for (ConvParams p : random_shapes(Op::conv_transpose2d, 400, 47)) {
    p.layout = Layout::nchw;
    if (!one_tap_per_phase(p)) continue;
    EXPECT_TRUE(matches_every_formulation(p, rng));
    ++tested;
  }
  EXPECT_GT(tested, 20);
}

// U-Net's upsampling in NCHW is a plain GEMM by default; NHWC stays with direct.
TEST_P(TransposedPhaseGemm, IsTheDefaultForNchwUpsamplingOnly) {
  const ScopedEnv scoped{{"SVERTKA_ISA", isa()},
                         {"SVERTKA_NUM_THREADS", std::to_string(std::get<1>(GetParam()))}};
  ConvParams p;
  p.in_channels = 256;
  p.out_channels = 128;
  p.in_height = p.in_width = 28;
  p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 2;
  const std::vector<float> w(256 * 128 * 4);
  const Plan nchw(Op::conv_transpose2d, p, w);
  EXPECT_NE(nchw.describe().find("phase_gemm " + isa()), std::string::npos) << nchw.describe();
  p.layout = Layout::nhwc;
  const Plan nhwc(Op::conv_transpose2d, p, w);
  EXPECT_NE(nhwc.describe().find("direct " + isa()), std::string::npos) << nhwc.describe();
}

TEST_P(TransposedPhaseGemm, OutputBeyondL3IsStreamedAndMatchesReference) {
  const ScopedEnv scoped = force("phase_gemm");
  ConvParams p;
  p.in_channels = p.out_channels = 8;
  p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 2;
  expect_streamed_output_matches_reference(Op::conv_transpose2d, p, std::get<1>(GetParam()));
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(TransposedPhaseGemm);

class TransposedDepthwise : public ForcedAlgorithm {};

// groups = in_channels, channel multipliers, every stride to 4 (phases without taps), the
// bilinear filters, dilation, large and asymmetric padding, output padding.
TEST_P(TransposedDepthwise, MatchesEveryFormulation) {
  const ScopedEnv scoped = force("depthwise");
  std::mt19937 rng(4);
  const DepthwiseShape list[] = {
      {32, 1, 6, 20, 3, 2, 1, 1, 1, 1, 1, 0},  {17, 1, 5, 9, 3, 2, 1, 1, 1, 1, 1, 1},
      {16, 1, 4, 13, 5, 3, 1, 2, 2, 2, 2, 0},  {7, 1, 4, 7, 7, 4, 1, 3, 3, 3, 3, 3},
      {5, 2, 5, 8, 4, 2, 1, 1, 0, 2, 1, 1},    {48, 1, 3, 16, 2, 2, 1, 0, 0, 0, 0, 0},
      {8, 3, 4, 6, 3, 3, 2, 1, 2, 2, 1, 1},    {33, 1, 6, 6, 1, 4, 1, 0, 0, 0, 0, 2},
      {64, 1, 7, 30, 3, 1, 1, 0, 0, 0, 0, 0},  {20, 1, 5, 11, 3, 2, 3, 4, 4, 4, 4, 2},
  };
  for (const DepthwiseShape& s : list) {
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      EXPECT_TRUE(matches_every_formulation(depthwise_params(s, layout), rng));
    }
  }
}

// Bilinear upsampling's shape, 2x: phases interleaved into output rows, streamed.
TEST_P(TransposedDepthwise, OutputBeyondL3IsStreamedAndMatchesReference) {
  const ScopedEnv scoped = force("depthwise");
  ConvParams p;
  p.in_channels = p.out_channels = p.groups = 4;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  p.output_padding_h = p.output_padding_w = 1;
  expect_streamed_output_matches_reference(Op::conv_transpose2d, p, std::get<1>(GetParam()));
}

// NHWC read in place (channels of whole vectors on both ISAs), rows enough for several bands
// of L2 per pass, each band's passes in turn: bilinear 2x, and a stride-3 filter with padding
// and output padding, whose passes differ in rows and taps.
TEST_P(TransposedDepthwise, InPlaceBandsOfEveryPassMatchReference) {
  const ScopedEnv scoped = force("depthwise");
  std::mt19937 rng(8);
  for (const auto& [k, s, pad, op] : {std::array<int64_t, 4>{3, 2, 1, 1}, {5, 3, 2, 2}}) {
    ConvParams p;
    p.batch = 2;
    p.in_channels = p.out_channels = p.groups = 64;
    p.in_height = 37;
    p.in_width = 64;  // 16 KiB rows: bands of 8 rows or fewer in a 1 MiB L2
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = s;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = pad;
    p.output_padding_h = p.output_padding_w = op;
    p.layout = Layout::nhwc;
    std::string description;
    EXPECT_TRUE(matches_reference(Op::conv_transpose2d, p, rng, &description));
    EXPECT_NE(description.find("depthwise " + isa()), std::string::npos) << description;
  }
}

TEST_P(TransposedDepthwise, MatchesEveryFormulationOnDepthwiseShapesOfTheRandomSweep) {
  const ScopedEnv scoped = force("depthwise");
  std::mt19937 rng(5);
  int tested = 0;
  for (const ConvParams& p : random_shapes(Op::conv_transpose2d, 400, 43)) {
    if (p.groups != p.in_channels) continue;
    EXPECT_TRUE(matches_every_formulation(p, rng));
    ++tested;
  }
  EXPECT_GT(tested, 20);
}

// Bilinear upsampling takes the depthwise phases by default: against the interpolation
// formula for factors 1-4, and exact at the input points.
TEST_P(TransposedDepthwise, BilinearUpsamplingRunsHereAndMatchesTheFormula) {
  const ScopedEnv scoped{{"SVERTKA_ISA", isa()},
                         {"SVERTKA_NUM_THREADS", std::to_string(std::get<1>(GetParam()))}};
  std::mt19937 rng(6);
  // Odd channels; and planes whose phases go through NCHW's scratch rows in several bands.
  for (const auto& [n, c, h, w] : {std::array<int64_t, 4>{2, 19, 7, 11}, {1, 3, 100, 90}})
  for (int64_t factor : {1, 2, 3, 4})
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
      const int64_t oh = (h - 1) * factor + 1, ow = (w - 1) * factor + 1;
      const auto src = random_floats(n * c * h * w, rng);
      std::vector<float> want(n * c * oh * ow), got(want.size()), magnitude(want.size());
      reference::upsample_bilinear_interpolate(src.data(), n, c, h, w, factor, layout, want.data());
      reference::upsample_bilinear_interpolate(absolute(src).data(), n, c, h, w, factor, layout,
                                               magnitude.data());
      upsample_bilinear(src, n, c, h, w, factor, layout, got);
      EXPECT_TRUE(close(want, got, magnitude)) << "factor " << factor << " " << to_string(layout);
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const TensorDesc in{n, c, h, w, layout}, out{n, c, oh, ow, layout};
          ASSERT_EQ(got[out.offset(n - 1, c - 1, y * factor, x * factor)],
                    src[in.offset(n - 1, c - 1, y, x)]);
        }
    }
  ConvParams p;
  p.in_channels = p.out_channels = p.groups = 8;
  p.in_height = p.in_width = 5;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  const Plan plan(Op::conv_transpose2d, p, std::vector<float>(8 * 9));
  EXPECT_NE(plan.describe().find("depthwise " + isa()), std::string::npos) << plan.describe();
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(TransposedDepthwise);

}  // namespace
}  // namespace svertka::test
