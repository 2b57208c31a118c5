// The brgemm microkernel of contract.hpp, written once with xsimd for any arch.
#pragma once

#include <xsimd/xsimd.hpp>

#include <utility>

#include "contract.hpp"
#include "lanes.hpp"

namespace svertka::kernels {

// The starting value of accumulator (row i, vector j) for `init` (the contract's), in lanes.
template <class V, int BCAST>
V tile_start(Init init, const float* c, int64_t ldc, const float* bias, int i, int j) {
  constexpr int L = V::size;
  return init == Init::accumulate ? reorder<BCAST, Lanes>(V::load_unaligned(c + i * ldc + j * L))
         : init == Init::bias_rows ? V(bias[i])
                                   : reorder<BCAST, Lanes>(V::load_unaligned(bias + j * L));
}

// Accumulators to C, row i at c + i·ldc.
template <class V, int MR, int NV>
void store_tile(const V (&acc)[MR][NV], float* c, int64_t ldc) {
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) acc[i][j].store_unaligned(c + i * ldc + j * V::size);
  }
}

// MR rows x NV vectors of columns; accumulators stay in registers for the whole batch and
// reduction (MR·NV + NV + 1 vector registers: 14x2 for AVX-512's 32, 6x2 for AVX2's 16).
// BCAST > 1 (one vector): each step of A is BCAST floats, one per interleaved group.
// PF > 0: B is prefetched into L2 PF floats ahead, the step's lines, for blocks whose weights
// stream from L3 (a line of B feeds MR·NV FMAs: too few to hide L3's latency unaided).
// A is read `shift` floats after a[t] (tile m of a strip). ROW = 0: A's rows are `row` floats
// apart, known at run time, addressed from two bases H rows apart (the H - 1 multiples of row
// then fit in registers beside them); on Zen 5 as fast as a compile-time ROW.
template <class Arch, int MR, int NV, int ROW, int BCAST, int PF>
[[gnu::always_inline]] inline void brgemm_tile(int64_t shift, int64_t row, int64_t batch,
                                               const float* const* a, const float* const* b,
                                               int64_t kc, int64_t a_block, float* c, int64_t ldc,
                                               Init init, const float* bias) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, NR = NV * L, U = kInterleave, H = (MR + 1) / 2;
  static_assert(BCAST == 1 || NV == 1, "interleaved groups fill exactly one vector");
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) acc[i][j] = tile_start<V, BCAST>(init, c, ldc, bias, i, j);
  }
  for (int64_t t = 0; t < batch; ++t) {
    const float* ap = a[t] + shift;
    const float* ah = ap + (ROW ? 0 : H * row);  // ROW = 0: rows H.. from here
    const float* bp = b[t];
    for (int64_t k = 0; k < kc; k += U, ap += a_block, ah += a_block) {
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u, bp += NR) {
        if constexpr (PF > 0) {
#pragma GCC unroll 8
          for (int j = 0; j < NR; j += 16) __builtin_prefetch(bp + PF + j, 0, 2);  // 64-byte lines
        }
        V bv[NV];
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) bv[j] = V::load_aligned(bp + j * L);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
          const float* ai_at = ROW ? ap + i * ROW : (i < H ? ap : ah) + i % H * row;
          const V ai = broadcast<V, BCAST>(ai_at + u * BCAST);
#pragma GCC unroll 8
          for (int j = 0; j < NV; ++j) acc[i][j] = xsimd::fma(ai, bv[j], acc[i][j]);
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) reorder<BCAST, Columns>(acc[i][j]).store_unaligned(c + i * ldc + j * L);
  }
}

template <class Arch, int MR, int NV, int ROW, int BCAST = 1, int PF = 0>
void brgemm(int64_t batch, const float* const* a, const float* const* b, int64_t kc,
            int64_t a_block, float* c, int64_t ldc, Init init, const float* bias) {
  brgemm_tile<Arch, MR, NV, ROW, BCAST, PF>(0, ROW, batch, a, b, kc, a_block, c, ldc, init, bias);
}

