// The depthwise microkernel of contract.hpp, written once with xsimd for any arch.
#pragma once

#include <xsimd/xsimd.hpp>

#include "contract.hpp"

namespace svertka::kernels {

// One output row of one channel block, vectorised over channels: MR pixels x CV vectors of
// accumulators per interior tile (every filter column inside the image), one pixel at a time
// with only its valid filter columns elsewhere.
template <class Arch, int MR, int CV>
void depthwise_row(const DepthwiseRow& d) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, CW = CV * L;
  V bias[CV];
  for (int v = 0; v < CV; ++v) bias[v] = V::load_unaligned(d.bias + v * L);
  const int64_t in_step = d.stride_w * d.in_pixel_stride, tap_step = d.dilation_w * d.in_pixel_stride;
  auto pixel = [&](int64_t ox) {
    V acc[CV];
    for (int v = 0; v < CV; ++v) acc[v] = bias[v];
    const int64_t ix0 = ox * d.stride_w - d.pad_left;
    for (int64_t r = 0; r < d.kernel_h; ++r) {
      if (!d.in_rows[r]) continue;
      for (int64_t s = 0; s < d.kernel_w; ++s) {
        const int64_t ix = ix0 + s * d.dilation_w;
        if (ix < 0 || ix >= d.in_width) continue;
        const float* in = d.in_rows[r] + ix * d.in_pixel_stride;
        const float* w = d.weights + (r * d.kernel_w + s) * CW;
        for (int v = 0; v < CV; ++v) {
          acc[v] = xsimd::fma(V::load_unaligned(in + v * L), V::load_aligned(w + v * L), acc[v]);
        }
      }
    }
    for (int v = 0; v < CV; ++v) acc[v].store_unaligned(d.out + ox * d.out_pixel_stride + v * L);
  };
  // No std:: helpers in ISA code: an out-of-line copy could be shared with baseline code.
  const int64_t tiles_begin = d.interior_begin < d.ox_end ? d.interior_begin : d.ox_end;
  const int64_t tiles_end = d.interior_end < d.ox_end ? d.interior_end : d.ox_end;
  int64_t ox = d.ox_begin;
  for (; ox < tiles_begin; ++ox) pixel(ox);
  for (; ox + MR <= tiles_end; ox += MR) {
    V acc[MR][CV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < CV; ++v) acc[i][v] = bias[v];
    const int64_t ix0 = ox * d.stride_w - d.pad_left;
    for (int64_t r = 0; r < d.kernel_h; ++r) {
      if (!d.in_rows[r]) continue;
      const float* in = d.in_rows[r] + ix0 * d.in_pixel_stride;
      const float* w = d.weights + r * d.kernel_w * CW;
      for (int64_t s = 0; s < d.kernel_w; ++s, in += tap_step, w += CW) {
        V wv[CV];
#pragma GCC unroll 4
        for (int v = 0; v < CV; ++v) wv[v] = V::load_aligned(w + v * L);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
          for (int v = 0; v < CV; ++v) {
            acc[i][v] = xsimd::fma(V::load_unaligned(in + i * in_step + v * L), wv[v], acc[i][v]);
          }
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < CV; ++v) {
        acc[i][v].store_unaligned(d.out + (ox + i) * d.out_pixel_stride + v * L);
      }
  }
  for (; ox < d.ox_end; ++ox) pixel(ox);
}

}  // namespace svertka::kernels
