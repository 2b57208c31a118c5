#include "gemm_col2im.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"
#include "cost.hpp"
#include "integer.hpp"
#include "gemm_driver.hpp"

namespace svertka {
namespace {

constexpr int64_t U = kInterleave;

// One input row's GEMM: its pixels by the column block's R·S·K/G columns.
const Brgemm& choose_kernel(const Problem& pr, const Context& ctx) {
  return cost::gemm_for(ctx, pr.p.in_width, pr.p.kernel_h * pr.p.kernel_w * pr.out_per_group());
}

// Input rows [iy0, iy1) that reach output rows [oy0, oy1) (iy·sh - pad_top + r·dh in them for
// some r; the first may not, rounded down).
std::pair<int64_t, int64_t> input_rows(const Problem& pr, int64_t oy0, int64_t oy1) {
  const ConvParams& p = pr.p;
  const int64_t span = (p.kernel_h - 1) * p.dilation_h;
  return {std::max<int64_t>(0, oy0 + p.pad_top - span) / p.stride_h,
          std::min(p.in_height, (oy1 - 1 + p.pad_top) / p.stride_h + 1)};
}

// Input rows multiplied over all bands, relative to the input's rows.
double recomputed(const Problem& pr, int64_t band) {
  int64_t rows = 0;
  for (int64_t oy0 = 0; oy0 < pr.out_h; oy0 += band) {
    const auto [iy0, iy1] = input_rows(pr, oy0, std::min(pr.out_h, oy0 + band));
    rows += std::max<int64_t>(0, iy1 - iy0);
  }
  return double(std::max<int64_t>(rows, 1)) / double(pr.p.in_height);
}

// Output rows per task. An input row whose outputs fall into two bands is multiplied in both
// (DCGAN's last layer in bands of 4 rows: twice), so more tasks are not free: the band whose
// tasks give the threads the fewest input rows each, at most the tasks wanted, the smaller
// band on ties (more tasks balance better).
int64_t band_rows(const Problem& pr, const Context& ctx) {
  const int64_t images = pr.p.batch * pr.p.groups, want = wanted_tasks(ctx.tuning, ctx.threads);
  int64_t best = pr.out_h;
  double least = 0;
  for (int64_t band = pr.out_h; band >= 1; --band) {
    const int64_t tasks = images * ceil_div(pr.out_h, band);
    if (tasks > std::max(want, images)) break;
    const double per_thread =
        double(ceil_div(tasks, ctx.threads)) / double(tasks) * recomputed(pr, band);
    if (band == pr.out_h || per_thread <= least) best = band, least = per_thread;
  }
  return best;
}

class GemmCol2im final : public Algorithm {
 public:
  GemmCol2im(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr), table_(*ctx.kernels), threads_(ctx.threads), kernel_(choose_kernel(pr, ctx)) {
    const ConvParams& p = pr.p;
    cg_ = pr.in_per_group();
    kg_ = pr.out_per_group();
    cgp_ = ceil_div(cg_, U) * U;
    taps_ = p.kernel_h * p.kernel_w;
    cols_ = taps_ * kg_;
    // B: [G][ceil(cols/NR)][Cgp][NR], column t·Kg + k holds weights[g·Cg + c][k][t].
    const int64_t nr = kernel_.nr, panels = ceil_div(cols_, nr);
    weights_ = AlignedBuffer(p.groups * panels * cgp_ * nr);
    for (int64_t g = 0; g < p.groups; ++g)
      for (int64_t c = 0; c < cg_; ++c)
        for (int64_t k = 0; k < kg_; ++k)
          for (int64_t t = 0; t < taps_; ++t) {
            const int64_t j = t * kg_ + k;
            weights_.data()[((g * panels + j / nr) * cgp_ + c) * nr + j % nr] =
                weights[((g * cg_ + c) * kg_ + k) * taps_ + t];
          }
    zeros_.assign(ceil_div(p.in_width, kernel_.mr) * kernel_.mr, 0.0f);
    bias_.assign(p.out_channels, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    band_ = band_rows(pr, ctx);
    bands_ = ceil_div(pr.out_h, band_);
  }

  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    parallel_for(threads_, p.batch * p.groups * bands_, [&](int64_t task) {
      run(task / bands_ / p.groups, task / bands_ % p.groups, task % bands_, src, dst);
    });
  }

  std::string describe() const override {
    return "gemm_col2im " + std::string(table_.isa) + " " + std::to_string(kernel_.mr) + "x" +
           std::to_string(kernel_.nr) + " threads=" + std::to_string(threads_);
  }

