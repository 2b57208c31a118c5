// The depthwise microkernel of contract.hpp, written once with xsimd for any arch.
#pragma once

#include <xsimd/xsimd.hpp>

#include <utility>

#include "contract.hpp"

namespace svertka::kernels {

// Hides p's value from the compiler: an address stepped by a run-time stride is then one
// register and one add per step, not a register per step that the compiler hoists out of
// every loop and spills (the x86-64 registers run out after eight pixels).
template <class T>
inline void opaque(T*& p) {
  asm("" : "+r"(p));
}

// One tile of M pixels from ox, for a filter KW wide with stride SW and no dilation: the
// (M - 1)·SW + KW input vectors of a tile row are loaded once and each feeds every tap that
// reads it, one vector of channels at a time (the loads, not the FMAs, bound a depthwise
// kernel). An EDGE tile has input columns outside the image: zero vectors, never loaded; an
// interior tile tests nothing.
template <class Arch, int M, int CV, int KW, int SW, bool EDGE>
void depthwise_tile(const DepthwiseRow& d, int64_t ox) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, CW = CV * L, SPAN = (M - 1) * SW + KW;
  // Locals, not d's fields: the stores below could alias d as far as the compiler knows.
  const float* const* in_rows = d.in_rows;
  const float* const weights = d.weights;
  const float* const bias = d.bias;
  const int64_t blocks = d.blocks, kernel_h = d.kernel_h, taps = kernel_h * KW;
  const int64_t in_stride = d.in_pixel_stride, out_stride = d.out_pixel_stride;
  const int64_t ix0 = ox * SW - d.pad_left, in_width = d.in_width;
  bool inside[SPAN];
#pragma GCC unroll 32
  for (int j = 0; j < SPAN; ++j) inside[j] = !EDGE || (ix0 + j >= 0 && ix0 + j < in_width);
  float* const out = d.out + ox * out_stride;
  // A block's CV vectors together: M·CV independent chains, enough to hide the FMA latency
  // along a reduction only kh·KW long.
  for (int64_t kb = 0; kb < blocks; ++kb) {
    V acc[M][CV];
#pragma GCC unroll 4
    for (int v = 0; v < CV; ++v) {
      const V b = V::load_unaligned(bias + kb * CW + v * L);
#pragma GCC unroll 16
      for (int i = 0; i < M; ++i) acc[i][v] = b;
    }
    const float* w_b = weights + kb * taps * CW;  // [blocks][taps][CW]
    for (int64_t r = 0; r < kernel_h; ++r) {
      if (!in_rows[r]) continue;
      const float* row = in_rows[r] + kb * CW;
#pragma GCC unroll 4
      for (int v = 0; v < CV; ++v) {
        V x[SPAN], w[KW];
        const float* px = row + ix0 * in_stride + v * L;
#pragma GCC unroll 32
        for (int j = 0; j < SPAN; ++j, px += in_stride) {
          x[j] = inside[j] ? V::load_unaligned(px) : V(0.0f);
          opaque(px);
        }
#pragma GCC unroll 8
        for (int s = 0; s < KW; ++s) w[s] = V::load_aligned(w_b + (r * KW + s) * CW + v * L);
#pragma GCC unroll 16
        for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
          for (int s = 0; s < KW; ++s) acc[i][v] = xsimd::fma(x[i * SW + s], w[s], acc[i][v]);
      }
    }
    float* po = out + kb * CW;
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i, po += out_stride) {
#pragma GCC unroll 4
      for (int v = 0; v < CV; ++v) acc[i][v].store_unaligned(po + v * L);
      opaque(po);
    }
  }
}

// Columns [ox_begin, ox_end) in as few tiles as the widths 1..MR = sizeof...(W) allow, of
// widths differing by at most one (no pixel computed twice, no narrow tile left over).
template <class Arch, int CV, int KW, int SW, int... W>
void depthwise_tiles(const DepthwiseRow& d, std::integer_sequence<int, W...>) {
  constexpr int64_t MR = sizeof...(W);
  using Tile = void (*)(const DepthwiseRow&, int64_t);
  static constexpr Tile tile[2][MR] = {{&depthwise_tile<Arch, W + 1, CV, KW, SW, false>...},
                                       {&depthwise_tile<Arch, W + 1, CV, KW, SW, true>...}};
  const int64_t n = d.ox_end - d.ox_begin, tiles = (n + MR - 1) / MR;
  for (int64_t t = 0, ox = d.ox_begin; t < tiles; ++t) {
    const int64_t m = n * (t + 1) / tiles - n * t / tiles;
    const bool edge = ox < d.interior_begin || ox + m > d.interior_end;
    tile[edge][m - 1](d, ox);
    ox += m;
  }
}

