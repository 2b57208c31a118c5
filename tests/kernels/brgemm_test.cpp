// Every brgemm microkernel of every ISA this CPU runs, against a scalar loop: full tiles through
// the kernel alone and in strips (batches of 1 and 3, strided A rows and blocks as direct
// convolution reads them, two groups interleaved per vector for the grouped kernels), every partial
// m <= MR, n <= NR through the driver that owns the edges, real reduction lengths 0, 1, odd and
// large (zero-padded to the interleave), and every init.
#include <gtest/gtest.h>

#include <algorithm>

#include "algorithms/gemm_driver.hpp"
#include "kernel_tables.hpp"
#include "runtime/aligned_buffer.hpp"
#include "support/against_reference.hpp"

namespace svertka::test {
namespace {

constexpr int64_t U = kInterleave;
int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// One batch element: A (m x k, one per interleaved group) and B (k x n) row-major, and their
// packed forms: A at a[kb·a_block + i·row + u·bcast + group] (the contract's addressing), B as
// [kp][NR] panels with columns in the kernel's lane order.
struct Element {
  std::vector<float> a, b;
  AlignedBuffer pa, pb;
};

struct Case {
  int64_t m, n, k, kp, a_block;
  std::vector<Element> batch;
  std::vector<float> bias, c0;
};

Case make_case(const Brgemm& kr, int64_t m, int64_t n, int64_t k, int batch, int64_t extra_block,
               std::mt19937& rng) {
  Case cs{m, n, k, round_up(k, U), 0, {}, {}, {}};
  const int64_t a_panels = (m + kr.mr - 1) / kr.mr, b_panels = (n + kr.nr - 1) / kr.nr;
  const int64_t g = kr.bcast, per_group = kr.nr / g;
  cs.a_block = (kr.mr - 1) * kr.row + U * g + extra_block;
  for (int t = 0; t < batch; ++t) {
    Element e;
    e.a = random_floats(m * k * g, rng);
    e.b = random_floats(k * n, rng);
    // Each A micro-panel of MR rows gets its own region, a_block per U steps.
    e.pa = AlignedBuffer(a_panels * (cs.kp / U + 1) * cs.a_block);
    e.pb = AlignedBuffer(b_panels * cs.kp * kr.nr);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t q = 0; q < k; ++q)
        for (int64_t x = 0; x < g; ++x) {
          float* panel = e.pa.data() + i / kr.mr * (cs.kp / U + 1) * cs.a_block;
          panel[q / U * cs.a_block + i % kr.mr * kr.row + q % U * g + x] = e.a[(i * k + q) * g + x];
        }
    for (int64_t q = 0; q < k; ++q)
      for (int64_t j = 0; j < n; ++j) {
        const int64_t lane = j % kr.nr % per_group * g + j % kr.nr / per_group;
        e.pb.data()[(j / kr.nr * cs.kp + q) * kr.nr + lane] = e.b[q * n + j];
      }
    cs.batch.push_back(std::move(e));
  }
  cs.bias = random_floats(std::max(m, n) + 64, rng);
  cs.c0 = random_floats(m * n, rng);
  return cs;
}

// The scalar loop, and the sum of |terms| of each output for the tolerance. Column j of an
// interleaving kernel belongs to group j / (NR / bcast), which reads its own A.
void expected(const Brgemm& kr, const Case& cs, Init init, std::vector<float>& want,
              std::vector<float>& mag) {
  const int64_t g = kr.bcast, per_group = kr.nr / g;
  want.assign(cs.m * cs.n, 0.0f);
  mag.assign(cs.m * cs.n, 0.0f);
  for (int64_t i = 0; i < cs.m; ++i)
    for (int64_t j = 0; j < cs.n; ++j) {
      const double start = init == Init::accumulate ? cs.c0[i * cs.n + j]
                           : init == Init::bias_rows ? cs.bias[i]
                                                     : cs.bias[j];
      double sum = start, abs_sum = std::fabs(start);
      for (const Element& e : cs.batch)
        for (int64_t q = 0; q < cs.k; ++q) {
          const double term = double(e.a[(i * cs.k + q) * g + j % kr.nr / per_group]) *
                              e.b[q * cs.n + j];
          sum += term;
          abs_sum += std::fabs(term);
        }
      want[i * cs.n + j] = float(sum);
      mag[i * cs.n + j] = float(abs_sum);
    }
}

class BrgemmKernel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!cpu_runs(GetParam())) GTEST_SKIP() << "this CPU does not run " << GetParam();
    table_ = kernel_table(GetParam() == "avx512" ? Isa::avx512 : Isa::avx2);
  }
  std::vector<Brgemm> all() const {
    std::vector<Brgemm> v(table_->gemm.begin(), table_->gemm.end());
    v.insert(v.end(), table_->direct.begin(), table_->direct.end());
    v.insert(v.end(), table_->grouped.begin(), table_->grouped.end());
    return v;
  }
  const KernelTable* table_ = nullptr;
};

