#include "bilinear.hpp"

#include <cstdlib>

#include "problem.hpp"

namespace svertka {

ConvParams bilinear_params(int64_t batch, int64_t channels, int64_t height, int64_t width,
                           int64_t factor, Layout layout) {
  if (factor < 1) throw_invalid("factor must be >= 1, got " + std::to_string(factor));
  if (factor > (int64_t{1} << 30)) {
    throw_invalid("factor = " + std::to_string(factor) + " is too large");
  }
  for (auto [name, v] : {std::pair{"batch", batch}, {"channels", channels}, {"height", height},
                         {"width", width}}) {
    if (v < 1) throw_invalid(std::string(name) + " must be >= 1, got " + std::to_string(v));
  }
  ConvParams p;
  p.batch = batch;
  p.in_channels = p.out_channels = p.groups = channels;
  p.in_height = height;
  p.in_width = width;
  p.kernel_h = p.kernel_w = 2 * factor - 1;
  p.stride_h = p.stride_w = factor;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = factor - 1;
  p.layout = layout;
  return p;
}

std::vector<float> bilinear_weights(int64_t channels, int64_t factor) {
  const int64_t size = 2 * factor - 1;
  std::vector<double> t(size);
  for (int64_t i = 0; i < size; ++i) t[i] = 1.0 - double(std::llabs(i - (factor - 1))) / factor;
  std::vector<float> w;
  w.reserve(channels * size * size);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t r = 0; r < size; ++r)
      for (int64_t s = 0; s < size; ++s) w.push_back(static_cast<float>(t[r] * t[s]));
  return w;
}

}  // namespace svertka