// One output row, vectorised over channels: MR pixels x CV vectors of accumulators per
// interior tile (every filter column inside the image), one pixel at a time with only its
// valid filter columns elsewhere; each tile or pixel goes through every channel block.
template <class Arch, int MR, int CV>
void depthwise_row(const DepthwiseRow& d) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, CW = CV * L;
  const int64_t in_step = d.stride_w * d.in_pixel_stride;
  const int64_t tap_step = d.dilation_w * d.in_pixel_stride;
  const int64_t taps = d.kernel_h * d.kernel_w;
  // A border pixel: PB blocks at a time, so that 2·PB accumulator chains hide the FMA latency.
  constexpr int PB = 4;
  auto pixel = [&](int64_t ox) {
    const int64_t ix0 = ox * d.stride_w - d.pad_left;
    for (int64_t kb0 = 0; kb0 < d.blocks; kb0 += PB) {
      const int nb = d.blocks - kb0 < PB ? int(d.blocks - kb0) : PB;
      V acc[PB][CV];
      for (int b = 0; b < nb; ++b)
        for (int v = 0; v < CV; ++v) acc[b][v] = V::load_unaligned(d.bias + (kb0 + b) * CW + v * L);
      for (int64_t r = 0; r < d.kernel_h; ++r) {
        if (!d.in_rows[r]) continue;
        for (int64_t s = 0; s < d.kernel_w; ++s) {
          const int64_t ix = ix0 + s * d.dilation_w;
          if (ix < 0 || ix >= d.in_width) continue;
          const float* in = d.in_rows[r] + ix * d.in_pixel_stride + kb0 * CW;
          const float* w = d.weights + (kb0 * taps + r * d.kernel_w + s) * CW;
          for (int b = 0; b < nb; ++b)
            for (int v = 0; v < CV; ++v) {
              acc[b][v] = xsimd::fma(V::load_unaligned(in + b * CW + v * L),
                                     V::load_aligned(w + b * taps * CW + v * L), acc[b][v]);
            }
        }
      }
      for (int b = 0; b < nb; ++b)
        for (int v = 0; v < CV; ++v) {
          acc[b][v].store_unaligned(d.out + ox * d.out_pixel_stride + (kb0 + b) * CW + v * L);
        }
    }
  };
  // The interior without register reuse (other filter widths, dilation): a tile at ox.
  auto generic_tile = [&](int64_t ox) {
    const int64_t ix0 = ox * d.stride_w - d.pad_left;
    for (int64_t kb = 0; kb < d.blocks; ++kb) {
      const int64_t c0 = kb * CW;
      V acc[MR][CV];
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < CV; ++v) acc[i][v] = V::load_unaligned(d.bias + c0 + v * L);
      for (int64_t r = 0; r < d.kernel_h; ++r) {
        if (!d.in_rows[r]) continue;
        const float* in = d.in_rows[r] + ix0 * d.in_pixel_stride + c0;
        const float* w = d.weights + (kb * taps + r * d.kernel_w) * CW;
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
          acc[i][v].store_unaligned(d.out + (ox + i) * d.out_pixel_stride + c0 + v * L);
        }
    }
  };
  if (d.kernel_w == 3 && d.dilation_w == 1 && d.stride_w <= 2) {
    if (d.stride_w == 1) {
      depthwise_tiles<Arch, CV, 3, 1>(d, std::make_integer_sequence<int, MR>());
    } else {
      depthwise_tiles<Arch, CV, 3, 2>(d, std::make_integer_sequence<int, MR>());
    }
    return;
  }
  // No std:: helpers in ISA code: an out-of-line copy could be shared with baseline code.
  const int64_t tiles_begin = d.interior_begin < d.ox_end ? d.interior_begin : d.ox_end;
  const int64_t tiles_end = d.interior_end < d.ox_end ? d.interior_end : d.ox_end;
  int64_t ox = d.ox_begin;
  for (; ox < tiles_begin; ++ox) pixel(ox);
  // Interior tiles; the last one overlaps its neighbour rather than leave a ragged end (the
  // pixels computed twice get the same values).
  if (tiles_end - ox >= MR) {
    const int64_t last = tiles_end - MR;
    for (int64_t next = ox;; next += MR) {
      const int64_t at = next < last ? next : last;
      generic_tile(at);
      if (at == last) break;
    }
    ox = tiles_end;
  }
  for (; ox < d.ox_end; ++ox) pixel(ox);
}

// NV vectors of one output row from ox.
template <class Arch, int NV>
void depthwise_plane_vectors(const DepthwisePlaneRow& d, int64_t ox) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size;
  V acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = V(d.bias);
  // Column s·dilation_w lies in phase (s·dilation_w) mod stride_w at index (s·dilation_w) /
  // stride_w: stepped along s, no division per tap.
  const int64_t phase_step = d.dilation_w % d.stride_w, index_step = d.dilation_w / d.stride_w;
  for (int64_t r = 0; r < d.kernel_h; ++r) {
    if (!d.rows[r]) continue;
    int64_t phase = 0, index = 0;
    for (int64_t s = 0; s < d.kernel_w; ++s) {
      const float* in = d.rows[r] + phase * d.phase_len + index + ox;
      const V w(d.weights[r * d.kernel_w + s]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[v] = xsimd::fma(V::load_unaligned(in + v * L), w, acc[v]);
      phase += phase_step;
      index += index_step;
      if (phase >= d.stride_w) phase -= d.stride_w, ++index;
    }
  }
  if (ox + NV * L <= d.out_w) {
    for (int v = 0; v < NV; ++v) acc[v].store_unaligned(d.out + ox + v * L);
  } else {  // the rows are padded for whole vectors; the output is not
    alignas(64) float tail[NV * L];
    for (int v = 0; v < NV; ++v) acc[v].store_aligned(tail + v * L);
    for (int64_t i = 0; i < d.out_w - ox; ++i) d.out[ox + i] = tail[i];
  }
}

template <class Arch>
void depthwise_plane_row(const DepthwisePlaneRow& d) {
  constexpr int L = xsimd::batch<float, Arch>::size;
  // Four vectors at a time hide the FMA latency; a short row takes only the vectors it needs.
  for (int64_t ox = 0; ox < d.out_w; ox += 4 * L) {
    switch ((d.out_w - ox + L - 1) / L) {
      case 1: depthwise_plane_vectors<Arch, 1>(d, ox); break;
      case 2: depthwise_plane_vectors<Arch, 2>(d, ox); break;
      case 3: depthwise_plane_vectors<Arch, 3>(d, ox); break;
      default: depthwise_plane_vectors<Arch, 4>(d, ox);
    }
  }
}

}  // namespace svertka::kernels
