// Packing microkernels (BLIS's packm): the data movement of im2col, in the ISA's vectors.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "contract.hpp"
#include "lanes.hpp"

namespace svertka::kernels {

// A ragged end of at least one vector is one more vector ending at n, overlapping the last
// whole one: short runs (a 28-float row) are common, and a scalar tail loop becomes a libc
// call. from and to must not overlap.
template <class Arch>
void copy_floats(const float* from, int64_t n, float* to) {
  using V = xsimd::batch<float, Arch>;
  constexpr int64_t L = V::size;
  int64_t i = 0;
  for (; i + L <= n; i += L) V::load_unaligned(from + i).store_unaligned(to + i);
  if (i == n) return;
  if (n >= L) {
    V::load_unaligned(from + n - L).store_unaligned(to + n - L);
    return;
  }
  for (; i < n; ++i) to[i] = from[i];
}

template <class Arch>
void zero_floats(float* to, int64_t n) {
  using V = xsimd::batch<float, Arch>;
  constexpr int64_t L = V::size;
  int64_t i = 0;
  for (; i + L <= n; i += L) V(0.0f).store_unaligned(to + i);
  if (i == n) return;
  if (n >= L) {
    V(0.0f).store_unaligned(to + n - L);
    return;
  }
  for (; i < n; ++i) to[i] = 0.0f;
}

template <class Arch>
void add_floats(const float* from, int64_t n, float* to) {
  using V = xsimd::batch<float, Arch>;
  int64_t i = 0;
  for (; i + int64_t{V::size} <= n; i += V::size) {
    (V::load_unaligned(to + i) + V::load_unaligned(from + i)).store_unaligned(to + i);
  }
  for (; i < n; ++i) to[i] += from[i];
}

// Chunk j (kInterleave floats) at from + j·from_stride to to + j·to_stride.
template <class Arch>
void copy_chunks(const float* from, int64_t from_stride, int64_t chunks, float* to,
                 int64_t to_stride) {
  for (int64_t j = 0; j < chunks; ++j, from += from_stride, to += to_stride) {
#pragma GCC unroll 8
    for (int t = 0; t < kInterleave; ++t) to[t] = from[t];
  }
}

// v to the vector-aligned p past the caches: a non-temporal store, which the caller orders
// with _mm_sfence() (xsimd 8 has none).
template <class Arch>
void stream_store(float* p, xsimd::batch<float, Arch> v) {
  if constexpr (xsimd::batch<float, Arch>::size == 16) {
    _mm512_stream_ps(p, v);
  } else {
    _mm256_stream_ps(p, v);
  }
}

// With `stream`, each row as usual up to its first vector-aligned float, then whole vectors
// past the caches.
template <class Arch>
void copy_rows(const float* from, int64_t from_stride, int64_t rows, int64_t len, float* to,
               int64_t to_stride, bool stream) {
  using V = xsimd::batch<float, Arch>;
  constexpr int64_t L = V::size;
  for (int64_t i = 0; i < rows; ++i, from += from_stride, to += to_stride) {
    int64_t j = 0;
    if (stream) {
      const int64_t misaligned = int64_t(reinterpret_cast<std::uintptr_t>(to) / sizeof(float) % L);
      j = std::min(len, (L - misaligned) % L);
      copy_floats<Arch>(from, j, to);
      for (; j + L <= len; j += L) stream_store<Arch>(to + j, V::load_unaligned(from + j));
    }
    copy_floats<Arch>(from + j, len - j, to + j);
  }
}

// For each of `count` pixels (from_stride and to_stride floats apart): to[2i + q] = from[q·n + i]
// for q < 2, i < n, the pixel's channels of two groups interleaved for the grouped kernels; one
// permutation when the pair fills a vector (ResNeXt's 8 + 8).
template <class Arch>
void interleave_pairs(const float* from, int64_t from_stride, int64_t n, int64_t count, float* to,
                      int64_t to_stride) {
  using V = xsimd::batch<float, Arch>;
  for (int64_t x = 0; x < count; ++x, from += from_stride, to += to_stride) {
    if (2 * n == int64_t{V::size}) {
      reorder<2, Lanes>(V::load_unaligned(from)).store_unaligned(to);
      continue;
    }
    for (int64_t i = 0; i < n; ++i) {
      to[2 * i] = from[i];
      to[2 * i + 1] = from[n + i];
    }
  }
}

// The lanes of a and b alternating: (a0 b0 a1 b1 ...) into lo, the second half into hi. xsimd
// 8.1 has no two-vector permutation (its zip_lo stays inside 128-bit lanes on AVX).
template <class Arch>
void zip(const xsimd::batch<float, Arch>& a, const xsimd::batch<float, Arch>& b,
         xsimd::batch<float, Arch>& lo, xsimd::batch<float, Arch>& hi) {
  if constexpr (std::is_same_v<Arch, xsimd::avx512f>) {
    const __m512i first = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i second = _mm512_add_epi32(first, _mm512_set1_epi32(8));
    lo = _mm512_permutex2var_ps(a, first, b);
    hi = _mm512_permutex2var_ps(a, second, b);
  } else {
    static_assert(xsimd::batch<float, Arch>::size == 8, "an AVX vector");
    const __m256 l = _mm256_unpacklo_ps(a, b), h = _mm256_unpackhi_ps(a, b);  // per 128 bits
    lo = _mm256_permute2f128_ps(l, h, 0x20);
    hi = _mm256_permute2f128_ps(l, h, 0x31);
  }
}

// The even lanes of the pair (a, b) read as one run of 2L floats into even, the odd ones into
// odd: zip's inverse.
template <class Arch>
void unzip(const xsimd::batch<float, Arch>& a, const xsimd::batch<float, Arch>& b,
           xsimd::batch<float, Arch>& even, xsimd::batch<float, Arch>& odd) {
  if constexpr (std::is_same_v<Arch, xsimd::avx512f>) {
    const __m512i evens =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    even = _mm512_permutex2var_ps(a, evens, b);
    odd = _mm512_permutex2var_ps(a, _mm512_add_epi32(evens, _mm512_set1_epi32(1)), b);
  } else {
    static_assert(xsimd::batch<float, Arch>::size == 8, "an AVX vector");
    // (a0 a2 b0 b2 | a4 a6 b4 b6), then the 64-bit quarters in order 0 2 1 3.
    even = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    odd = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
  }
}

// even[i·to_stride + j] = from[i·from_stride + 2j], odd[i·to_stride + j] = from[i·from_stride +
// 2j + 1] over the n floats of each of `rows` rows: a stride-2 row split into its two phases.
// The last 2L floats of a row overlap the ones before rather than leave a tail.
template <class Arch>
void split_columns(const float* from, int64_t from_stride, int64_t rows, int64_t n, float* even,
                   float* odd, int64_t to_stride) {
  using V = xsimd::batch<float, Arch>;
  constexpr int64_t L = V::size;
  const int64_t last = (n - 2 * L) & ~int64_t{1};  // the last run: overlapping, even offset
  const int64_t runs_end = n >= 2 * L ? last + 2 * L : 0;
  for (int64_t i = 0; i < rows; ++i, from += from_stride, even += to_stride, odd += to_stride) {
    for (int64_t j = 0; j < runs_end; j += 2 * L) {
      const int64_t at = j < last ? j : last;
      V e, o;
      unzip<Arch>(V::load_unaligned(from + at), V::load_unaligned(from + at + L), e, o);
      e.store_unaligned(even + at / 2);
      o.store_unaligned(odd + at / 2);
    }
    for (int64_t j = runs_end; j < n; ++j) {
      float* to = j % 2 ? odd : even;  // (indexing the conditional itself: GCC 12's ASan faults)
      to[j / 2] = from[j];
    }
  }
}

// to[j·rows + s] = from[s·from_stride + j] for s < rows, j < n: the columns of a transposed
// convolution's filter row, computed as separate rows, into their output row (phase_gemm).
// Two rows (a 2-wide filter at stride 2) interleave a vector pair at a time; with `stream`,
// stored past the caches where `to` is vector-aligned (non-temporal: the caller fences).
template <class Arch>
void interleave_rows(const float* from, int64_t from_stride, int64_t rows, int64_t n, float* to,
                     bool stream) {
  using V = xsimd::batch<float, Arch>;
  constexpr int64_t L = V::size;
  int64_t j = 0;
  if (rows == 2) {
    const bool streamed = stream && reinterpret_cast<std::uintptr_t>(to) % sizeof(V) == 0;
    for (; j + L <= n; j += L) {
      V lo, hi;
      zip<Arch>(V::load_unaligned(from + j), V::load_unaligned(from + from_stride + j), lo, hi);
      if (streamed) {
        stream_store<Arch>(to + 2 * j, lo);
        stream_store<Arch>(to + 2 * j + L, hi);
      } else {
        lo.store_unaligned(to + 2 * j);
        hi.store_unaligned(to + 2 * j + L);
      }
    }
  }
  for (; j < n; ++j)
    for (int64_t s = 0; s < rows; ++s) to[j * rows + s] = from[s * from_stride + j];
}

// The first n < 8 lanes of v to `to`: 4, 2 and 1 floats at a time, not a masked store
// (microcoded on AMD's Zen, 20-25 cycles each on Zen 3). A template on Arch, as everything in
// ISA code: one copy per instantiation, never shared between ISAs by the linker.
template <class Arch>
void store_first(float* to, __m256 v, int64_t n) {
  __m128 x = _mm256_castps256_ps128(v);
  if (n & 4) {
    _mm_storeu_ps(to, x);
    x = _mm256_extractf128_ps(v, 1);
    to += 4;
  }
  if (n & 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(to), x);
    x = _mm_movehl_ps(x, x);
    to += 2;
  }
  if (n & 1) _mm_store_ss(to, x);
}

