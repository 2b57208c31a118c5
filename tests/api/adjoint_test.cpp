// <conv2d(x), y> = <x, conv_transpose2d(y)> for the same parameters and weights: the identity
// that ties the two operations together, through the public API.
#include <gtest/gtest.h>

#include "support/check.hpp"
#include "support/shapes.hpp"

namespace svertka::test {
namespace {

TEST(Adjoint, TransposedConvolutionIsTheAdjointOfConvolution) {
  std::mt19937 rng(5);
  for (ConvParams conv : random_shapes(Op::conv2d, 200, 13)) {
    const ConvParams t = adjoint_of(conv);
    ASSERT_EQ(output_size(Op::conv_transpose2d, t), (Extent{conv.in_height, conv.in_width}));

    const BufferSizes s = buffer_sizes(Op::conv2d, conv);
    const auto x = random_floats(s.src, rng), y = random_floats(s.dst, rng);
    const auto w = random_floats(s.weights, rng);
    std::vector<float> cx(s.dst), ty(s.src), abs_cx(s.dst);
    conv2d(conv, x, w, {}, cx);
    conv_transpose2d(t, y, w, {}, ty);
    conv2d(conv, absolute(x), absolute(w), {}, abs_cx);
    double lhs = 0, rhs = 0, magnitude = 0;
    for (std::size_t i = 0; i < s.dst; ++i) lhs += double(cx[i]) * y[i];
    for (std::size_t i = 0; i < s.src; ++i) rhs += double(x[i]) * ty[i];
    for (std::size_t i = 0; i < s.dst; ++i) magnitude += double(abs_cx[i]) * std::fabs(y[i]);
    EXPECT_NEAR(lhs, rhs, 1e-5 * magnitude + 1e-30)
        << "in " << conv.in_height << "x" << conv.in_width << " k " << conv.kernel_h << "x"
        << conv.kernel_w << " s " << conv.stride_h << "x" << conv.stride_w << " g "
        << conv.groups;
  }
}

}  // namespace
}  // namespace svertka::test
