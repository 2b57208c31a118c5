// The data-movement microkernels of every ISA this CPU runs against scalar loops: interleave_rows
// and copy_rows with and without non-temporal stores, at vector-aligned and unaligned
// destinations, and transpose_tile at every pixel step, over lengths that leave every tail, and
// nothing written but what is asked for.
#include <gtest/gtest.h>

#include <xmmintrin.h>

#include <algorithm>

#include "kernel_tables.hpp"
#include "runtime/aligned_buffer.hpp"
#include "support/against_reference.hpp"

namespace svertka::test {
namespace {

class CopyKernel : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!cpu_runs(GetParam())) GTEST_SKIP() << "this CPU does not run " << GetParam();
    table_ = kernel_table(GetParam() == "avx512" ? Isa::avx512 : Isa::avx2);
  }
  const KernelTable* table_ = nullptr;
};

TEST_P(CopyKernel, InterleaveRowsMatchesScalarLoopStreamedOrNot) {
  std::mt19937 rng(3);
  const int64_t stride = 100, vector = table_->vector_floats;
  const std::vector<float> from = random_floats(3 * stride, rng);
  constexpr float kSentinel = -7.0f;
  for (int64_t rows = 1; rows <= 3; ++rows)
    for (int64_t n : {int64_t{0}, int64_t{1}, vector - 1, vector, 2 * vector + 3, int64_t{97}})
      for (int64_t offset : {int64_t{0}, int64_t{1}, vector})  // floats past a 64-byte boundary
        for (bool stream : {false, true}) {
          AlignedBuffer out(offset + rows * n + 2 * vector);
          std::fill(out.data(), out.data() + out.size(), kSentinel);
          table_->interleave_rows(from.data(), stride, rows, n, out.data() + offset, stream);
          _mm_sfence();
          int64_t wrong = 0;
          for (int64_t i = 0; i < out.size(); ++i) {
            const int64_t at = i - offset, j = at / rows, s = at % rows;
            const float want = at >= 0 && at < rows * n ? from[s * stride + j] : kSentinel;
            wrong += out.data()[i] != want;
          }
          EXPECT_EQ(wrong, 0) << "rows=" << rows << " n=" << n << " offset=" << offset
                              << " stream=" << stream;
        }
}

TEST_P(CopyKernel, CopyRowsMatchesScalarLoopStreamedOrNot) {
  std::mt19937 rng(4);
  const int64_t vector = table_->vector_floats, rows = 3, to_stride = 150;
  const std::vector<float> from = random_floats(rows * 100, rng);
  constexpr float kSentinel = -7.0f;
  for (int64_t len : {int64_t{0}, int64_t{1}, vector - 1, vector, 2 * vector + 3, int64_t{97}})
    for (int64_t offset : {int64_t{0}, int64_t{1}, vector - 1})  // floats past a 64-byte boundary
      for (bool stream : {false, true}) {
        AlignedBuffer out(offset + rows * to_stride);
        std::fill(out.data(), out.data() + out.size(), kSentinel);
        table_->copy_rows(from.data(), 100, rows, len, out.data() + offset, to_stride, stream);
        _mm_sfence();
        int64_t wrong = 0;
        for (int64_t i = 0; i < out.size(); ++i) {
          const int64_t at = i - offset, r = at / to_stride, x = at % to_stride;
          const float want = at >= 0 && x < len ? from[r * 100 + x] : kSentinel;
          wrong += out.data()[i] != want;
        }
        EXPECT_EQ(wrong, 0) << "len=" << len << " offset=" << offset << " stream=" << stream;
      }
}

// A tile of m pixels x cols channels into planes, its pixels `step` apart (a transposed
// convolution's phase: 2 or 4 at stride 2 or 4); the other phases' columns left as they were.
TEST_P(CopyKernel, TransposeTileMatchesScalarLoopAtEveryStep) {
  std::mt19937 rng(5);
  const int64_t ldt = 24, plane = 80;  // the tile is read up to 8 rows and columns past m, cols
  const std::vector<float> t = random_floats(24 * ldt, rng);
  constexpr float kSentinel = -7.0f;
  for (int64_t step = 1; step <= 4; ++step)
    for (int64_t m : {1, 7, 8, 9, 16})
      for (int64_t cols : {1, 7, 8, 13, 16}) {
        std::vector<float> out(16 * plane, kSentinel);
        table_->transpose_tile(t.data(), ldt, m, cols, out.data(), plane, step);
        int64_t wrong = 0;
        for (int64_t i = 0; i < int64_t(out.size()); ++i) {
          const int64_t j = i / plane, x = i % plane;
          const bool written = j < cols && x % step == 0 && x / step < m;
          wrong += out[i] != (written ? t[x / step * ldt + j] : kSentinel);
        }
        EXPECT_EQ(wrong, 0) << "step=" << step << " m=" << m << " cols=" << cols;
      }
}

INSTANTIATE_TEST_SUITE_P(Isas, CopyKernel, ::testing::Values("avx512", "avx2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace svertka::test
