// The C++ one-shot calls and size queries.
#include "bilinear.hpp"
#include "problem.hpp"

namespace svertka {

Extent output_size(Op op, const ConvParams& params) {
  const Problem pr = make_problem(op, params);
  return {pr.out_h, pr.out_w};
}

BufferSizes buffer_sizes(Op op, const ConvParams& params) {
  const Problem pr = make_problem(op, params);
  return {static_cast<std::size_t>(pr.src().size()), static_cast<std::size_t>(pr.weights_size()),
          static_cast<std::size_t>(pr.p.out_channels), static_cast<std::size_t>(pr.dst().size())};
}

void conv2d(const ConvParams& params, std::span<const float> src, std::span<const float> weights,
            std::span<const float> bias, std::span<float> dst) {
  Plan(Op::conv2d, params, weights, bias).execute(src, dst);
}

void conv_transpose2d(const ConvParams& params, std::span<const float> src,
                      std::span<const float> weights, std::span<const float> bias,
                      std::span<float> dst) {
  Plan(Op::conv_transpose2d, params, weights, bias).execute(src, dst);
}

void upsample_bilinear(std::span<const float> src, int64_t batch, int64_t channels, int64_t height,
                       int64_t width, int64_t factor, Layout layout, std::span<float> dst) {
  const ConvParams p = bilinear_params(batch, channels, height, width, factor, layout);
  make_problem(Op::conv_transpose2d, p);  // validate before allocating the weights
  conv_transpose2d(p, src, bilinear_weights(channels, factor), {}, dst);
}

}  // namespace svertka
