// IEEE arithmetic through every fast path: a NaN (or an infinity, with positive weights) in the
// input reaches exactly the outputs whose windows read it, and no other; denormals are flushed
// inside the library without touching the caller's floating-point state.
#include <gtest/gtest.h>
#include <xmmintrin.h>

#include <cmath>
#include <limits>

#include "support/forced_algorithm.hpp"

namespace svertka::test {
namespace {

struct Case {
  const char* algorithm;
  Op op;
  ConvParams params;
};

std::vector<Case> cases() {
  std::vector<Case> list;
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    ConvParams dense;
    dense.batch = 2;
    dense.in_channels = 13;
    dense.out_channels = 19;
    dense.in_height = 9;
    dense.in_width = 23;
    dense.kernel_h = dense.kernel_w = 3;
    dense.dilation_w = 2;
    dense.pad_top = dense.pad_left = 2;
    dense.pad_bottom = dense.pad_right = 1;
    dense.layout = layout;
    ConvParams depthwise = dense;
    depthwise.in_channels = depthwise.out_channels = depthwise.groups = 19;
    ConvParams transposed = dense;
    transposed.stride_h = transposed.stride_w = 2;
    transposed.output_padding_h = 1;
    list.push_back({"direct", Op::conv2d, dense});
    list.push_back({"im2col_gemm", Op::conv2d, dense});
    list.push_back({"depthwise", Op::conv2d, depthwise});
    list.push_back({"direct", Op::conv_transpose2d, transposed});
    list.push_back({"gemm_col2im", Op::conv_transpose2d, transposed});
    ConvParams dt = depthwise;
    dt.stride_h = dt.stride_w = 2;
    list.push_back({"depthwise", Op::conv_transpose2d, dt});
  }
  return list;
}

class Ieee : public ForcedAlgorithm {};

TEST_P(Ieee, NanAndInfinityReachExactlyTheWindowsThatReadThem) {
  std::mt19937 rng(1);
  for (const Case& c : cases()) {
    const ScopedEnv scoped = force(c.algorithm);
    const BufferSizes s = buffer_sizes(c.op, c.params);
    const Problem pr = make_problem(c.op, c.params);
    const auto reference =
        c.op == Op::conv2d ? reference::conv2d_sliding_window : reference::conv_transpose2d_scatter;
    auto w = random_floats(s.weights, rng);
    for (float& x : w) x = std::fabs(x) + 0.01f;  // positive: an infinity stays one
    const Plan plan(c.op, c.params, w);
    for (const std::size_t at : {std::size_t{0}, s.src / 2 + 3, s.src - 1}) {
      // Which outputs read input element `at`: the reference on an indicator.
      std::vector<float> indicator(s.src, 0.0f), reads(s.dst);
      indicator[at] = 1.0f;
      reference(pr, indicator.data(), w.data(), nullptr, reads.data());
      for (const float poison : {std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::infinity()}) {
        auto src = random_floats(s.src, rng);
        src[at] = poison;
        std::vector<float> dst(s.dst);
        plan.execute(src, dst);
        for (std::size_t i = 0; i < s.dst; ++i) {
          if (reads[i] != 0.0f) {
            ASSERT_TRUE(std::isnan(poison) ? std::isnan(dst[i]) : dst[i] == poison)
                << plan.describe() << " output " << i << " reads input " << at << ": " << dst[i];
          } else {
            ASSERT_TRUE(std::isfinite(dst[i]))
                << plan.describe() << " output " << i << " does not read input " << at << ": "
                << dst[i];
          }
        }
      }
    }
  }
}

TEST_P(Ieee, DenormalsAreFlushedInsideAndTheCallersStateIsKept) {
  const ScopedEnv scoped = force("direct");
  ConvParams p;
  p.in_channels = p.out_channels = 16;
  p.in_height = p.in_width = 12;
  p.kernel_h = p.kernel_w = 3;
  p.layout = Layout::nhwc;
  const BufferSizes s = buffer_sizes(Op::conv2d, p);
  const Plan plan(Op::conv2d, p, std::vector<float>(s.weights, 0.5f));
  const std::vector<float> src(s.src, 1e-39f);  // denormal
  std::vector<float> dst(s.dst, 1.0f);
  const unsigned before = _mm_getcsr();
  plan.execute(src, dst);
  EXPECT_EQ(_mm_getcsr(), before);
  for (float v : dst) ASSERT_EQ(v, 0.0f) << "denormal products are flushed to zero";
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(Ieee);

}  // namespace
}  // namespace svertka::test