// The lines of the MR x NR tile at c, rows ldc floats apart, fetched for writing.
template <int MR, int NR>
void prefetch_tile(const float* c, int64_t ldc) {
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < NR; j += 16) __builtin_prefetch(c + i * ldc + j, 1);  // 64-byte lines
    __builtin_prefetch(c + i * ldc + NR - 1, 1);  // an unaligned row's last line
  }
}

// A strip of tiles (contract.hpp: BrgemmStripFn; ROW = 0: BrgemmRowsFn's, rows `row` apart),
// the tile inlined into the loop: a call per tile from here, its pointers shifted for each,
// kept part of the gain (Zen 3, res2_1x1b: 1446 us per tile from direct, 1394 called from
// here, 1254 inlined; medians of 8 alternations).
template <class Arch, int MR, int NV, int ROW, int PF>
[[gnu::always_inline]] inline void strip_tiles(int64_t row, int64_t tiles, int64_t a_step,
                                               int64_t c_step, int64_t batch,
                                               const float* const* a, const float* const* b,
                                               int64_t kc, int64_t a_block, float* c,
                                               int64_t ldc, Init init, const float* bias) {
  constexpr int NR = NV * xsimd::batch<float, Arch>::size;
  for (int64_t m = 0; m < tiles; ++m, c += c_step) {
    if (m + 1 < tiles) prefetch_tile<MR, NR>(c + c_step, ldc);
    const float* tile_bias = init == Init::bias_rows ? bias + m * MR : bias;
    brgemm_tile<Arch, MR, NV, ROW, 1, PF>(m * a_step, row, batch, a, b, kc, a_block, c, ldc,
                                          init, tile_bias);
  }
}

template <class Arch, int MR, int NV, int ROW, int PF>
void brgemm_strip(int64_t tiles, int64_t a_step, int64_t c_step, int64_t batch,
                  const float* const* a, const float* const* b, int64_t kc, int64_t a_block,
                  float* c, int64_t ldc, Init init, const float* bias) {
  strip_tiles<Arch, MR, NV, ROW, PF>(ROW, tiles, a_step, c_step, batch, a, b, kc, a_block, c,
                                     ldc, init, bias);
}

template <class Arch, int M, int NV, int PF>
void brgemm_rows_strip(int64_t row, int64_t tiles, int64_t a_step, int64_t c_step, int64_t batch,
                       const float* const* a, const float* const* b, int64_t kc, int64_t a_block,
                       float* c, int64_t ldc, Init init, const float* bias) {
  strip_tiles<Arch, M, NV, 0, PF>(row, tiles, a_step, c_step, batch, a, b, kc, a_block, c, ldc,
                                  init, bias);
}

// The strip of tiles of m rows, for any m from 1 to sizeof...(W).
template <class Arch, int NV, int PF, int... W>
void brgemm_rows(int64_t m, int64_t row, int64_t tiles, int64_t a_step, int64_t c_step,
                 int64_t batch, const float* const* a, const float* const* b, int64_t kc,
                 int64_t a_block, float* c, int64_t ldc, Init init, const float* bias) {
  using Strip = decltype(&brgemm_rows_strip<Arch, 1, NV, PF>);
  static constexpr Strip strip[] = {&brgemm_rows_strip<Arch, W + 1, NV, PF>...};
  strip[m - 1](row, tiles, a_step, c_step, batch, a, b, kc, a_block, c, ldc, init, bias);
}
template <class Arch, int NV, int PF, int... W>
constexpr BrgemmRowsFn brgemm_rows_entry(std::integer_sequence<int, W...>) {
  return brgemm_rows<Arch, NV, PF, W...>;
}

// A GEMM or direct block's table entry: MR rows x NV vectors, A rows ROW floats apart, B
// prefetched PF floats ahead; the tile and the strip.
template <class Arch, int MR, int NV, int ROW, int PF = 0>
constexpr Brgemm block(const char* name) {
  return {.name = name,
          .mr = MR,
          .nr = NV * int(xsimd::batch<float, Arch>::size),
          .row = ROW,
          .run = brgemm<Arch, MR, NV, ROW, 1, PF>,
          .strip = brgemm_strip<Arch, MR, NV, ROW, PF>};
}