 private:
  // Output rows [band·b, +band) of image n, group g: bias, then every input row that reaches
  // them, in order (deterministic), its column block computed once here.
  void run(int64_t n, int64_t g, int64_t b, const float* src, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t oy0 = b * band_, oy1 = std::min(pr_.out_h, oy0 + band_);
    const int64_t mr = kernel_.mr, nr = kernel_.nr, w = p.in_width;
    const int64_t panel = cgp_ * mr, a_floats = ceil_div(w, mr) * panel;
    float* a = thread_workspace(a_floats + w * cols_);
    float* col = a + a_floats;
    const bool nhwc = p.layout == Layout::nhwc;
    // Output pixel (oy, ox), channel k of the group: at + oy·row + ox·pixel + k·channel.
    const int64_t plane = pr_.out_h * pr_.out_w;
    float* at = dst + (nhwc ? n * plane * p.out_channels + g * kg_
                            : (n * p.out_channels + g * kg_) * plane);
    const int64_t pixel = nhwc ? p.out_channels : 1, channel = nhwc ? 1 : plane;
    const int64_t row = pr_.out_w * pixel;
    for (int64_t oy = oy0; oy < oy1; ++oy)
      for (int64_t k = 0; k < kg_; ++k) {
        float* to = at + oy * row + k * channel;
        for (int64_t ox = 0; ox < pr_.out_w; ++ox) to[ox * pixel] = bias_[g * kg_ + k];
      }
    const auto [iy0, iy1] = input_rows(pr_, oy0, oy1);
    for (int64_t iy = iy0; iy < iy1; ++iy) {
      pack_row(src, n, g, iy, a);
      gemm_block(kernel_, w, cols_, cgp_, a, panel, weights_.data() + g * ceil_div(cols_, nr) * cgp_ * nr,
                 cgp_ * nr, col, cols_, Init::bias_rows, zeros_.data());
      for (int64_t r = 0; r < p.kernel_h; ++r) {
        const int64_t oy = iy * p.stride_h - p.pad_top + r * p.dilation_h;
        if (oy < oy0 || oy >= oy1) continue;
        for (int64_t s = 0; s < p.kernel_w; ++s) {
          // Input columns [ix0, ix1) land inside the row, at ox = ix·sw - pad_left + s·dw.
          const int64_t offset = s * p.dilation_w - p.pad_left;
          const int64_t ix0 = std::min(w, ceil_div(std::max<int64_t>(0, -offset), p.stride_w));
          const int64_t ix1 = std::clamp(floor_div(pr_.out_w - 1 - offset, p.stride_w) + 1, ix0, w);
          const float* from = col + ix0 * cols_ + (r * p.kernel_w + s) * kg_;
          float* to = at + oy * row + (ix0 * p.stride_w + offset) * pixel;
          const int64_t step = p.stride_w * pixel;
          if (nhwc && kg_ >= table_.vector_floats) {  // whole vectors: worth a call per pixel
            for (int64_t ix = ix0; ix < ix1; ++ix, from += cols_, to += step)
              table_.add_floats(from, kg_, to);
            continue;
          }
          for (int64_t k = 0; k < kg_; ++k)
            for (int64_t i = 0; i < ix1 - ix0; ++i)
              to[i * step + k * channel] += from[i * cols_ + k];
        }
      }
    }
  }

  // Input row iy of image n, group g, as k-interleaved A micro-panels [W/MR][Cgp/U][MR][U].
  void pack_row(const float* src, int64_t n, int64_t g, int64_t iy, float* a) const {
    const ConvParams& p = pr_.p;
    const int64_t mr = kernel_.mr, w = p.in_width, plane = p.in_height * w;
    table_.zero_floats(a, ceil_div(w, mr) * cgp_ * mr);
    // Pixel ix0 + i, channel c at a[ix0 / mr][c / U][i][c % U], read along the user's rows (an
    // NCHW row's channels lie a plane apart: often one cache set).
    const int64_t tile = cgp_ * mr;
    for (int64_t ix0 = 0; ix0 < w; ix0 += mr) {
      float* panel = a + ix0 / mr * tile;
      const int64_t m = std::min(mr, w - ix0);
      if (p.layout == Layout::nhwc) {
        for (int64_t i = 0; i < m; ++i) {
          const float* from =
              src + ((n * p.in_height + iy) * w + ix0 + i) * p.in_channels + g * cg_;
          table_.copy_chunks(from, U, cg_ / U, panel + i * U, mr * U);
          for (int64_t c = cg_ / U * U; c < cg_; ++c) panel[(c / U * mr + i) * U + c % U] = from[c];
        }
        continue;
      }
      for (int64_t c = 0; c < cg_; ++c) {
        const float* from = src + (n * p.in_channels + g * cg_ + c) * plane + iy * w + ix0;
        float* to = panel + c / U * mr * U + c % U;
        for (int64_t i = 0; i < m; ++i) to[i * U] = from[i];
      }
    }
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  const Brgemm& kernel_;
  int64_t cg_ = 0, kg_ = 0, cgp_ = 0, taps_ = 0, cols_ = 0, band_ = 1, bands_ = 1;
  AlignedBuffer weights_;
  std::vector<float> bias_;
  std::vector<float> zeros_;  // the column block's "bias": a row's worth of zeros
};

}  // namespace

constinit const Implementation gemm_col2im_implementation{
    "gemm_col2im",
    [](const Problem& pr, const Context& ctx) -> std::string {
      if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
      if (std::string r = beyond_fast_paths(pr); !r.empty()) return r;
      if (pr.op != Op::conv_transpose2d) return "conv_transpose2d only";
      return {};
    },
    // The GEMM over useful work with the register block's padding and the input rows that
    // neighbouring bands both multiply, plus writing and adding the column block (R·S·K/G per
    // input pixel; NCHW adds one element at a time) and packing the input.
    [](const Problem& pr, const Context& ctx) {
      const ConvParams& p = pr.p;
      const int64_t cols = p.kernel_h * p.kernel_w * pr.out_per_group();
      const double kernel = cost::macs(pr) *
                            cost::tile_time(ctx, choose_kernel(pr, ctx), p.in_width, cols) *
                            cost::padded(pr.in_per_group(), kInterleave) / 0.85 *
                            recomputed(pr, band_rows(pr, ctx));
      const double column = double(p.batch * p.groups * cols) * double(p.in_height * p.in_width);
      const double per_column = p.layout == Layout::nhwc ? 3 * cost::kCopy : 3 * cost::kCopyStrided;
      return kernel + column * per_column + double(pr.src().size()) * cost::kCopyStrided;
    },
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<GemmCol2im>(pr, ctx, w, b);
    }};

}  // namespace svertka