constexpr Init kInits[] = {Init::bias_rows, Init::bias_cols, Init::accumulate};

TEST_P(BrgemmKernel, FullTileAloneMatchesScalarLoop) {
  std::mt19937 rng(1);
  for (const Brgemm& kr : all()) {
    if (kr.kw) continue;  // the row form has its own test below
    ASSERT_LE(kr.mr * kr.nr, 32 * 64) << kr.name << ": larger than the driver's scratch tile";
    ASSERT_EQ(kr.nr % table_->vector_floats, 0) << kr.name;
    ASSERT_EQ(kr.row % (U * kr.bcast), 0) << kr.name;
    ASSERT_TRUE(kr.bcast == 1 || kr.nr == table_->vector_floats) << kr.name;
    for (int batch : {1, 3})
      for (int64_t k : {0, 1, 7, 16, 33, 1000})
        for (Init init : kInits) {
          const Case cs = make_case(kr, kr.mr, kr.nr, k, batch, batch == 1 ? 0 : 3 * U, rng);
          std::vector<float> want, mag, c = cs.c0;
          expected(kr, cs, init, want, mag);
          std::vector<const float*> a, b;
          for (const Element& e : cs.batch) a.push_back(e.pa.data()), b.push_back(e.pb.data());
          kr.run(batch, a.data(), b.data(), cs.kp, cs.a_block, c.data(), kr.nr, init,
                 cs.bias.data());
          EXPECT_TRUE(close(want, c, mag))
              << kr.name << " batch=" << batch << " k=" << k << " init=" << int(init);
        }
  }
}

// A strip of tiles as direct convolution calls it on a row of pixels and the GEMM driver on a
// column of tiles: tile m's A micro-panel a_step floats after tile m-1's, its C rows MR·NR
// floats after, rows m·MR.. of one block (bias_rows: their own bias). No tiles writes nothing.
TEST_P(BrgemmKernel, StripOfTilesMatchesScalarLoop) {
  std::mt19937 rng(5);
  int tested = 0;
  for (const Brgemm& kr : all()) {
    if (!kr.strip) continue;
    for (int tiles : {0, 1, 2, 5})
      for (int batch : {1, 3})
        for (int64_t k : {1, 33})
          for (Init init : kInits) {
            const int64_t m = tiles * kr.mr;
            const Case cs = make_case(kr, m, kr.nr, k, batch, batch == 1 ? 0 : 3 * U, rng);
            std::vector<float> want, mag, c = cs.c0;
            expected(kr, cs, init, want, mag);
            c.resize(m * kr.nr + kr.nr, -7.0f);  // a row past the strip, not to be written
            std::vector<const float*> a, b;
            for (const Element& e : cs.batch) a.push_back(e.pa.data()), b.push_back(e.pb.data());
            kr.strip(tiles, (cs.kp / U + 1) * cs.a_block, kr.mr * kr.nr, batch, a.data(), b.data(),
                     cs.kp, cs.a_block, c.data(), kr.nr, init, cs.bias.data());
            const std::vector<float> got(c.begin(), c.begin() + m * kr.nr);
            EXPECT_TRUE(close(want, got, mag))
                << kr.name << " tiles=" << tiles << " batch=" << batch << " k=" << k
                << " init=" << int(init);
            EXPECT_TRUE(
                std::all_of(c.begin() + m * kr.nr, c.end(), [](float x) { return x == -7.0f; }))
                << kr.name << " tiles=" << tiles << ": wrote past the strip";
            ++tested;
          }
  }
  EXPECT_GT(tested, 0);
}

