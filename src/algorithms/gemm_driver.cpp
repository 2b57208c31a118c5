#include "gemm_driver.hpp"

#include <algorithm>

namespace svertka {
namespace {

// The tiles of C[rows x cols], A micro-panels a_stride floats apart, through
// strip(tiles, a_panel, first column, c, ldc, bias of the first tile): jr outside ir, so that
// the B micro-panel stays in L1 while A micro-panels stream from L2 (BLIS). A column's whole
// tiles go as one strip; partial tiles through a scratch tile (the contract's "caller handles
// edges"). Before a column, the first tile of the next one is fetched, the kernel fetching
// each next tile within the strip: a tile's stores that miss fill the store buffer, and the
// next tile stalls on them (C rows a plane apart, an NCHW output beyond the caches: a quarter
// of a pointwise layer's time in the kernel's first instructions; 64 -> 256 channels at 56x56
// alternating with oneDNN, 2.7 -> 1.6 ms, oneDNN 1.4-1.7).
template <class Strip>
void tiles(int mr, int nr, int64_t rows, int64_t cols, const float* a, int64_t a_stride, float* c,
           int64_t ldc, Init init, const float* bias, Strip strip) {
  const int64_t whole = rows / mr;
  for (int64_t jr = 0; jr < cols; jr += nr) {
    const int64_t n = std::min<int64_t>(nr, cols - jr);
    for (int64_t i = 0; i < std::min<int64_t>(mr, rows) && jr + nr < cols; ++i) {
      const float* row = c + i * ldc + jr + nr;  // the next column's first tile
      const int64_t next = std::min<int64_t>(nr, cols - jr - nr);
      for (int64_t q = 0; q < next; q += 16) __builtin_prefetch(row + q, 1);
      __builtin_prefetch(row + next - 1, 1);
    }
    const auto bias_at = [&](int64_t ir) {
      return init == Init::bias_rows ? bias + ir : bias + jr;
    };
    int64_t ir = 0;
    if (n == nr) {
      strip(whole, a, jr, c + jr, ldc, bias_at(0));
      ir = whole * mr;
    }
    for (; ir < rows; ir += mr) {
      const float* ap = a + ir / mr * a_stride;
      float* ct = c + ir * ldc + jr;
      const int64_t m = std::min<int64_t>(mr, rows - ir);
      alignas(64) float scratch[32 * 64];  // the largest MR x NR of any table
      std::fill_n(scratch, mr * nr, 0.0f);
      if (init == Init::accumulate) {
        for (int64_t i = 0; i < m; ++i) std::copy_n(ct + i * ldc, n, scratch + i * nr);
      }
      strip(1, ap, jr, scratch, nr, bias_at(ir));
      for (int64_t i = 0; i < m; ++i) std::copy_n(scratch + i * nr, n, ct + i * ldc);
    }
  }
}

}  // namespace

void gemm_block(const Brgemm& k, int64_t rows, int64_t cols, int64_t kc, const float* a,
                int64_t a_stride, const float* b, int64_t b_stride, float* c, int64_t ldc,
                Init init, const float* bias) {
  tiles(k.mr, k.nr, rows, cols, a, a_stride, c, ldc, init, bias,
        [&](int64_t count, const float* ap, int64_t jr, float* ct, int64_t ldt, const float* bt) {
          const float* bp = b + jr / k.nr * b_stride;
          k.strip(count, a_stride, k.mr * ldt, 1, &ap, &bp, kc, k.mr * kInterleave, ct, ldt, init,
                  bt);
        });
}

void gemm_block_strided_b(const KernelTable& table, int64_t rows, int64_t cols, int64_t kc,
                          const float* a, int64_t a_stride, const float* b, int64_t ldb,
                          const float* tail, float* c, int64_t ldc, Init init, const float* bias) {
  const Brgemm& k = table.gemm[0];
  const int64_t whole = cols / k.nr * k.nr;
  tiles(k.mr, k.nr, rows, cols, a, a_stride, c, ldc, init, bias,
        [&](int64_t count, const float* ap, int64_t jr, float* ct, int64_t ldt, const float* bt) {
          const bool in_place = jr < whole;
          table.gemm_strided_b(count, a_stride, k.mr * ldt, ap, in_place ? b + jr : tail,
                               in_place ? ldb : k.nr, kc, ct, ldt, init, bt);
        });
}

}  // namespace svertka