// c[j] = column j of the 8x8 block at t, its rows ldt floats apart: in registers, written out
// name by name (arrays indexed in loops went through the stack: a cycle an element). A template
// on Arch, as everything in ISA code (store_first).
template <class Arch>
void transpose8x8(const float* t, int64_t ldt, __m256 (&c)[8]) {
  const float* t4 = t + 4 * ldt;
  const __m256 r0 = _mm256_loadu_ps(t), r1 = _mm256_loadu_ps(t + ldt);
  const __m256 r2 = _mm256_loadu_ps(t + 2 * ldt), r3 = _mm256_loadu_ps(t + 3 * ldt);
  const __m256 r4 = _mm256_loadu_ps(t4), r5 = _mm256_loadu_ps(t4 + ldt);
  const __m256 r6 = _mm256_loadu_ps(t4 + 2 * ldt), r7 = _mm256_loadu_ps(t4 + 3 * ldt);
  const __m256 u0 = _mm256_unpacklo_ps(r0, r1), u1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 u2 = _mm256_unpacklo_ps(r2, r3), u3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 u4 = _mm256_unpacklo_ps(r4, r5), u5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 u6 = _mm256_unpacklo_ps(r6, r7), u7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 v0 = _mm256_shuffle_ps(u0, u2, 0x44), v1 = _mm256_shuffle_ps(u0, u2, 0xEE);
  const __m256 v2 = _mm256_shuffle_ps(u1, u3, 0x44), v3 = _mm256_shuffle_ps(u1, u3, 0xEE);
  const __m256 v4 = _mm256_shuffle_ps(u4, u6, 0x44), v5 = _mm256_shuffle_ps(u4, u6, 0xEE);
  const __m256 v6 = _mm256_shuffle_ps(u5, u7, 0x44), v7 = _mm256_shuffle_ps(u5, u7, 0xEE);
  // Column j: the low (j < 4) or high 128-bit halves of v[j % 4] and v[4 + j % 4].
  c[0] = _mm256_permute2f128_ps(v0, v4, 0x20);
  c[1] = _mm256_permute2f128_ps(v1, v5, 0x20);
  c[2] = _mm256_permute2f128_ps(v2, v6, 0x20);
  c[3] = _mm256_permute2f128_ps(v3, v7, 0x20);
  c[4] = _mm256_permute2f128_ps(v0, v4, 0x31);
  c[5] = _mm256_permute2f128_ps(v1, v5, 0x31);
  c[6] = _mm256_permute2f128_ps(v2, v6, 0x31);
  c[7] = _mm256_permute2f128_ps(v3, v7, 0x31);
}

