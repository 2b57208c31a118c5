// Every formulation of the seminar computes the same map: checked against each other over a
// seeded sweep of shapes, against hand-computed values, and across layouts.
#include <gtest/gtest.h>

#include "problem.hpp"
#include "reference/reference.hpp"
#include "support/check.hpp"
#include "support/shapes.hpp"

namespace svertka::test {
namespace {

using Kernel = void (*)(const Problem&, const float*, const float*, const float*, float*);
struct Formulation {
  const char* name;
  Kernel run;
};

// The first of each list is the oracle for the others.
const Formulation kConv[] = {{"sliding_window", reference::conv2d_sliding_window},
                             {"filter_matrix", reference::conv2d_filter_matrix},
                             {"im2col_gemm", reference::conv2d_im2col_gemm}};
const Formulation kTransposed[] = {{"scatter", reference::conv_transpose2d_scatter},
                                   {"filter_matrix_transposed",
                                    reference::conv_transpose2d_filter_matrix},
                                   {"zero_insertion", reference::conv_transpose2d_zero_insertion}};

std::span<const Formulation> formulations(Op op) {
  return op == Op::conv2d ? std::span<const Formulation>(kConv) : kTransposed;
}

std::vector<float> run(Kernel k, const Problem& pr, std::span<const float> src,
                       std::span<const float> w, const float* bias) {
  std::vector<float> dst(pr.dst().size(), std::nanf(""));
  k(pr, src.data(), w.data(), bias, dst.data());
  return dst;
}

class FormulationsAgree : public ::testing::TestWithParam<Op> {};

TEST_P(FormulationsAgree, OverASeededSweepWithAndWithoutBias) {
  const Op op = GetParam();
  std::mt19937 rng(42);
  for (const ConvParams& params : random_shapes(op, 300, 7)) {
    const Problem pr = make_problem(op, params);
    const auto src = random_floats(pr.src().size(), rng);
    const auto w = random_floats(pr.weights_size(), rng);
    const auto b = random_floats(params.out_channels, rng);
    const auto abs_src = absolute(src), abs_w = absolute(w), abs_b = absolute(b);
    for (const float* bias : {static_cast<const float*>(nullptr), b.data()}) {
      const Kernel oracle = formulations(op)[0].run;
      const auto want = run(oracle, pr, src, w, bias);
      const auto magnitude = run(oracle, pr, abs_src, abs_w, bias ? abs_b.data() : nullptr);
      for (const Formulation& f : formulations(op).subspan(1)) {
        EXPECT_TRUE(close(want, run(f.run, pr, src, w, bias), magnitude))
            << f.name << " " << to_string(op) << " " << to_string(params.layout) << " "
            << to_string(pr) << (bias ? " with bias" : "");
      }
    }
  }
}

// The layout only moves elements: an NHWC run on the transposed input gives the transposed
// NCHW result (up to summation order). All formulations share the library's indexing, so this
// is checked against independent transposes.
TEST_P(FormulationsAgree, AcrossLayouts) {
  const Op op = GetParam();
  std::mt19937 rng(3);
  for (ConvParams params : random_shapes(op, 100, 11)) {
    params.layout = Layout::nchw;
    const Problem nchw = make_problem(op, params);
    params.layout = Layout::nhwc;
    const Problem nhwc = make_problem(op, params);
    const auto src = random_floats(nchw.src().size(), rng);
    const auto w = random_floats(nchw.weights_size(), rng);
    const auto b = random_floats(params.out_channels, rng);
    const auto magnitude =
        run(formulations(op)[0].run, nchw, absolute(src), absolute(w), absolute(b).data());
    const auto src_nhwc = nchw_to_nhwc(src, params.batch, params.in_channels, params.in_height,
                                       params.in_width);
    for (const Formulation& f : formulations(op)) {
      const auto want = run(f.run, nchw, src, w, b.data());
      const auto got = nhwc_to_nchw(run(f.run, nhwc, src_nhwc, w, b.data()), params.batch,
                                    params.out_channels, nchw.out_h, nchw.out_w);
      EXPECT_TRUE(close(want, got, magnitude)) << f.name << " " << to_string(nchw);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, FormulationsAgree,
                         ::testing::Values(Op::conv2d, Op::conv_transpose2d),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// The seminar's example: a 4x4 input 1..16, a 3x3 filter of ones, VALID: each output is the
// sum of its window; and back, a 2x2 input of ones spreads into 4x4 window counts.
TEST(Formulations, MatchTheSeminarByHand) {
  ConvParams p;
  p.in_height = p.in_width = 4;
  p.kernel_h = p.kernel_w = 3;
  std::vector<float> src(16);
  for (int i = 0; i < 16; ++i) src[i] = float(i + 1);
  const std::vector<float> ones(9, 1.0f);
  const Problem conv = make_problem(Op::conv2d, p);
  for (const Formulation& f : kConv) {
    EXPECT_EQ(run(f.run, conv, src, ones, nullptr), (std::vector<float>{54, 63, 90, 99}))
        << f.name;
  }
  p.in_height = p.in_width = 2;
  const Problem t = make_problem(Op::conv_transpose2d, p);
  const std::vector<float> counts{1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1};
  for (const Formulation& f : kTransposed) {
    EXPECT_EQ(run(f.run, t, std::vector<float>(4, 1.0f), ones, nullptr), counts) << f.name;
  }
}

// Stride 2, padding 1, a 2x2 filter [1 2; 3 4] on a 2x2 input [1 2; 3 4] (transposed):
// the full 4x4 scatter result cropped by one on each side, computed by hand.
TEST(Formulations, StridedPaddedTransposedByHand) {
  ConvParams p;
  p.in_height = p.in_width = 2;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_left = 1;
  const Problem t = make_problem(Op::conv_transpose2d, p);
  ASSERT_EQ(t.out_h, 3);
  ASSERT_EQ(t.out_w, 3);
  // Full output (4x4): block (i,j) = x[i][j]·W, i.e. rows [1 2 2 4; 3 4 6 8; 3 6 4 8;
  // 9 12 12 16]. Rows 1..3 and columns 1..3 remain.
  const std::vector<float> x{1, 2, 3, 4}, w{1, 2, 3, 4};
  const std::vector<float> want{4, 6, 8, 6, 4, 8, 12, 12, 16};
  for (const Formulation& f : kTransposed) EXPECT_EQ(run(f.run, t, x, w, nullptr), want) << f.name;
}

}  // namespace
}  // namespace svertka::test
