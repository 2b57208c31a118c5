// svertka: the C++ API, the primary interface. fp32 2-D convolution and transposed convolution.
// Errors are std::invalid_argument whose message names the bad field; nothing is written then.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "svertka/svertka.h"

namespace svertka {

enum class Op : int { conv2d = SVK_CONV2D, conv_transpose2d = SVK_CONV_TRANSPOSE2D };
enum class Layout : int { nchw = SVK_NCHW, nhwc = SVK_NHWC };

// The description of one layer; field for field the C struct svk_conv_params.
struct ConvParams {
  int64_t batch = 1, in_channels = 1, in_height = 1, in_width = 1, out_channels = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  int64_t output_padding_h = 0, output_padding_w = 0;
  Layout layout = Layout::nchw;

  friend bool operator==(const ConvParams&, const ConvParams&) = default;
};

struct Extent {
  int64_t height = 0, width = 0;
  friend bool operator==(const Extent&, const Extent&) = default;
};

// Floats in each buffer of an operation: src, weights (PyTorch order), bias, dst.
struct BufferSizes {
  std::size_t src = 0, weights = 0, bias = 0, dst = 0;
};

// Output height and width; throws std::invalid_argument when params are invalid.
SVK_API Extent output_size(Op op, const ConvParams& params);
SVK_API BufferSizes buffer_sizes(Op op, const ConvParams& params);

// Choose the algorithm, ISA and blocking once, pack the weights once, execute many times.
// The plan copies what it needs: weights and bias may be freed after construction.
// execute() is const and safe to call from several threads at once; results are bitwise
// deterministic. An empty bias span means no bias.
class SVK_API Plan {
 public:
  Plan(Op op, const ConvParams& params, std::span<const float> weights,
       std::span<const float> bias = {});
  Plan(Plan&&) noexcept;
  Plan& operator=(Plan&&) noexcept;
  ~Plan();

  // dst is fully overwritten. src and dst must hold at least buffer_sizes() floats.
  void execute(std::span<const float> src, std::span<float> dst) const;

  // "<op> <algorithm> <isa> [blocking]", e.g. "conv2d reference reference".
  const std::string& describe() const;
  Op op() const;
  const ConvParams& params() const;

 private:
  struct Impl;
  std::unique_ptr<const Impl> impl_;
};

// One-shot calls: a plan created and executed once.
SVK_API void conv2d(const ConvParams& params, std::span<const float> src,
                    std::span<const float> weights, std::span<const float> bias,
                    std::span<float> dst);
SVK_API void conv_transpose2d(const ConvParams& params, std::span<const float> src,
                              std::span<const float> weights, std::span<const float> bias,
                              std::span<float> dst);

// Bilinear upsampling by an integer factor >= 1 (align_corners=True): the depthwise transposed
// convolution with the triangle filter 1-|i|/factor, stride factor, padding factor-1.
// Output is ((height-1)*factor+1) x ((width-1)*factor+1).
SVK_API void upsample_bilinear(std::span<const float> src, int64_t batch, int64_t channels,
                               int64_t height, int64_t width, int64_t factor, Layout layout,
                               std::span<float> dst);

}  // namespace svertka