// The rows form as direct convolution calls it on the part of a row of pixels that a tap reads
// inside the image: every height m <= MR, A rows a run-time stride apart (U, as packed, and 5U,
// which no compiled kernel reads), strips of tiles; nothing past the strip written.
TEST_P(BrgemmKernel, RowsFormMatchesScalarLoopForEveryHeight) {
  std::mt19937 rng(8);
  int tested = 0;
  for (const Brgemm& kr : table_->gemm) {
    ASSERT_NE(kr.rows, nullptr) << kr.name;
    for (int m = 1; m <= kr.mr; ++m)
      for (int64_t row : {U, 5 * U})
        for (int tiles : {0, 1, 3})
          for (Init init : kInits) {
            Brgemm shape = kr;  // the packing of make_case: m rows, `row` floats apart
            shape.mr = m;
            shape.row = int(row);
            const int batch = tiles == 1 ? 1 : 3;
            const int64_t k = tiles == 1 ? 1 : 33;
            const Case cs = make_case(shape, tiles * m, kr.nr, k, batch, 0, rng);
            std::vector<float> want, mag, c = cs.c0;
            expected(kr, cs, init, want, mag);
            c.resize(tiles * m * kr.nr + kr.nr, -7.0f);
            std::vector<const float*> a, b;
            for (const Element& e : cs.batch) a.push_back(e.pa.data()), b.push_back(e.pb.data());
            kr.rows(m, row, tiles, (cs.kp / U + 1) * cs.a_block, m * kr.nr, batch, a.data(),
                    b.data(), cs.kp, cs.a_block, c.data(), kr.nr, init, cs.bias.data());
            const std::vector<float> got(c.begin(), c.begin() + tiles * m * kr.nr);
            EXPECT_TRUE(close(want, got, mag))
                << kr.name << " m=" << m << " row=" << row << " tiles=" << tiles
                << " init=" << int(init);
            EXPECT_TRUE(std::all_of(c.begin() + tiles * m * kr.nr, c.end(),
                                    [](float x) { return x == -7.0f; }))
                << kr.name << " m=" << m << ": wrote past the strip";
            ++tested;
          }
  }
  EXPECT_GT(tested, 0);
}

