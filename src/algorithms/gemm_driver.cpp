#include "gemm_driver.hpp"

#include <algorithm>

namespace svertka {

void gemm_block(const Brgemm& k, int64_t rows, int64_t cols, int64_t kc, const float* a,
                int64_t a_stride, const float* b, int64_t b_stride, float* c, int64_t ldc,
                Init init, const float* bias) {
  // jr outside ir: the B micro-panel stays in L1 while A micro-panels stream from L2 (BLIS).
  for (int64_t jr = 0; jr < cols; jr += k.nr, b += b_stride) {
    const int64_t n = std::min<int64_t>(k.nr, cols - jr);
    const float* ap = a;
    for (int64_t ir = 0; ir < rows; ir += k.mr, ap += a_stride) {
      const int64_t m = std::min<int64_t>(k.mr, rows - ir);
      float* ct = c + ir * ldc + jr;
      const float* bt = init == Init::bias_rows ? bias + ir : bias + jr;
      if (m == k.mr && n == k.nr) {
        k.run(1, &ap, &b, kc, k.mr * kInterleave, ct, ldc, init, bt);
        continue;
      }
      alignas(64) float tile[32 * 64];  // the largest MR x NR of any table
      std::fill_n(tile, k.mr * k.nr, 0.0f);
      if (init == Init::accumulate) {
        for (int64_t i = 0; i < m; ++i) std::copy_n(ct + i * ldc, n, tile + i * k.nr);
      }
      k.run(1, &ap, &b, kc, k.mr * kInterleave, tile, k.nr, init, bt);
      for (int64_t i = 0; i < m; ++i) std::copy_n(tile + i * k.nr, n, ct + i * ldc);
    }
  }
}

}  // namespace svertka
