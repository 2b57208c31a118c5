// The macro-kernel: one cache block of C from packed A and B blocks, tile by tile through a
// microkernel, partial tiles through a scratch tile (the contract's "caller handles edges").
#pragma once

#include <cstdint>
#include <string>

#include "../kernels/contract.hpp"

namespace svertka {

// The GEMM kernel a tuning names, or the table's default.
inline const Brgemm& tuned_gemm(const KernelTable& table, const std::string& name) {
  for (const Brgemm& k : table.gemm) {
    if (name == k.name) return k;
  }
  return table.gemm[0];
}

// C[rows x cols] (=|+=) A·B over kc through a GEMM block (one with a strip: kernels::block()).
// a: ceil(rows/MR) A micro-panels, a_stride floats apart; b: ceil(cols/NR) B micro-panels,
// b_stride floats apart. bias as in the contract: for
// Init::bias_rows, bias[i] of row i (readable up to round_up(rows, MR)); for bias_cols, of
// column j (up to round_up(cols, NR)).
void gemm_block(const Brgemm& kernel, int64_t rows, int64_t cols, int64_t kc,
                const float* a, int64_t a_stride, const float* b, int64_t b_stride, float* c,
                int64_t ldc, Init init, const float* bias);

// gemm_block with gemm[0]'s block and B read in place (KernelTable::gemm_strided_b): B's kc rows
// ldb floats apart, of which the columns up to the last whole NR are read there; the columns
// after them come from `tail`, kc rows of NR floats (zero-padded), since reading NR floats
// there could run past the end of the buffer.
void gemm_block_strided_b(const KernelTable& table, int64_t rows, int64_t cols, int64_t kc,
                          const float* a, int64_t a_stride, const float* b, int64_t ldb,
                          const float* tail, float* c, int64_t ldc, Init init, const float* bias);

}  // namespace svertka