// The row form as the grouped algorithm calls it: each batch element a filter row of MR + KW - 1
// pixels, ROW floats apart, each pixel one chunk of kc = ROW / bcast steps; the KW taps' B
// panels one after another.
TEST_P(BrgemmKernel, RowFormMatchesScalarLoop) {
  std::mt19937 rng(4);
  int tested = 0;
  for (const Brgemm& kr : table_->grouped) {
    if (!kr.kw) continue;
    const int64_t g = kr.bcast, nr = kr.nr, per_group = nr / g, kc = kr.row / g;
    const int64_t span = kr.mr + kr.kw - 1;
    for (int batch : {0, 1, 3})
      for (Init init : kInits) {
        std::vector<std::vector<float>> a;
        std::vector<AlignedBuffer> b;
        for (int t = 0; t < batch; ++t) {
          a.push_back(random_floats(span * kr.row, rng));
          b.emplace_back(kr.kw * kc * nr);
          const auto w = random_floats(kr.kw * kc * nr, rng);
          std::copy(w.begin(), w.end(), b.back().data());
        }
        const auto bias = random_floats(std::max<int64_t>(kr.mr, nr), rng);  // bias_rows reads MR
        std::vector<float> c = random_floats(kr.mr * nr, rng), want(c.size()), mag(c.size());
        for (int64_t i = 0; i < kr.mr; ++i)
          for (int64_t col = 0; col < nr; ++col) {
            const int64_t grp = col / per_group, lane = col % per_group * g + grp;
            double sum = init == Init::accumulate ? c[i * nr + col]
                         : init == Init::bias_rows ? bias[i]
                                                   : bias[col];
            double abs_sum = std::fabs(sum);
            for (int t = 0; t < batch; ++t)
              for (int64_t sx = 0; sx < kr.kw; ++sx)
                for (int64_t q = 0; q < kc; ++q) {
                  const double term = double(a[t][(i + sx) * kr.row + q * g + grp]) *
                                      b[t].data()[(sx * kc + q) * nr + lane];
                  sum += term;
                  abs_sum += std::fabs(term);
                }
            want[i * nr + col] = float(sum);
            mag[i * nr + col] = float(abs_sum);
          }
        std::vector<const float*> ap, bp;
        for (int t = 0; t < batch; ++t) ap.push_back(a[t].data()), bp.push_back(b[t].data());
        kr.run(batch, ap.data(), bp.data(), kc, U * g, c.data(), nr, init, bias.data());
        EXPECT_TRUE(close(want, c, mag)) << kr.name << " batch=" << batch << " init=" << int(init);
        ++tested;
      }
  }
  EXPECT_GT(tested, 0);
}

TEST_P(BrgemmKernel, EveryPartialTileThroughTheDriverMatchesScalarLoop) {
  std::mt19937 rng(2);
  for (const Brgemm& kr : table_->gemm) {
    for (int64_t m = 1; m <= kr.mr; ++m)
      for (int64_t n = 1; n <= kr.nr; ++n)
        for (int64_t k : {int64_t{1}, int64_t{33}}) {
          const Init init = kInits[(m + n) % 3];
          const Case cs = make_case(kr, m, n, k, 1, 0, rng);
          std::vector<float> want, mag, c = cs.c0;
          expected(kr, cs, init, want, mag);
          const Element& e = cs.batch[0];
          gemm_block(kr, m, n, cs.kp, e.pa.data(), (cs.kp / U + 1) * cs.a_block, e.pb.data(),
                     cs.kp * kr.nr, c.data(), n, init, cs.bias.data());
          ASSERT_TRUE(close(want, c, mag)) << kr.name << " m=" << m << " n=" << n << " k=" << k;
        }
  }
}

// Several tiles in both directions, with ragged edges, and a row stride wider than the block.
TEST_P(BrgemmKernel, BlockOfTilesWithEdgesMatchesScalarLoop) {
  std::mt19937 rng(3);
  for (const Brgemm& kr : table_->gemm) {
    const int64_t m = 3 * kr.mr + 5, n = 2 * kr.nr + 3, k = 77, ldc = n + 9;
    for (Init init : kInits) {
      const Case cs = make_case(kr, m, n, k, 1, 0, rng);
      std::vector<float> want, mag, c(m * ldc, -7.0f);
      expected(kr, cs, init, want, mag);
      for (int64_t i = 0; i < m; ++i) std::copy_n(&cs.c0[i * n], n, &c[i * ldc]);
      const Element& e = cs.batch[0];
      gemm_block(kr, m, n, cs.kp, e.pa.data(), (cs.kp / U + 1) * cs.a_block, e.pb.data(),
                 cs.kp * kr.nr, c.data(), ldc, init, cs.bias.data());
      std::vector<float> got(m * n);
      for (int64_t i = 0; i < m; ++i) {
        std::copy_n(&c[i * ldc], n, &got[i * n]);
        for (int64_t j = n; j < ldc; ++j) ASSERT_EQ(c[i * ldc + j], -7.0f) << "wrote past n";
      }
      EXPECT_TRUE(close(want, got, mag)) << kr.name << " init=" << int(init);
    }
  }
}

