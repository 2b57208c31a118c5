// Bilinear upsampling as a depthwise transposed convolution (shared/DESIGN.md): the layer
// description and the triangle filter, shared by the API and the tests.
#pragma once

#include <cstdint>
#include <vector>

#include "svertka/svertka.hpp"

namespace svertka {

// Stride factor, padding factor-1, kernel 2·factor-1, groups = channels. Validates the
// arguments and throws std::invalid_argument naming the bad one.
ConvParams bilinear_params(int64_t batch, int64_t channels, int64_t height, int64_t width,
                           int64_t factor, Layout layout);

// The separable triangle t(i) = 1 - |i - (factor-1)|/factor, as transposed-convolution
// weights [channels][1][2·factor-1][2·factor-1].
std::vector<float> bilinear_weights(int64_t channels, int64_t factor);

}  // namespace svertka
