// The fast transposed convolutions against all three reference formulations (scatter, Cᵀ·X,
// zero insertion) over sweeps of every parameter, under each ISA, forced with SVERTKA_ALGO;
// and the adjoint identity with the forward convolution through the fast paths.
#include <gtest/gtest.h>

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

class TransposedDirect : public ForcedAlgorithm {};

TEST_P(TransposedDirect, MatchesEveryFormulationOnTailShapes) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(1);
  for (const ConvParams& p : tail_shapes(Op::conv_transpose2d)) {
    EXPECT_TRUE(matches_every_formulation(p, rng));
  }
}

TEST_P(TransposedDirect, MatchesEveryFormulationOnARandomSweep) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(2);
  for (const ConvParams& p : random_shapes(Op::conv_transpose2d, 200, 41)) {
    if (p.kernel_h * p.kernel_w > 64) continue;
    EXPECT_TRUE(matches_every_formulation(p, rng));
  }
}

// Strides up to 4 and larger than the filter (phases without taps: bias only), filters no
// larger than the stride (1x1 phases), padding larger than the filter, asymmetric padding,
// dilation, output padding, groups and depthwise, channel counts around the tiles.
TEST_P(TransposedDirect, MatchesEveryFormulationOnPhaseShapes) {
  const ScopedEnv scoped = force("direct");
  std::mt19937 rng(3);
  struct S {
    int64_t c, k, g, h, w, kh, kw, s, d, pt, pb, pl, pr, op;
  };
  const S list[] = {
      {16, 16, 1, 5, 17, 2, 2, 2, 1, 0, 0, 0, 0, 0},   {8, 12, 1, 4, 16, 3, 3, 4, 1, 1, 1, 1, 1, 2},
      {33, 31, 1, 6, 20, 4, 4, 2, 1, 1, 1, 1, 1, 0},   {5, 7, 1, 7, 9, 3, 3, 2, 1, 4, 4, 4, 4, 1},
      {12, 6, 3, 5, 19, 3, 5, 2, 1, 1, 0, 2, 1, 1},    {8, 8, 8, 6, 25, 3, 3, 2, 1, 1, 1, 1, 1, 1},
      {16, 32, 16, 4, 18, 4, 4, 2, 1, 1, 1, 1, 1, 0},  {9, 10, 1, 5, 17, 3, 3, 3, 2, 2, 1, 0, 3, 2},
      {14, 15, 1, 3, 30, 1, 1, 3, 1, 0, 0, 0, 0, 1},   {21, 21, 1, 4, 16, 8, 8, 4, 1, 2, 2, 2, 2, 0},
      {64, 3, 1, 5, 22, 4, 4, 2, 1, 1, 1, 1, 1, 0},    {3, 64, 1, 5, 22, 3, 3, 1, 1, 0, 0, 0, 0, 0},
  };
  for (const S& s : list) {
    for (Layout layout : {Layout::nchw, Layout::nhwc}) {
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
      EXPECT_TRUE(matches_every_formulation(p, rng));
    }
  }
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(TransposedDirect);

}  // namespace
}  // namespace svertka::test