// B read in place (gemm_strided_b, NCHW pointwise layers): B's rows ldb floats apart, wider than
// the tile; the whole tile through the kernel, and a block with ragged edges through the driver,
// whose last columns come from the zero-padded tail.
std::vector<float> rows_of(const Case& cs, int64_t ldb) {
  std::vector<float> b(cs.kp * ldb, 0.0f);  // rows past k zero, as the padded A's
  for (int64_t q = 0; q < cs.k; ++q) std::copy_n(&cs.batch[0].b[q * cs.n], cs.n, &b[q * ldb]);
  return b;
}

TEST_P(BrgemmKernel, RowsInPlaceMatchScalarLoop) {
  std::mt19937 rng(4);
  const Brgemm& kr = table_->gemm[0];
  for (int64_t k : {0, 1, 7, 16, 33, 1000})
    for (Init init : kInits) {
      const Case cs = make_case(kr, kr.mr, kr.nr, k, 1, 0, rng);
      std::vector<float> want, mag, c = cs.c0;
      expected(kr, cs, init, want, mag);
      const std::vector<float> b = rows_of(cs, kr.nr + 5);
      table_->gemm_strided_b(1, 0, 0, cs.batch[0].pa.data(), b.data(), kr.nr + 5, cs.kp, c.data(),
                             kr.nr, init, cs.bias.data());
      EXPECT_TRUE(close(want, c, mag)) << "k=" << k << " init=" << int(init);
    }
  for (Init init : kInits) {
    const int64_t m = 3 * kr.mr + 5, n = 2 * kr.nr + 3, k = 77, ldb = n + 11;
    const Case cs = make_case(kr, m, n, k, 1, 0, rng);
    std::vector<float> want, mag, c = cs.c0;
    expected(kr, cs, init, want, mag);
    const std::vector<float> b = rows_of(cs, ldb);
    std::vector<float> tail(cs.kp * kr.nr, 0.0f);
    for (int64_t q = 0; q < k; ++q) std::copy_n(&b[q * ldb + 2 * kr.nr], 3, &tail[q * kr.nr]);
    gemm_block_strided_b(*table_, m, n, cs.kp, cs.batch[0].pa.data(), (cs.kp / U + 1) * cs.a_block,
                         b.data(), ldb, tail.data(), c.data(), n, init, cs.bias.data());
    EXPECT_TRUE(close(want, c, mag)) << "driver, init=" << int(init);
  }
}

