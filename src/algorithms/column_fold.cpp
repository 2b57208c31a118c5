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

constexpr int64_t kMaxRuns = 64;            // NHWC: a tile's batch lives on the stack
constexpr int64_t kMaxSteps = 512;          // NCHW: a row's B row pointers live on the stack
constexpr int64_t kBandBytes = 128 * 1024;  // a task's padded input rows stay in L2
constexpr int64_t kMaxTile = 32 * 64;       // the largest register block, for a partial tile

// NHWC: the runs of one filter row: the whole row, S·C steps, when it is not dilated sideways;
// else each tap, C steps.
struct Runs {
  int64_t per_row, kc;
};
Runs runs_of(const ConvParams& p) {
  return p.dilation_w == 1 ? Runs{1, p.kernel_w * p.in_channels} : Runs{p.kernel_w, p.in_channels};
}

// The register block: NHWC pixels x output channels (gemm[0]'s), NCHW output channels x
// pixels (gemm_gather_b's).
struct Block {
  int64_t mr, nr;
};
Block block_of(const KernelTable& t, Layout layout) {
  return layout == Layout::nhwc ? Block{t.gemm[0].mr, t.gemm[0].nr}
                                : Block{t.gemm_gather_b.mr, t.gemm_gather_b.nr};
}

// NCHW: the reduction steps, one per tap and channel.
int64_t taps_of(const ConvParams& p) {
  return p.kernel_h * p.kernel_w * p.in_channels;
}

// Pixels of a padded input row (input pixel x at x + pad_left) when the output's width goes in
// tiles of `tile` pixels: every tile's last pixel reads inside it.
int64_t padded_width(const Problem& pr, int64_t tile) {
  const ConvParams& p = pr.p;
  const int64_t read =
      (round_up(pr.out_w, tile) - 1) * p.stride_w + (p.kernel_w - 1) * p.dilation_w + 1;
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
  if (p.layout == Layout::nhwc && p.kernel_h * runs_of(p).per_row > kMaxRuns) {
    return "more than 64 runs of taps";
  }
  if (p.layout == Layout::nchw && taps_of(p) > kMaxSteps) {
    return "more than 512 taps";
  }
  return {};
}

// The register block's FMAs with the output's padding to whole tiles, a step more per run
// (NHWC: its set-up) or per tile (NCHW), at direct's efficiency; the copies of the input rows
// and, when NHWC output is not written in place, of the output.
double estimate(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  const bool nhwc = p.layout == Layout::nhwc;
  const auto [mr, nr] = block_of(*ctx.kernels, p.layout);
  const auto kc = double(nhwc ? runs_of(p).kc : taps_of(p));
  const double kernel = cost::macs(pr) * cost::padded(nhwc ? pr.out_w : p.out_channels, mr) *
                        cost::padded(nhwc ? p.out_channels : pr.out_w, nr) * (kc + 1) / kc /
                        cost::fma_rate(ctx, int(mr), int(nr)) / 0.9;
  const double rows =
      double(p.batch * p.in_height * padded_width(pr, nhwc ? mr : nr) * p.in_channels);
  const double copy = rows * (nhwc || p.stride_w <= 2 ? cost::kCopy : cost::kCopyScalar);
  const double stores =
      nhwc && !output_in_place(p, nr) ? double(pr.dst().size()) * cost::kCopy : 0.0;
  return kernel + copy + stores;
}

class ColumnFold final : public Algorithm {
 public:
  ColumnFold(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr),
        table_(*ctx.kernels),
        threads_(ctx.threads),
        nhwc_(pr.p.layout == Layout::nhwc),
        block_(block_of(table_, pr.p.layout)),
        runs_(runs_of(pr.p)),
        width_(padded_width(pr, nhwc_ ? block_.mr : block_.nr)) {
    const ConvParams& p = pr.p;
    const int64_t c = p.in_channels, kh = p.kernel_h, kw = p.kernel_w;
    // NHWC: blocks of NR output channels [K/NR][R][S][C][NR]: run (r, s) of a block starts at
    // (r·S + s)·C·NR, and a filter row's S·C steps follow one another. NCHW: tiles of MR output
    // channels [K/MR][R][C][S][MR], the steps of the filter rows inside the image contiguous.
    const int64_t block = nhwc_ ? block_.nr : block_.mr;  // output channels a tile
    kp_ = round_up(p.out_channels, block);
    weights_ = AlignedBuffer(kp_ * kh * kw * c);
    for (int64_t k = 0; k < p.out_channels; ++k)
      for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t r = 0; r < kh; ++r)
          for (int64_t s = 0; s < kw; ++s) {
            const int64_t step = nhwc_ ? (r * kw + s) * c + ci : (r * c + ci) * kw + s;
            weights_.data()[((k / block) * kh * kw * c + step) * block + k % block] =
                weights[((k * c + ci) * kh + r) * kw + s];
          }
    bias_.assign(kp_, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    out_in_place_ = output_in_place(p, block_.nr);
    // NCHW rows [C][stride phase][phase_len]: padded column x at phase x mod stride, x / stride.
    phase_len_ = ceil_div(width_, p.stride_w);
    row_floats_ = nhwc_ ? width_ * c : c * p.stride_w * phase_len_;
    // Bands of output rows whose input rows fit kBandBytes, enough of them for every thread.
    const int64_t row_bytes = row_floats_ * int64_t{sizeof(float)};
    const int64_t fit = std::max<int64_t>(
        1, (kBandBytes / row_bytes - (kh - 1) * p.dilation_h - 1) / p.stride_h + 1);
    // NHWC: strips of whole tiles whose input rows take a quarter of L1.
    const int64_t pixel_bytes = p.kernel_h * p.stride_w * c * int64_t{sizeof(float)};
    const int64_t mr = block_.mr;
    strip_ = std::max<int64_t>(1, int64_t(topology().l1d_bytes) / 4 / pixel_bytes / mr) * mr;
    band_ = std::clamp(ceil_div(p.batch * pr.out_h, wanted_tasks(ctx.tuning, threads_)), int64_t{1},
                       std::min(fit, pr.out_h));
  }

