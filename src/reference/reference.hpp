// The naive kernels, one per formulation of the seminar (shared/DESIGN.md): the oracle that
// every optimized kernel is tested against. Plain loops, never optimized. All take a validated
// Problem, PyTorch-ordered weights and an optional bias (nullptr = none) and overwrite dst.
#pragma once

#include <cstdint>
#include <vector>

#include "../problem.hpp"

namespace svertka::reference {

// 1. Convolution as a sliding window of dot products.
void conv2d_sliding_window(const Problem& conv, const float* src, const float* weights,
                           const float* bias, float* dst);

// 2. Convolution as Y = C·X. C is sparse: row i holds the weights that output element i (its
// offset in dst) takes from each input element (its offset in src). Batch included.
struct SparseMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> row_start;  // rows + 1 entries (CSR)
  std::vector<int64_t> col;
  std::vector<float> value;
};
SparseMatrix filter_matrix(const Problem& conv, const float* weights);
void multiply(const SparseMatrix& c, const float* x, float* y);             // y = C·x
void multiply_transposed(const SparseMatrix& c, const float* x, float* y);  // y = Cᵀ·x
void conv2d_filter_matrix(const Problem& conv, const float* src, const float* weights,
                          const float* bias, float* dst);

// 3. Convolution as im2col + GEMM: per image n and group g, Y_g = F_g·X'_g with F_g the group's
// weights as a (K/G) x (C/G·R·S) matrix and X' the (C/G·R·S) x (OH·OW) unfolded windows.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> v;  // row-major
  float& at(int64_t r, int64_t c) { return v[r * cols + c]; }
  float at(int64_t r, int64_t c) const { return v[r * cols + c]; }
};
Matrix im2col(const Problem& conv, const float* src, int64_t n, int64_t g);
void conv2d_im2col_gemm(const Problem& conv, const float* src, const float* weights,
                        const float* bias, float* dst);

// 4. Transposed convolution as Y = Cᵀ·X, C the filter matrix of forward_problem(transposed).
// The forward convolution of a transposed one maps its dst back to its src: same strides,
// padding, dilation and weights, channels and sizes swapped.
Problem forward_problem(const Problem& transposed);
void conv_transpose2d_filter_matrix(const Problem& transposed, const float* src,
                                    const float* weights, const float* bias, float* dst);

// 5. Transposed convolution by its definition: insert stride-1 zeros between input elements,
// pad by dilation·(kernel-1) - pad (crop where negative) plus output padding at the end, then a
// stride-1 convolution with the flipped filter, channels swapped per group.
struct ZeroInserted {
  Problem conv;                // the stride-1, unpadded convolution to run
  std::vector<float> src;      // the zero-inserted, padded input, in conv.p.layout
  std::vector<float> weights;  // flipped, [out][in/groups][kh][kw]
};
ZeroInserted zero_insertion(const Problem& transposed, const float* src, const float* weights);
void conv_transpose2d_zero_insertion(const Problem& transposed, const float* src,
                                     const float* weights, const float* bias, float* dst);

// 6. Transposed convolution as scatter: each input element adds itself times the filter into
// the output window it maps to.
void conv_transpose2d_scatter(const Problem& transposed, const float* src, const float* weights,
                              const float* bias, float* dst);

// 7. Bilinear upsampling by the interpolation formula f(x,y) = [1-x x]·[f00 f01; f10 f11]·[1-y y]ᵀ
// (the transposed-convolution form is svertka::upsample_bilinear itself).
void upsample_bilinear_interpolate(const float* src, int64_t batch, int64_t channels,
                                   int64_t height, int64_t width, int64_t factor, Layout layout,
                                   float* dst);

// Adds bias[k] to every element of channel k; nothing without bias.
void add_bias(const TensorDesc& dst_desc, const float* bias, float* dst);

}  // namespace svertka::reference
