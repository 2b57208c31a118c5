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

alignas(64) inline constexpr float kZeros[16] = {};  // the widest vector

// v, held in a register: the compiler cannot fold its load into each FMA that uses it (which
// loads it once per use, the loads then bounding the kernel).
template <class V>
inline V in_register(V v) {
  typename V::register_type r = v;
  asm("" : "+v"(r));
  return r;
}

// One tile of M pixels from ox, for a filter KW wide with stride SW and no dilation: each of
// the (M - 1)·SW + KW input vectors of a tile row is loaded once and feeds every tap that
// reads it, one vector of channels at a time (the loads, not the FMAs, bound a depthwise
// kernel). Input vectors are taken one at a time, so that only the M·CV accumulators, KW
// weights and one input vector are live: all in registers, none spilled. An EDGE tile has
// input columns outside the image: skipped, never loaded; an interior tile tests nothing.
template <class Arch, int M, int CV, int KW, int SW, bool EDGE>
void depthwise_tile(const DepthwiseRow& d, int64_t ox) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, CW = CV * L, SPAN = (M - 1) * SW + KW;
  // Inputs of one stride phase a tile row reads; by tap when they, the accumulators and the
  // weights fit in the vector registers (AVX-512's 32; AVX2's 16 do not).
  constexpr int PHASE = (SPAN + SW - 1) / SW;
  constexpr bool kByTap = M * CV + PHASE + KW <= (L == 16 ? 32 : 16);
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
        V w[KW];
#pragma GCC unroll 8
        for (int s = 0; s < KW; ++s) w[s] = V::load_aligned(w_b + (r * KW + s) * CW + v * L);
        const float* px = row + ix0 * in_stride + v * L;
        if constexpr (kByTap) {
          // The inputs of one stride phase at a time held in registers, then tap by tap
          // across the tile: M independent chains between two FMAs into one accumulator
          // (input by input, an accumulator's taps follow each other at the FMA latency).
#pragma GCC unroll 4
          for (int ph = 0; ph < SW && ph < KW; ++ph) {
            V x[PHASE];
            const float* at = px + ph * in_stride;
#pragma GCC unroll 32
            for (int q = 0; q < PHASE; ++q, at += SW * in_stride) {
              const int j = ph + q * SW;
              opaque(at);
              // Outside the image a vector of zeros, selected, not branched to: edge tiles
              // (half of a 28-pixel row's) then run the interior's code.
              if (j < SPAN) x[q] = in_register(V::load_unaligned(inside[j] ? at : kZeros));
            }
#pragma GCC unroll 8
            for (int s = ph; s < KW; s += SW)
#pragma GCC unroll 16
              for (int i = 0; i < M; ++i) {  // input i·SW + s = ph + (i + s / SW)·SW
                acc[i][v] = xsimd::fma(x[i + s / SW], w[s], acc[i][v]);
              }
          }
        } else {
#pragma GCC unroll 32
          for (int j = 0; j < SPAN; ++j, px += in_stride) {
            opaque(px);
            if (!inside[j]) continue;
            const V x = V::load_unaligned(px);
#pragma GCC unroll 8
            for (int s = 0; s < KW; ++s) {  // x is input j of pixel i = (j - s) / SW, tap s
              const int i = (j - s) / SW;
              if (j >= s && (j - s) % SW == 0 && i < M) acc[i][v] = xsimd::fma(x, w[s], acc[i][v]);
            }
          }
        }
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
  // Locals, not d's fields, for what the stores' addresses use: a vector store may alias d, and
  // a tile of a phase of one to four taps reloaded them around every store (bilinear 2x, 64
  // channels at 56x56 on Zen 3: 230 -> 190 us).
  float* const out = d.out;
  const int64_t out_stride = d.out_pixel_stride;
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
          acc[b][v].store_unaligned(out + ox * out_stride + (kb0 + b) * CW + v * L);
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
          acc[i][v].store_unaligned(out + (ox + i) * out_stride + c0 + v * L);
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

// R output rows from j0 x NV vectors from ox: vector v at ox + v·L, the last at ox + last
// (it overlaps its neighbour at the end of a row). R·NV accumulator chains hide the FMA
// latency when rows are short. KW: the filter's width when known at compile time, else 0.
template <class Arch, int NV, int R, int KW>
void depthwise_plane_block(const DepthwisePlane& d, int64_t j0, int64_t ox, int64_t last) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size;
  const int64_t kernel_w = KW ? KW : d.kernel_w;
  V acc[R][NV];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V(d.bias);
  const float* weights = d.weights;
  for (int64_t r = 0; r < d.kernel_h; ++r, weights += kernel_w) {
    const float* row[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const int64_t iy = (j0 + i) * d.stride_h - d.pad_top + r * d.dil_h;
      row[i] = iy >= 0 && iy < d.in_height ? d.in + iy * d.row_len : d.zero;
    }
#pragma GCC unroll 4
    for (int64_t s = 0; s < kernel_w; ++s) {
      const V w(weights[s]);
      const int64_t column = d.columns[s] + ox;
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const float* in = row[i] + column;
        opaque(in);  // one register, the vectors at constant offsets from it
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          acc[i][v] = xsimd::fma(V::load_unaligned(in + (v + 1 < NV ? v * L : last)), w, acc[i][v]);
        }
      }
    }
  }
  float* out = d.out + j0 * d.out_stride + ox;
  const int64_t out_stride = d.out_stride;  // a local: the stores could alias d
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i, out += out_stride)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v].store_unaligned(out + (v + 1 < NV ? v * L : last));
}

// Rows R at a time, the last R overlapping their neighbours when the rows do not divide.
template <class Arch, int NV, int R, int KW>
void depthwise_plane_rows(const DepthwisePlane& d, int64_t ox, int64_t last) {
  if constexpr (R > 1) {
    if (d.rows < R) return depthwise_plane_rows<Arch, NV, R - 1, KW>(d, ox, last);
  }
  for (int64_t j = 0;; j += R) {
    const int64_t at = j < d.rows - R ? j : d.rows - R;
    depthwise_plane_block<Arch, NV, R, KW>(d, at, ox, last);
    if (at == d.rows - R) break;
  }
}

template <class Arch, int KW>
void depthwise_plane_width(const DepthwisePlane& d) {
  constexpr int64_t L = xsimd::batch<float, Arch>::size;
  // About eight chains: rows of up to four vectors go several rows at a time.
  switch ((d.out_w + L - 1) / L) {
    case 1:
      return depthwise_plane_rows<Arch, 1, 8, KW>(d, 0, d.out_w - L);
    case 2:
      return depthwise_plane_rows<Arch, 2, 4, KW>(d, 0, d.out_w - L);
    case 3:
      return depthwise_plane_rows<Arch, 3, 3, KW>(d, 0, d.out_w - L);
    case 4:
      return depthwise_plane_rows<Arch, 4, 2, KW>(d, 0, d.out_w - L);
    default:
      for (int64_t ox = 0;; ox += 4 * L) {  // chunks of four vectors, the last overlapping
        const int64_t at = ox < d.out_w - 4 * L ? ox : d.out_w - 4 * L;
        depthwise_plane_rows<Arch, 4, 2, KW>(d, at, 3 * L);
        if (at == d.out_w - 4 * L) return;
      }
  }
}

// Three-wide filters (MobileNet's, bilinear upsampling's) with their columns unrolled.
template <class Arch>
void depthwise_plane(const DepthwisePlane& d) {
  if (d.kernel_w == 3) return depthwise_plane_width<Arch, 3>(d);
  depthwise_plane_width<Arch, 0>(d);
}

}  // namespace svertka::kernels