  void execute(const float* src, float* dst) const override {
    const int64_t bands = ceil_div(pr_.out_h, band_);
    parallel_for(threads_, pr_.p.batch * bands,
                 [&](int64_t task) { run_band(task / bands, task % bands * band_, src, dst); });
  }

  std::string describe() const override {
    const std::string steps =
        nhwc_ ? " kc=" + std::to_string(runs_.kc) : " taps=" + std::to_string(taps_of(pr_.p));
    return "column_fold " + std::string(table_.isa) + " " + std::to_string(block_.mr) + "x" +
           std::to_string(block_.nr) + steps + " threads=" + std::to_string(threads_);
  }

 private:
  // Input row (n, iy) into a padded row: NHWC zeros, the row's pixels C floats each, zeros;
  // NCHW each channel's padded columns split into stride phases.
  void pad_row(const float* src, int64_t n, int64_t iy, float* to) const {
    const ConvParams& p = pr_.p;
    const int64_t c = p.in_channels, w = p.in_width, pl = p.pad_left, sw = p.stride_w;
    if (nhwc_) {
      table_.zero_floats(to, pl * c);
      table_.zero_floats(to + (pl + w) * c, (width_ - pl - w) * c);
      table_.copy_floats(src + ((n * p.in_height + iy) * w) * c, w * c, to + pl * c);
      return;
    }
    const int64_t plane = p.in_height * w;
    const float* in = src + (n * c * p.in_height + iy) * w;
    table_.zero_floats(to, row_floats_);
    if (sw == 1) return table_.copy_rows(in, plane, c, w, to + pl, phase_len_, false);
    if (sw == 2) {  // even input columns to padded phase pl mod 2, odd ones to the other
      table_.split_columns(in, plane, c, w, to + (pl % 2) * phase_len_ + pl / 2,
                           to + (1 - pl % 2) * phase_len_ + (pl + 1) / 2, 2 * phase_len_);
      return;
    }
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t x = pl; x < pl + w; ++x) {
        to[(ci * sw + x % sw) * phase_len_ + x / sw] = in[ci * plane + x - pl];
      }
  }

  // Output rows [j0, j0 + band_) of image n.
  void run_band(int64_t n, int64_t j0, const float* src, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t j1 = std::min(pr_.out_h, j0 + band_);
    const int64_t iy0 = std::clamp<int64_t>(j0 * p.stride_h - p.pad_top, 0, p.in_height);
    const int64_t iy1 = std::clamp<int64_t>(
        (j1 - 1) * p.stride_h - p.pad_top + (p.kernel_h - 1) * p.dilation_h + 1, iy0, p.in_height);
    // NHWC output not written in place goes through one row [pixels][Kp].
    const int64_t row_out_floats =
        nhwc_ && !out_in_place_ ? round_up(pr_.out_w, block_.mr) * kp_ : 0;
    float* rows = thread_workspace((iy1 - iy0) * row_floats_ + row_out_floats);
    for (int64_t iy = iy0; iy < iy1; ++iy) pad_row(src, n, iy, rows + (iy - iy0) * row_floats_);
    for (int64_t j = j0; j < j1; ++j) {
      if (nhwc_) {
        nhwc_row(n, j, rows, iy0, rows + (iy1 - iy0) * row_floats_, dst);
      } else {
        nchw_row(n, j, rows, iy0, dst);
      }
    }
  }

  // NHWC output row j from the padded input rows from iy0: tiles of MR pixels x NR output
  // channels, A rows read in place.
  void nhwc_row(int64_t n, int64_t j, const float* rows, int64_t iy0, float* row_out,
                float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t c = p.in_channels, mr = block_.mr, nr = block_.nr, k = p.out_channels;
    const int64_t out_w = pr_.out_w, tiles_w = round_up(out_w, mr);
    const int64_t lda = p.stride_w * c, block = p.kernel_h * p.kernel_w * c * nr;
    const float* run_at[kMaxRuns];  // at the row's first tile
    int64_t run_weights[kMaxRuns];
    const float* a[kMaxRuns];
    const float* b[kMaxRuns];
    alignas(64) float tile[kMaxTile];
    int64_t runs = 0;  // filter rows inside the image, their runs
    for (int64_t r = 0; r < p.kernel_h; ++r) {
      const int64_t iy = j * p.stride_h - p.pad_top + r * p.dilation_h;
      if (iy < 0 || iy >= p.in_height) continue;
      for (int64_t s = 0; s < runs_.per_row; ++s, ++runs) {
        run_at[runs] = rows + (iy - iy0) * row_floats_ + s * p.dilation_w * c;
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
        // The strip's whole tiles in one call; the row's last tile, partly past its end,
        // through a scratch tile.
        for (int64_t t = 0; t < runs; ++t) a[t] = run_at[t] + x0 * lda;
        const int64_t end = out_in_place_ ? std::min(x1, out_w) : x1;
        const int64_t whole = std::max<int64_t>(0, end - x0) / mr;
        table_.gemm_strided_a(whole, mr * lda, mr * ldc, runs, a, lda, runs_.kc, b,
                              out + x0 * ldc + kb * nr, ldc, Init::bias_cols,
                              bias_.data() + kb * nr);
        const int64_t ox = x0 + whole * mr;
        if (ox < x1) {
          for (int64_t t = 0; t < runs; ++t) a[t] = run_at[t] + ox * lda;
          table_.gemm_strided_a(1, 0, 0, runs, a, lda, runs_.kc, b, tile, nr, Init::bias_cols,
                                bias_.data() + kb * nr);
          float* to = out + ox * ldc + kb * nr;
          for (int64_t i = 0; ox + i < out_w; ++i)
            table_.copy_floats(tile + i * nr, nr, to + i * ldc);
        }
      }
    }
    if (out_in_place_) return;
    float* to = dst + (n * pr_.out_h + j) * out_w * k;
    for (int64_t ox = 0; ox < out_w; ++ox) table_.copy_floats(out + ox * kp_, k, to + ox * k);
  }

  // NCHW output row j from the padded input rows from iy0: tiles of MR output channels x NR
  // pixels, stored in the output planes; B row k is the stride phase of the input row and
  // channel that tap k reads.
  void nchw_row(int64_t n, int64_t j, const float* rows, int64_t iy0, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t c = p.in_channels, kw = p.kernel_w, sw = p.stride_w;
    const int64_t mr = block_.mr, nr = block_.nr;
    const int64_t k = p.out_channels, out_w = pr_.out_w, plane = pr_.out_h * out_w;
    const float* b_rows[kMaxSteps];
    alignas(64) float tile[kMaxTile];
    int64_t steps = 0, r0 = -1;  // the filter rows inside the image, from r0, are contiguous
    for (int64_t r = 0; r < p.kernel_h; ++r) {
      const int64_t iy = j * p.stride_h - p.pad_top + r * p.dilation_h;
      if (iy < 0 || iy >= p.in_height) continue;
      if (r0 < 0) r0 = r;
      for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t s = 0; s < kw; ++s) {
          const int64_t x = s * p.dilation_w;
          b_rows[steps++] =
              rows + (iy - iy0) * row_floats_ + (ci * sw + x % sw) * phase_len_ + x / sw;
        }
    }
    const int64_t block = p.kernel_h * kw * c * mr;
    for (int64_t kt = 0; kt < kp_ / mr; ++kt) {
      const float* a = weights_.data() + kt * block + std::max<int64_t>(r0, 0) * c * kw * mr;
      const int64_t m = std::min(mr, k - kt * mr);
      float* to = dst + (n * k + kt * mr) * plane + j * out_w;
      // The whole tiles in one strip; the rest (a last partial block of output channels, the
      // row's last pixels) through a scratch tile.
      const int64_t whole = m == mr ? out_w / nr : 0;
      table_.gemm_gather_b.run(whole, steps, a, b_rows, 0, to, plane, Init::bias_rows,
                               bias_.data() + kt * mr);
      for (int64_t ox = whole * nr; ox < out_w; ox += nr) {
        table_.gemm_gather_b.run(1, steps, a, b_rows, ox, tile, nr, Init::bias_rows,
                                 bias_.data() + kt * mr);
        for (int64_t i = 0; i < m; ++i) {
          std::copy_n(tile + i * nr, std::min(nr, out_w - ox), to + ox + i * plane);
        }
      }
    }
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  bool nhwc_;
  Block block_;
  Runs runs_;
  int64_t width_;                          // pixels of a padded input row
  int64_t kp_ = 0, band_ = 1, strip_ = 1;  // strip_: NHWC output pixels, whole tiles
  int64_t phase_len_ = 0, row_floats_ = 0;
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
