// Packed im2col + GEMM for conv2d: the unfolded input is packed panel by panel into the
// per-thread workspace, never materialised whole; weights are packed once at plan time.
//   NCHW: out[K][P] = W[K][Q] · X'[Q][P]   (A = weights, B = unfolded pixels, q = (c, r, s))
//   NHWC: out[P][K] = X'[P][Q] · Wᵀ[Q][K]  (A = unfolded pixels, B = weights, q = (r, s, c))
// per image and group, P = OH·OW output pixels, Q = C/G·R·S.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation im2col_gemm_implementation;

}  // namespace svertka