// A read in place (gemm_strided_a, column_fold): row i of batch element t is kc consecutive
// floats at a[t] + i·lda, rows overlapping (lda < kc: neighbouring pixels' filter rows) or apart,
// any kc, one tile or a strip of three (tile m's rows at m·MR·lda, as a row's pixels), against
// a scalar loop.
TEST_P(BrgemmKernel, StridedRowsOfAMatchScalarLoop) {
  std::mt19937 rng(5);
  const Brgemm& kr = table_->gemm[0];
  for (int64_t tiles : {1, 3})
    for (int batch : {1, 3})
      for (int64_t kc : {0, 1, 3, 21, 33})
        for (int64_t lda : {int64_t{6}, kc + 5})
          for (Init init : kInits) {
            const int64_t rows = tiles * kr.mr;
            std::vector<std::vector<float>> a;
            std::vector<AlignedBuffer> b;
            std::vector<const float*> ap, bp;
            for (int t = 0; t < batch; ++t) {
              a.push_back(random_floats((rows - 1) * lda + kc, rng));
              b.emplace_back(std::max<int64_t>(1, kc * kr.nr));
              const auto values = random_floats(kc * kr.nr, rng);
              std::copy(values.begin(), values.end(), b.back().data());
            }
            for (int t = 0; t < batch; ++t) ap.push_back(a[t].data()), bp.push_back(b[t].data());
            const auto bias = random_floats(std::max(rows, int64_t{kr.nr}), rng);
            const auto c0 = random_floats(rows * kr.nr, rng);
            std::vector<float> want(c0.size()), mag(c0.size()), c = c0;
            for (int64_t i = 0; i < rows; ++i)
              for (int64_t j = 0; j < kr.nr; ++j) {
                const double start = init == Init::accumulate  ? c0[i * kr.nr + j]
                                     : init == Init::bias_rows ? bias[i]
                                                               : bias[j];
                double sum = start, abs_sum = std::fabs(start);
                for (int t = 0; t < batch; ++t)
                  for (int64_t q = 0; q < kc; ++q) {
                    const double term = double(a[t][i * lda + q]) * b[t].data()[q * kr.nr + j];
                    sum += term;
                    abs_sum += std::fabs(term);
                  }
                want[i * kr.nr + j] = float(sum);
                mag[i * kr.nr + j] = float(abs_sum);
              }
            table_->gemm_strided_a(tiles, kr.mr * lda, kr.mr * kr.nr, batch, ap.data(), lda, kc,
                                   bp.data(), c.data(), kr.nr, init, bias.data());
            EXPECT_TRUE(close(want, c, mag))
                << "tiles=" << tiles << " batch=" << batch << " kc=" << kc << " lda=" << lda
                << " init=" << int(init);
          }
}

// B's rows gathered (gemm_gather_b, column_fold in NCHW): step k reads NR floats at rows[k] +
// offset, any kc, one tile or a strip of three side by side, against a scalar loop; rows shared
// between steps as overlapping taps share an input row.
TEST_P(BrgemmKernel, GatheredRowsOfBMatchScalarLoop) {
  std::mt19937 rng(6);
  const int64_t mr = table_->gemm_gather_b.mr, nr = table_->gemm_gather_b.nr;
  ASSERT_LE(mr * nr, 32 * 64);
  for (int64_t tiles : {1, 3})
    for (int64_t kc : {0, 1, 3, 21, 147})
      for (int64_t offset : {0, 5})
        for (Init init : kInits) {
          const int64_t cols = tiles * nr, len = offset + cols + 3;
          const auto row_data = random_floats(7 * len, rng);
          std::vector<const float*> rows;
          for (int64_t k = 0; k < kc; ++k) rows.push_back(row_data.data() + k % 7 * len + k % 3);
          const auto a = random_floats(std::max<int64_t>(1, kc * mr), rng);
          const auto bias = random_floats(std::max(mr, cols), rng);
          const auto c0 = random_floats(mr * cols, rng);
          std::vector<float> want(c0.size()), mag(c0.size()), c = c0;
          for (int64_t i = 0; i < mr; ++i)
            for (int64_t j = 0; j < cols; ++j) {
              const double start = init == Init::accumulate  ? c0[i * cols + j]
                                   : init == Init::bias_rows ? bias[i]
                                                             : bias[j];
              double sum = start, abs_sum = std::fabs(start);
              for (int64_t k = 0; k < kc; ++k) {
                const double term = double(a[k * mr + i]) * rows[k][offset + j];
                sum += term;
                abs_sum += std::fabs(term);
              }
              want[i * cols + j] = float(sum);
              mag[i * cols + j] = float(abs_sum);
            }
          table_->gemm_gather_b.run(tiles, kc, a.data(), rows.data(), offset, c.data(), cols, init,
                                    bias.data());
          EXPECT_TRUE(close(want, c, mag))
              << "tiles=" << tiles << " kc=" << kc << " offset=" << offset << " init=" << int(init);
        }
}

INSTANTIATE_TEST_SUITE_P(Isas, BrgemmKernel, ::testing::Values("avx512", "avx2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace svertka::test
