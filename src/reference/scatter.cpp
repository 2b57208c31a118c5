// Formulation 6: the transposed convolution as scatter; each input element adds itself times
// the filter into the output (the adjoint of the sliding window, loop for loop).
#include <algorithm>

#include "reference.hpp"

namespace svertka::reference {

void conv_transpose2d_scatter(const Problem& t, const float* src, const float* weights,
                              const float* bias, float* dst) {
  const ConvParams& p = t.p;
  const TensorDesc in = t.src(), out = t.dst();
  const int64_t cg = t.in_per_group(), kg = t.out_per_group();
  std::fill(dst, dst + out.size(), 0.0f);
  add_bias(out, bias, dst);
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t c = 0; c < p.in_channels; ++c)
      for (int64_t h = 0; h < p.in_height; ++h)
        for (int64_t w = 0; w < p.in_width; ++w) {
          const float v = src[in.offset(n, c, h, w)];
          for (int64_t kk = 0; kk < kg; ++kk)
            for (int64_t r = 0; r < p.kernel_h; ++r) {
              const int64_t oy = h * p.stride_h - p.pad_top + r * p.dilation_h;
              if (oy < 0 || oy >= t.out_h) continue;
              for (int64_t s = 0; s < p.kernel_w; ++s) {
                const int64_t ox = w * p.stride_w - p.pad_left + s * p.dilation_w;
                if (ox < 0 || ox >= t.out_w) continue;
                const float wt = weights[((c * kg + kk) * p.kernel_h + r) * p.kernel_w + s];
                dst[out.offset(n, c / cg * kg + kk, oy, ox)] += v * wt;
              }
            }
        }
}

}  // namespace svertka::reference
