#include "gemm_driver.hpp"

#include <algorithm>

namespace svertka {
namespace {

// The lines of C's tile at (ir, jr), fetched while the tile before it computes: a tile's
// stores that miss fill the store buffer, and the next call stalls on them (C rows a plane
// apart, an NCHW output beyond the caches: a quarter of a pointwise layer's time in the
// kernel's first instructions; 64 -> 256 channels at 56x56 alternating with oneDNN, 2.7 ->
// 1.6 ms, oneDNN 1.4-1.7).
void prefetch_tile(int mr, int nr, int64_t rows, int64_t cols, int64_t ir, int64_t jr,
                   const float* c, int64_t ldc) {
  if (ir >= rows) ir = 0, jr += nr;
  if (jr >= cols) return;
  const int64_t m = std::min<int64_t>(mr, rows - ir), n = std::min<int64_t>(nr, cols - jr);
  for (int64_t i = 0; i < m; ++i) {
    const float* row = c + (ir + i) * ldc + jr;
    for (int64_t q = 0; q < n; q += 16) __builtin_prefetch(row + q, 1);
    __builtin_prefetch(row + n - 1, 1);  // an unaligned row's last line
  }
}

// The tiles of C[rows x cols], A micro-panels a_stride floats apart, through
// tile(a_panel, first column, c, ldc, bias of the tile): jr outside ir, so that the B
// micro-panel stays in L1 while A micro-panels stream from L2 (BLIS). Partial tiles go through
// a scratch tile (the contract's "caller handles edges").
template <class Tile>
void tiles(int mr, int nr, int64_t rows, int64_t cols, const float* a, int64_t a_stride, float* c,
           int64_t ldc, Init init, const float* bias, Tile tile) {
  for (int64_t jr = 0; jr < cols; jr += nr) {
    const int64_t n = std::min<int64_t>(nr, cols - jr);
    const float* ap = a;
    for (int64_t ir = 0; ir < rows; ir += mr, ap += a_stride) {
      const int64_t m = std::min<int64_t>(mr, rows - ir);
      float* ct = c + ir * ldc + jr;
      prefetch_tile(mr, nr, rows, cols, ir + mr, jr, c, ldc);
      const float* bt = init == Init::bias_rows ? bias + ir : bias + jr;
      if (m == mr && n == nr) {
        tile(ap, jr, ct, ldc, bt);
        continue;
      }
      alignas(64) float scratch[32 * 64];  // the largest MR x NR of any table
      std::fill_n(scratch, mr * nr, 0.0f);
      if (init == Init::accumulate) {
        for (int64_t i = 0; i < m; ++i) std::copy_n(ct + i * ldc, n, scratch + i * nr);
      }
      tile(ap, jr, scratch, nr, bt);
      for (int64_t i = 0; i < m; ++i) std::copy_n(scratch + i * nr, n, ct + i * ldc);
    }
  }
}

}  // namespace

void gemm_block(const Brgemm& k, int64_t rows, int64_t cols, int64_t kc, const float* a,
                int64_t a_stride, const float* b, int64_t b_stride, float* c, int64_t ldc,
                Init init, const float* bias) {
  tiles(k.mr, k.nr, rows, cols, a, a_stride, c, ldc, init, bias,
        [&](const float* ap, int64_t jr, float* ct, int64_t ldt, const float* bt) {
          const float* bp = b + jr / k.nr * b_stride;
          k.run(1, &ap, &bp, kc, k.mr * kInterleave, ct, ldt, init, bt);
        });
}

void gemm_block_strided_b(const KernelTable& table, int64_t rows, int64_t cols, int64_t kc,
                          const float* a, int64_t a_stride, const float* b, int64_t ldb,
                          const float* tail, float* c, int64_t ldc, Init init, const float* bias) {
  const Brgemm& k = table.gemm[0];
  const int64_t whole = cols / k.nr * k.nr;
  tiles(k.mr, k.nr, rows, cols, a, a_stride, c, ldc, init, bias,
        [&](const float* ap, int64_t jr, float* ct, int64_t ldt, const float* bt) {
          if (jr < whole) {
            table.gemm_strided_b(ap, b + jr, ldb, kc, ct, ldt, init, bt);
          } else {
            table.gemm_strided_b(ap, tail, k.nr, kc, ct, ldt, init, bt);
          }
        });
}

}  // namespace svertka
