// Formulation 3: convolution as im2col + GEMM, Y = F·X' per image and group.
#include "reference.hpp"

namespace svertka::reference {

Matrix im2col(const Problem& conv, const float* src, int64_t n, int64_t g) {
  const ConvParams& p = conv.p;
  const TensorDesc in = conv.src();
  const int64_t cg = conv.in_per_group();
  Matrix x{cg * p.kernel_h * p.kernel_w, conv.out_h * conv.out_w, {}};
  x.v.assign(x.rows * x.cols, 0.0f);
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t r = 0; r < p.kernel_h; ++r)
      for (int64_t s = 0; s < p.kernel_w; ++s)
        for (int64_t oy = 0; oy < conv.out_h; ++oy)
          for (int64_t ox = 0; ox < conv.out_w; ++ox) {
            const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
            const int64_t ix = ox * p.stride_w - p.pad_left + s * p.dilation_w;
            if (iy < 0 || iy >= p.in_height || ix < 0 || ix >= p.in_width) continue;
            x.at((c * p.kernel_h + r) * p.kernel_w + s, oy * conv.out_w + ox) =
                src[in.offset(n, g * cg + c, iy, ix)];
          }
  return x;
}

void conv2d_im2col_gemm(const Problem& conv, const float* src, const float* weights,
                        const float* bias, float* dst) {
  const ConvParams& p = conv.p;
  const TensorDesc out = conv.dst();
  const int64_t kg = conv.out_per_group();
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < p.groups; ++g) {
      const Matrix x = im2col(conv, src, n, g);
      // PyTorch-ordered weights of group g are already F_g, row-major (K/G) x (C/G·R·S).
      const float* f = weights + g * kg * x.rows;
      for (int64_t k = 0; k < kg; ++k)
        for (int64_t j = 0; j < x.cols; ++j) {
          float sum = bias ? bias[g * kg + k] : 0.0f;
          for (int64_t q = 0; q < x.rows; ++q) sum += f[k * x.rows + q] * x.at(q, j);
          dst[out.offset(n, g * kg + k, j / conv.out_w, j % conv.out_w)] = sum;
        }
    }
  }
}

}  // namespace svertka::reference
