// Transposed convolution as GEMM + col2im: per input row, col[W][R·S·K/G] = X[W][C/G]·Wt,
// then each column entry is added into the output pixel it maps to. Useful work only (no
// inserted zero), but the column block is written R·S times the input row; it wins when the
// output channels are too few to fill the direct engine's register block.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation gemm_col2im_implementation;

}  // namespace svertka
