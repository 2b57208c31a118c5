// Formulation 1: convolution as a sliding window of dot products, the plainest loop nest.
#include "reference.hpp"

namespace svertka::reference {

void conv2d_sliding_window(const Problem& conv, const float* src, const float* weights,
                           const float* bias, float* dst) {
  const ConvParams& p = conv.p;
  const TensorDesc in = conv.src(), out = conv.dst();
  const int64_t cg = conv.in_per_group(), kg = conv.out_per_group();
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t k = 0; k < p.out_channels; ++k) {
      const int64_t g = k / kg;
      for (int64_t oy = 0; oy < conv.out_h; ++oy) {
        for (int64_t ox = 0; ox < conv.out_w; ++ox) {
          double sum = bias ? bias[k] : 0.0;
          for (int64_t c = 0; c < cg; ++c) {
            for (int64_t r = 0; r < p.kernel_h; ++r) {
              const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
              if (iy < 0 || iy >= p.in_height) continue;
              for (int64_t s = 0; s < p.kernel_w; ++s) {
                const int64_t ix = ox * p.stride_w - p.pad_left + s * p.dilation_w;
                if (ix < 0 || ix >= p.in_width) continue;
                const float w = weights[((k * cg + c) * p.kernel_h + r) * p.kernel_w + s];
                sum += double(w) * src[in.offset(n, g * cg + c, iy, ix)];
              }
            }
          }
          dst[out.offset(n, k, oy, ox)] = static_cast<float>(sum);
        }
      }
    }
  }
}

void add_bias(const TensorDesc& d, const float* bias, float* dst) {
  if (!bias) return;
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t c = 0; c < d.c; ++c)
      for (int64_t h = 0; h < d.h; ++h)
        for (int64_t w = 0; w < d.w; ++w) dst[d.offset(n, c, h, w)] += bias[c];
}

}  // namespace svertka::reference
