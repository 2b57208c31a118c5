// Formulation 7, the independent half: bilinear upsampling by the interpolation formula.
#include <algorithm>

#include "reference.hpp"

namespace svertka::reference {

void upsample_bilinear_interpolate(const float* src, int64_t batch, int64_t channels,
                                   int64_t height, int64_t width, int64_t factor, Layout layout,
                                   float* dst) {
  const TensorDesc in{batch, channels, height, width, layout};
  const TensorDesc out{batch, channels, (height - 1) * factor + 1, (width - 1) * factor + 1,
                       layout};
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t oy = 0; oy < out.h; ++oy)
        for (int64_t ox = 0; ox < out.w; ++ox) {
          // The output point lies at (y0 + y, x0 + x) in input coordinates, 0 <= x, y < 1.
          const int64_t y0 = oy / factor, x0 = ox / factor;
          const int64_t y1 = std::min(y0 + 1, height - 1), x1 = std::min(x0 + 1, width - 1);
          const double y = double(oy % factor) / factor, x = double(ox % factor) / factor;
          const double f00 = src[in.offset(n, c, y0, x0)], f01 = src[in.offset(n, c, y0, x1)];
          const double f10 = src[in.offset(n, c, y1, x0)], f11 = src[in.offset(n, c, y1, x1)];
          // [1-y y]·[f00 f01; f10 f11]·[1-x x]ᵀ
          const double top = (1 - x) * f00 + x * f01, bottom = (1 - x) * f10 + x * f11;
          dst[out.offset(n, c, oy, ox)] = static_cast<float>((1 - y) * top + y * bottom);
        }
}

}  // namespace svertka::reference
