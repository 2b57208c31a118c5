#include "column_fold.hpp"

#include <algorithm>
#include <vector>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"
#include "../runtime/topology.hpp"
#include "cost.hpp"
#include "integer.hpp"

namespace svertka {
namespace {

constexpr int64_t kMaxRuns = 64;            // a tile's batch lives on the stack
constexpr int64_t kBandBytes = 128 * 1024;  // a task's padded input rows stay in L2
constexpr int64_t kMaxTile = 32 * 64;       // the largest register block, for a partial tile

// The runs of one filter row: the whole row, S·C steps, when it is not dilated sideways; else
// each tap, C steps.
struct Runs {
  int64_t per_row, kc;
};
Runs runs_of(const ConvParams& p) {
  return p.dilation_w == 1 ? Runs{1, p.kernel_w * p.in_channels} : Runs{p.kernel_w, p.in_channels};
}

// Pixels of a padded input row (input pixel x at x + pad_left): every tile's last pixel reads
// inside it, also past the output's width.
int64_t padded_width(const Problem& pr, int64_t mr) {
  const ConvParams& p = pr.p;
  const int64_t read =
      (round_up(pr.out_w, mr) - 1) * p.stride_w + (p.kernel_w - 1) * p.dilation_w + 1;
  return std::max(p.pad_left + p.in_width, read);
}

// NHWC with whole blocks of output channels: tiles are stored where they belong.
bool output_in_place(const ConvParams& p, int64_t nr) {
  return p.layout == Layout::nhwc && p.out_channels % nr == 0;
}

std::string why_not(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
  if (std::string r = beyond_fast_paths(pr); !r.empty()) return r;
  if (pr.op != Op::conv2d) return "forward convolution only";
  if (p.groups != 1) return "one group only";
  if (p.in_channels >= kInterleave || p.kernel_w == 1) {
    return "input channels fill blocks already or the filter has one column";
  }
  if (p.kernel_h * runs_of(p).per_row > kMaxRuns) return "more than 64 runs of taps";
  return {};
}

// The register block's FMAs with the output's padding to whole tiles and blocks, a step more
// per run (its set-up), at direct's efficiency; the copies of the input rows and, when the
// output is not written in place, of the output.
double estimate(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  const Brgemm& k = ctx.kernels->gemm[0];
  const auto kc = double(runs_of(p).kc);
  const double kernel = cost::macs(pr) * cost::padded(p.out_channels, k.nr) *
                        cost::padded(pr.out_w, k.mr) * (kc + 1) / kc / cost::fma_rate(ctx, k) / 0.9;
  const bool nhwc = p.layout == Layout::nhwc;
  const double rows = double(p.batch * p.in_height * padded_width(pr, k.mr) * p.in_channels);
  const double copy = rows * (nhwc ? cost::kCopy : cost::kCopyScalar);
  const double stores =
      output_in_place(p, k.nr)
          ? 0.0
          : double(pr.dst().size()) * (nhwc ? cost::kCopy : cost::kCopyStrided / 2);
  return kernel + copy + stores;
}

class ColumnFold final : public Algorithm {
 public:
  ColumnFold(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr),
        table_(*ctx.kernels),
        threads_(ctx.threads),
        k_(table_.gemm[0]),
        runs_(runs_of(pr.p)),
        width_(padded_width(pr, k_.mr)) {
    const ConvParams& p = pr.p;
    const int64_t nr = k_.nr, c = p.in_channels, kh = p.kernel_h, kw = p.kernel_w;
    kp_ = round_up(p.out_channels, nr);
    // [K/NR][R][S][C][NR], zeros past the last output channel: run (r, s) of a block starts at
    // (r·S + s)·C·NR, and a filter row's S·C steps follow one another.
    weights_ = AlignedBuffer(kp_ * kh * kw * c);
    for (int64_t k = 0; k < p.out_channels; ++k)
      for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t r = 0; r < kh; ++r)
          for (int64_t s = 0; s < kw; ++s) {
            weights_.data()[((((k / nr) * kh + r) * kw + s) * c + ci) * nr + k % nr] =
                weights[((k * c + ci) * kh + r) * kw + s];
          }
    bias_.assign(kp_, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    out_in_place_ = output_in_place(p, nr);
    // Bands of output rows whose input rows fit kBandBytes, enough of them for every thread.
    const int64_t row_bytes = width_ * c * int64_t{sizeof(float)};
    const int64_t fit = std::max<int64_t>(
        1, (kBandBytes / row_bytes - (kh - 1) * p.dilation_h - 1) / p.stride_h + 1);
    // Strips of whole tiles whose input rows take a quarter of L1.
    const int64_t pixel_bytes = p.kernel_h * p.stride_w * c * int64_t{sizeof(float)};
    strip_ = std::max<int64_t>(1, int64_t(topology().l1d_bytes) / 4 / pixel_bytes / k_.mr) * k_.mr;
    band_ = std::clamp(ceil_div(p.batch * pr.out_h, wanted_tasks(ctx.tuning, threads_)), int64_t{1},
                       std::min(fit, pr.out_h));
  }

  void execute(const float* src, float* dst) const override {
    const int64_t bands = ceil_div(pr_.out_h, band_);
    parallel_for(threads_, pr_.p.batch * bands,
                 [&](int64_t task) { run_band(task / bands, task % bands * band_, src, dst); });
  }

  std::string describe() const override {
    return "column_fold " + std::string(table_.isa) + " " + std::to_string(k_.mr) + "x" +
           std::to_string(k_.nr) + " kc=" + std::to_string(runs_.kc) +
           " threads=" + std::to_string(threads_);
  }