// out[j·out_stride + i·step] = t[i·ldt + j] for i < m, j < cols: a tile of pixels x channels
// into NCHW planes (step > 1: the pixels of one phase of a transposed convolution), 8x8 blocks
// transposed in AVX registers (both ISAs have them). Reads t up to round_up(m, 8) rows and
// round_up(cols, 8) columns; writes only the m x cols elements asked for (step > 1 one float at
// a time: the other phases' columns between them may belong to another thread).
template <class Arch>
void transpose_tile(const float* t, int64_t ldt, int64_t m, int64_t cols, float* out,
                    int64_t out_stride, int64_t step) {
  for (int64_t i0 = 0; i0 < m; i0 += 8) {
    const int64_t rows = std::min<int64_t>(8, m - i0);
    for (int64_t j0 = 0; j0 < cols; j0 += 8) {
      __m256 c[8];
      transpose8x8<Arch>(t + i0 * ldt + j0, ldt, c);
      const int64_t n = std::min<int64_t>(8, cols - j0);
      float* to = out + j0 * out_stride + i0 * step;
      if (n == 8 && rows == 8 && step == 1) {  // a whole block: straight from the registers
        const int64_t s = out_stride;
        float* to4 = to + 4 * s;
        _mm256_storeu_ps(to, c[0]);
        _mm256_storeu_ps(to + s, c[1]);
        _mm256_storeu_ps(to + 2 * s, c[2]);
        _mm256_storeu_ps(to + 3 * s, c[3]);
        _mm256_storeu_ps(to4, c[4]);
        _mm256_storeu_ps(to4 + s, c[5]);
        _mm256_storeu_ps(to4 + 2 * s, c[6]);
        _mm256_storeu_ps(to4 + 3 * s, c[7]);
        continue;
      }
      // A partial block from memory (a run-time index into c would keep it there throughout).
      alignas(32) float lanes[8][8];
      for (int j = 0; j < 8; ++j) _mm256_store_ps(lanes[j], c[j]);
      for (int64_t j = 0; j < n; ++j, to += out_stride) {
        if (step > 1) {  // (masked stores are microcoded on AMD's Zen: slower)
          for (int64_t l = 0; l < rows; ++l) to[step * l] = lanes[j][l];
        } else if (rows == 8) {
          _mm256_storeu_ps(to, _mm256_load_ps(lanes[j]));
        } else {
          store_first<Arch>(to, _mm256_load_ps(lanes[j]), rows);
        }
      }
    }
  }
}

}  // namespace svertka::kernels
