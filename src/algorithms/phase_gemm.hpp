// Transposed convolution whose filter spans no more than the stride (U-Net's 2x2 stride 2): every
// output phase takes at most one tap, so each phase is a 1x1 convolution, a plain GEMM, and no
// two phases add into one output. NCHW: per image and group,
//   C[(k, r, s)][pixel] = Wt[(k, r, s)][c] · X[c][pixel]
// with the input's channel rows as the B operand as they are (packed, not reordered), each
// tile stored straight into the output rows its phases map to, the S columns of a filter row
// interleaved. No zero-inserted input, no column buffer, no transpose.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation phase_gemm_implementation;

}  // namespace svertka