 private:
  // Input row (n, iy) into a padded row: zeros, the row's pixels C floats each, zeros.
  void pad_row(const float* src, int64_t n, int64_t iy, float* to) const {
    const ConvParams& p = pr_.p;
    const int64_t c = p.in_channels, w = p.in_width, left = p.pad_left * c;
    table_.zero_floats(to, left);
    table_.zero_floats(to + left + w * c, (width_ - p.pad_left - w) * c);
    if (p.layout == Layout::nhwc) {
      table_.copy_floats(src + ((n * p.in_height + iy) * w) * c, w * c, to + left);
      return;
    }
    const int64_t plane = p.in_height * w;
    table_.interleave_rows(src + (n * c * p.in_height + iy) * w, plane, c, w, to + left);
  }

  // Output rows [j0, j0 + band_) of image n.
  void run_band(int64_t n, int64_t j0, const float* src, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t j1 = std::min(pr_.out_h, j0 + band_), c = p.in_channels;
    const int64_t mr = k_.mr, nr = k_.nr, k = p.out_channels, row_floats = width_ * c;
    const int64_t iy0 = std::clamp<int64_t>(j0 * p.stride_h - p.pad_top, 0, p.in_height);
    const int64_t iy1 = std::clamp<int64_t>(
        (j1 - 1) * p.stride_h - p.pad_top + (p.kernel_h - 1) * p.dilation_h + 1, iy0, p.in_height);
    const int64_t out_w = pr_.out_w, tiles_w = round_up(out_w, mr);
    // One output row [pixels][Kp] when not written in place; transpose_tile reads whole 8s.
    const int64_t row_out_floats = out_in_place_ ? 0 : round_up(tiles_w, 8) * kp_;
    float* rows = thread_workspace((iy1 - iy0) * row_floats + row_out_floats);
    float* row_out = rows + (iy1 - iy0) * row_floats;
    for (int64_t iy = iy0; iy < iy1; ++iy) pad_row(src, n, iy, rows + (iy - iy0) * row_floats);
    const int64_t lda = p.stride_w * c, block = p.kernel_h * p.kernel_w * c * nr;
    const float* run_at[kMaxRuns];  // at the row's first tile
    int64_t run_weights[kMaxRuns];
    const float* a[kMaxRuns];
    const float* b[kMaxRuns];
    alignas(64) float tile[kMaxTile];
    for (int64_t j = j0; j < j1; ++j) {
      int64_t runs = 0;  // filter rows inside the image, their runs
      for (int64_t r = 0; r < p.kernel_h; ++r) {
        const int64_t iy = j * p.stride_h - p.pad_top + r * p.dilation_h;
        if (iy < 0 || iy >= p.in_height) continue;
        for (int64_t s = 0; s < runs_.per_row; ++s, ++runs) {
          run_at[runs] = rows + (iy - iy0) * row_floats + s * p.dilation_w * c;
          run_weights[runs] = (r * p.kernel_w + s) * c * nr;
        }
      }
      float* out = out_in_place_ ? dst + (n * pr_.out_h + j) * out_w * k : row_out;
      const int64_t ldc = out_in_place_ ? k : kp_;
      // Strips of the row, the blocks of output channels inside: a block's weights (R·S·C·NR
      // floats, 9.4 KB for ResNet's first layer) and the strip's input stay in L1 together across
      // the strip's tiles. With the blocks inside the tile loop every tile read all blocks'
      // 37.6 KB from L2 again (3.9 -> 2.7 ms); with whole rows, 19 KB of input beside them.
      for (int64_t x0 = 0; x0 < tiles_w; x0 += strip_) {
        const int64_t x1 = std::min(tiles_w, x0 + strip_);
        for (int64_t kb = 0; kb < kp_ / nr; ++kb) {
          for (int64_t t = 0; t < runs; ++t) b[t] = weights_.data() + kb * block + run_weights[t];
          for (int64_t ox = x0; ox < x1; ox += mr) {
            for (int64_t t = 0; t < runs; ++t) a[t] = run_at[t] + ox * lda;
            const bool whole = ox + mr <= out_w || !out_in_place_;
            float* to = out + ox * ldc + kb * nr;
            table_.gemm_strided_a(runs, a, lda, runs_.kc, b, whole ? to : tile, whole ? ldc : nr,
                                  Init::bias_cols, bias_.data() + kb * nr);
            for (int64_t i = 0; !whole && ox + i < out_w; ++i) {
              table_.copy_floats(tile + i * nr, nr, to + i * ldc);
            }
          }
        }
      }
      if (!out_in_place_) store_row(row_out, n, j, dst);
    }
  }

  // Output row (n, oy) from [pixels][Kp] into either layout.
  void store_row(const float* from, int64_t n, int64_t oy, float* dst) const {
    const int64_t k = pr_.p.out_channels, out_w = pr_.out_w, plane = pr_.out_h * out_w;
    if (pr_.p.layout == Layout::nchw) {
      table_.transpose_tile(from, kp_, out_w, k, dst + n * k * plane + oy * out_w, plane, 1);
      return;
    }
    float* row = dst + (n * pr_.out_h + oy) * out_w * k;
    for (int64_t ox = 0; ox < out_w; ++ox) table_.copy_floats(from + ox * kp_, k, row + ox * k);
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  const Brgemm& k_;  // gemm[0]'s register block, which gemm_strided_a has
  Runs runs_;
  int64_t width_;                          // pixels of a padded input row
  int64_t kp_ = 0, band_ = 1, strip_ = 1;  // strip_: output pixels, whole tiles
  bool out_in_place_ = false;
  AlignedBuffer weights_;
  std::vector<float> bias_;
};

}  // namespace

constinit const Implementation column_fold_implementation{
    "column_fold", why_not, estimate,
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<ColumnFold>(pr, ctx, w, b);
    }};

}  // namespace svertka