// A GEMM block's entry (A rows U apart, as packed): block()'s, and the rows form for tiles of
// any height up to MR and any row stride.
template <class Arch, int MR, int NV, int PF = 0>
constexpr Brgemm gemm_block(const char* name) {
  Brgemm k = block<Arch, MR, NV, kInterleave, PF>(name);
  k.rows = brgemm_rows_entry<Arch, NV, PF>(std::make_integer_sequence<int, MR>());
  return k;
}

// brgemm with B's rows read in place, ldb floats apart (contract.hpp: BrgemmStridedBFn). Its
// own loop, not brgemm's with the B step as a parameter: that version compiled brgemm to other
// register allocations, 3-4% faster for 6x16 and 3-5% slower for 4x24 on Zen 3 (interleaved),
// and unmeasured on AVX-512, where the main kernel stays as it was measured.
template <class Arch, int MR, int NV>
void brgemm_strided_b(int64_t tiles, int64_t a_step, int64_t c_step, const float* a, const float* b,
                      int64_t ldb, int64_t kc, float* c, int64_t ldc, Init init,
                      const float* bias) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, NR = NV * L, U = kInterleave;
  for (int64_t m = 0; m < tiles; ++m, a += a_step, c += c_step) {
    if (m + 1 < tiles) prefetch_tile<MR, NR>(c + c_step, ldc);
    const float* tile_bias = init == Init::bias_rows ? bias + m * MR : bias;
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[i][j] = tile_start<V, 1>(init, c, ldc, tile_bias, i, j);
    }
    const float* ap = a;
    const float* bp = b;
    for (int64_t k = 0; k < kc; k += U, ap += MR * U) {
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u, bp += ldb) {
        V bv[NV];
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) bv[j] = V::load_unaligned(bp + j * L);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
          const V ai(ap[i * U + u]);
#pragma GCC unroll 8
          for (int j = 0; j < NV; ++j) acc[i][j] = xsimd::fma(ai, bv[j], acc[i][j]);
        }
      }
    }
    store_tile(acc, c, ldc);
  }
}

// brgemm with A's rows read in place, lda floats apart, each kc consecutive floats
// (contract.hpp: BrgemmStridedAFn): one reduction step at a time, so kc need not fill the
// interleave (a 7x7 filter over 3 channels is 21 steps a row, not 24).
template <class Arch, int MR, int NV>
void brgemm_strided_a(int64_t tiles, int64_t a_step, int64_t c_step, int64_t batch,
                      const float* const* a, int64_t lda, int64_t kc, const float* const* b,
                      float* c, int64_t ldc, Init init, const float* bias) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, NR = NV * L;
  for (int64_t m = 0; m < tiles; ++m, c += c_step) {
    if (m + 1 < tiles) prefetch_tile<MR, NR>(c + c_step, ldc);
    const float* tile_bias = init == Init::bias_rows ? bias + m * MR : bias;
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[i][j] = tile_start<V, 1>(init, c, ldc, tile_bias, i, j);
    }
    // Rows from two bases, H apart: the H - 1 multiples of lda fit in registers beside them.
    constexpr int H = (MR + 1) / 2;
    for (int64_t t = 0; t < batch; ++t) {
      const float* ap[2] = {a[t] + m * a_step, a[t] + m * a_step + H * lda};
      const float* bp = b[t];
      // By 3: three input channels (RGB) make every run's length a multiple of 3.
#pragma GCC unroll 3
      for (int64_t k = 0; k < kc; ++k, ++ap[0], ++ap[1], bp += NR) {
        V bv[NV];
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) bv[j] = V::load_aligned(bp + j * L);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
          const V ai(ap[i / H][i % H * lda]);
#pragma GCC unroll 8
          for (int j = 0; j < NV; ++j) acc[i][j] = xsimd::fma(ai, bv[j], acc[i][j]);
        }
      }
    }
    store_tile(acc, c, ldc);
  }
}

