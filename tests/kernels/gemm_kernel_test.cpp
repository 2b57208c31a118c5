// Every GEMM microkernel of every ISA this CPU runs, against a scalar loop: full tiles through
// the kernel alone, every partial m <= MR, n <= NR through the driver that owns the edges,
// real reduction lengths 0, 1, odd and large (zero-padded to the interleave), and every init.
#include <gtest/gtest.h>

#include "algorithms/gemm_driver.hpp"
#include "kernel_tables.hpp"
#include "runtime/aligned_buffer.hpp"
#include "support/against_reference.hpp"

namespace svertka::test {
namespace {

int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

struct Operands {
  int64_t m, n, k, kp;          // real sizes and the padded reduction length
  std::vector<float> a, b;      // row-major m x k and k x n
  AlignedBuffer pa, pb;         // packed per the contract, one micro-panel row/column block
  std::vector<float> bias, c0;  // bias (padded), C before the call
};

// Packs A (m x k) as ceil(m/MR) k-interleaved micro-panels and B (k x n) as ceil(n/NR)
// micro-panels, zero-padded, exactly as the contract lays them out.
Operands make_operands(const GemmKernelInfo& kr, int64_t m, int64_t n, int64_t k, std::mt19937& rng) {
  Operands o{m, n, k, round_up(k, kInterleave), {}, {}, {}, {}, {}, {}};
  o.a = random_floats(m * k, rng);
  o.b = random_floats(k * n, rng);
  const int64_t a_panels = (m + kr.mr - 1) / kr.mr, b_panels = (n + kr.nr - 1) / kr.nr;
  o.pa = AlignedBuffer(a_panels * o.kp * kr.mr);
  o.pb = AlignedBuffer(b_panels * o.kp * kr.nr);
  const int64_t U = kInterleave;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t q = 0; q < k; ++q) {
      float* panel = o.pa.data() + i / kr.mr * o.kp * kr.mr;
      panel[q / U * kr.mr * U + i % kr.mr * U + q % U] = o.a[i * k + q];
    }
  for (int64_t q = 0; q < k; ++q)
    for (int64_t j = 0; j < n; ++j) {
      o.pb.data()[(j / kr.nr * o.kp + q) * kr.nr + j % kr.nr] = o.b[q * n + j];
    }
  o.bias = random_floats(std::max(m, n) + 64, rng);
  o.c0 = random_floats(m * n, rng);
  return o;
}

// The scalar loop, and the sum of |terms| of each output for the tolerance.
void expected(const Operands& o, Init init, std::vector<float>& want, std::vector<float>& mag) {
  want.assign(o.m * o.n, 0.0f);
  mag.assign(o.m * o.n, 0.0f);
  for (int64_t i = 0; i < o.m; ++i)
    for (int64_t j = 0; j < o.n; ++j) {
      const double start = init == Init::accumulate ? o.c0[i * o.n + j]
                           : init == Init::bias_rows ? o.bias[i]
                                                     : o.bias[j];
      double sum = start, abs_sum = std::fabs(start);
      for (int64_t q = 0; q < o.k; ++q) {
        sum += double(o.a[i * o.k + q]) * o.b[q * o.n + j];
        abs_sum += std::fabs(double(o.a[i * o.k + q]) * o.b[q * o.n + j]);
      }
      want[i * o.n + j] = float(sum);
      mag[i * o.n + j] = float(abs_sum);
    }
}

class GemmKernel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!cpu_runs(GetParam())) GTEST_SKIP() << "this CPU does not run " << GetParam();
    table_ = kernel_table(GetParam() == "avx512" ? Isa::avx512 : Isa::avx2);
  }
  const KernelTable* table_ = nullptr;
};

constexpr Init kInits[] = {Init::bias_rows, Init::bias_cols, Init::accumulate};
constexpr int64_t kDepths[] = {0, 1, 7, 16, 33, 1000};

TEST_P(GemmKernel, FullTileAloneMatchesScalarLoop) {
  std::mt19937 rng(1);
  for (const GemmKernelInfo& kr : table_->gemm) {
    ASSERT_LE(kr.mr * kr.nr, 32 * 64) << kr.name << ": larger than the driver's scratch tile";
    ASSERT_EQ(kr.nr % table_->vector_floats, 0) << kr.name;
    for (int64_t k : kDepths)
      for (Init init : kInits) {
        Operands o = make_operands(kr, kr.mr, kr.nr, k, rng);
        std::vector<float> want, mag, c = o.c0;
        expected(o, init, want, mag);
        kr.run(o.kp, o.pa.data(), o.pb.data(), c.data(), kr.nr, init, o.bias.data());
        EXPECT_TRUE(close(want, c, mag)) << kr.name << " k=" << k << " init=" << int(init);
      }
  }
}

TEST_P(GemmKernel, EveryPartialTileThroughTheDriverMatchesScalarLoop) {
  std::mt19937 rng(2);
  for (const GemmKernelInfo& kr : table_->gemm) {
    for (int64_t m = 1; m <= kr.mr; ++m)
      for (int64_t n = 1; n <= kr.nr; ++n)
        for (int64_t k : {int64_t{1}, int64_t{33}}) {
          const Init init = kInits[(m + n) % 3];
          Operands o = make_operands(kr, m, n, k, rng);
          std::vector<float> want, mag, c = o.c0;
          expected(o, init, want, mag);
          gemm_block(kr, m, n, o.kp, o.pa.data(), o.kp * kr.mr, o.pb.data(), o.kp * kr.nr,
                     c.data(), n, init, o.bias.data());
          ASSERT_TRUE(close(want, c, mag)) << kr.name << " m=" << m << " n=" << n << " k=" << k;
        }
  }
}

// Several tiles in both directions, with ragged edges, and a row stride wider than the block.
TEST_P(GemmKernel, BlockOfTilesWithEdgesMatchesScalarLoop) {
  std::mt19937 rng(3);
  for (const GemmKernelInfo& kr : table_->gemm) {
    const int64_t m = 3 * kr.mr + 5, n = 2 * kr.nr + 3, k = 77, ldc = n + 9;
    for (Init init : kInits) {
      Operands o = make_operands(kr, m, n, k, rng);
      std::vector<float> want, mag, c(m * ldc, -7.0f);
      expected(o, init, want, mag);
      for (int64_t i = 0; i < m; ++i) std::copy_n(&o.c0[i * n], n, &c[i * ldc]);
      gemm_block(kr, m, n, o.kp, o.pa.data(), o.kp * kr.mr, o.pb.data(), o.kp * kr.nr, c.data(),
                 ldc, init, o.bias.data());
      std::vector<float> got(m * n);
      for (int64_t i = 0; i < m; ++i) {
        std::copy_n(&c[i * ldc], n, &got[i * n]);
        for (int64_t j = n; j < ldc; ++j) ASSERT_EQ(c[i * ldc + j], -7.0f) << "wrote past n";
      }
      EXPECT_TRUE(close(want, got, mag)) << kr.name << " init=" << int(init);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, GemmKernel, ::testing::Values("avx512", "avx2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace svertka::test
