// Formulation 5: the transposed convolution by its definition, zero insertion + padding +
// stride-1 convolution with the flipped filter (shared/DESIGN.md).
#include "reference.hpp"

namespace svertka::reference {

ZeroInserted zero_insertion(const Problem& t, const float* src, const float* weights) {
  const ConvParams& p = t.p;
  // Padding before and after the zero-inserted input; negative means cropping.
  const int64_t top = p.dilation_h * (p.kernel_h - 1) - p.pad_top;
  const int64_t left = p.dilation_w * (p.kernel_w - 1) - p.pad_left;
  const int64_t bottom = p.dilation_h * (p.kernel_h - 1) - p.pad_bottom + p.output_padding_h;
  const int64_t right = p.dilation_w * (p.kernel_w - 1) - p.pad_right + p.output_padding_w;

  ConvParams c = p;
  c.in_height = (p.in_height - 1) * p.stride_h + 1 + top + bottom;
  c.in_width = (p.in_width - 1) * p.stride_w + 1 + left + right;
  c.stride_h = c.stride_w = 1;
  c.pad_top = c.pad_bottom = c.pad_left = c.pad_right = 0;
  c.output_padding_h = c.output_padding_w = 0;
  ZeroInserted z{make_problem(Op::conv2d, c), {}, {}};

  const TensorDesc in = t.src(), padded = z.conv.src();
  z.src.assign(padded.size(), 0.0f);
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t ch = 0; ch < p.in_channels; ++ch)
      for (int64_t h = 0; h < p.in_height; ++h)
        for (int64_t w = 0; w < p.in_width; ++w) {
          const int64_t y = h * p.stride_h + top, x = w * p.stride_w + left;
          if (y < 0 || y >= c.in_height || x < 0 || x >= c.in_width) continue;  // cropped
          z.src[padded.offset(n, ch, y, x)] = src[in.offset(n, ch, h, w)];
        }

  // Transposed weights [in][out/G][R][S] become [out][in/G][R][S], flipped in both axes.
  const int64_t cg = t.in_per_group(), kg = t.out_per_group();
  const int64_t taps = p.kernel_h * p.kernel_w;
  z.weights.resize(t.weights_size());
  for (int64_t k = 0; k < p.out_channels; ++k)
    for (int64_t ci = 0; ci < cg; ++ci)
      for (int64_t tap = 0; tap < taps; ++tap) {
        const int64_t from = ((k / kg * cg + ci) * kg + k % kg) * taps + (taps - 1 - tap);
        z.weights[(k * cg + ci) * taps + tap] = weights[from];
      }
  return z;
}

void conv_transpose2d_zero_insertion(const Problem& t, const float* src, const float* weights,
                                     const float* bias, float* dst) {
  const ZeroInserted z = zero_insertion(t, src, weights);
  conv2d_sliding_window(z.conv, z.src.data(), z.weights.data(), bias, dst);
}

}  // namespace svertka::reference