// brgemm with B's rows gathered (contract.hpp: BrgemmGatherBFn): step k multiplies A's MR
// floats at a + k·MR by the NR floats at rows[k] + offset.
template <class Arch, int MR, int NV>
void brgemm_gather_b(int64_t tiles, int64_t kc, const float* a, const float* const* rows,
                     int64_t offset, float* c, int64_t ldc, Init init, const float* bias) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, NR = NV * L;
  for (int64_t m = 0; m < tiles; ++m, offset += NR, c += NR) {
    if (m + 1 < tiles) prefetch_tile<MR, NR>(c + NR, ldc);
    const float* tile_bias = init == Init::bias_cols ? bias + m * NR : bias;
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[i][j] = tile_start<V, 1>(init, c, ldc, tile_bias, i, j);
    }
    const float* ap = a;
#pragma GCC unroll 3
    for (int64_t k = 0; k < kc; ++k, ap += MR) {
      const float* b = rows[k] + offset;
      V bv[NV];
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) bv[j] = V::load_unaligned(b + j * L);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const V ai(ap[i]);
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) acc[i][j] = xsimd::fma(ai, bv[j], acc[i][j]);
      }
    }
    store_tile(acc, c, ldc);
  }
}

// The row form of brgemm for a stride-1, undilated filter KW wide: batch element t is a filter
// row, a[t] its input row at the tile (pixels ROW floats apart, MR + KW - 1 of them), b[t] its
// KW taps' panels kc·NR floats apart. Each input value is broadcast once and feeds every tap
// that reads it: (MR + KW - 1) broadcasts for MR·KW FMAs, where the tap-batched brgemm needs
// MR·KW. One vector wide (NR = L), BCAST as in brgemm.
template <class Arch, int MR, int KW, int ROW, int BCAST>
void brgemm_row(int64_t batch, const float* const* a, const float* const* b, int64_t kc,
                int64_t a_block, float* c, int64_t ldc, Init init, const float* bias) {
  using V = xsimd::batch<float, Arch>;
  constexpr int L = V::size, U = kInterleave, SPAN = MR + KW - 1;
  V acc[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i] = tile_start<V, BCAST>(init, c, ldc, bias, i, 0);
  const int64_t tap = kc * L;
  for (int64_t t = 0; t < batch; ++t) {
    const float* ap = a[t];
    const float* bp = b[t];
    for (int64_t k = 0; k < kc; k += U, ap += a_block) {
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u, bp += L) {
        V w[KW];
#pragma GCC unroll 8
        for (int s = 0; s < KW; ++s) w[s] = V::load_aligned(bp + s * tap);
#pragma GCC unroll 32
        for (int x = 0; x < SPAN; ++x) {
          const V ax = broadcast<V, BCAST>(ap + x * ROW + u * BCAST);
#pragma GCC unroll 8
          for (int s = 0; s < KW; ++s) {
            if (x - s >= 0 && x - s < MR) acc[x - s] = xsimd::fma(ax, w[s], acc[x - s]);
          }
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) reorder<BCAST, Columns>(acc[i]).store_unaligned(c + i * ldc);
}

// Independent FMA chains, enough to cover the FMA latency on every port (the peak benchmark).
template <class Arch>
double fma_peak(int64_t iterations) {
  using V = xsimd::batch<float, Arch>;
  constexpr int kChains = 12;  // 2 FMA ports x 4 cycles latency, with registers to spare on AVX2
  V acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = V(float(i) * 1e-3f);
  const V x(0.999999f), y(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = xsimd::fma(acc[i], x, y);
  }
  V sum(0.0f);
  for (int i = 0; i < kChains; ++i) sum += acc[i];
  alignas(64) float out[V::size];
  sum.store_aligned(out);
  volatile float sink = out[0];  // keeps the chains alive
  (void)sink;
  return 2.0 * V::size * kChains * double(iterations);
}

}  // namespace svertka::kernels
