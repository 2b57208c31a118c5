#include "column_fold.hpp"

#include <algorithm>
#include <vector>

#include "../runtime/threads.hpp"
#include "cost.hpp"
#include "direct.hpp"
#include "integer.hpp"

namespace svertka {
namespace {

constexpr int64_t U = kInterleave;
constexpr int64_t kMaxFolded = 48;  // folded channels that have row kernels (24..48)

// The folded problem: channels S·C padded to the interleave, one filter column.
ConvParams folded(const Problem& pr) {
  ConvParams f = pr.p;
  f.in_channels = ceil_div(pr.p.kernel_w * pr.p.in_channels, U) * U;
  f.in_width = pr.out_w;
  f.kernel_w = 1;
  f.stride_w = f.dilation_w = 1;
  f.pad_left = f.pad_right = 0;
  return f;
}

std::string why_not(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
  if (std::string r = beyond_fast_paths(pr); !r.empty()) return r;
  if (pr.op != Op::conv2d) return "forward convolution only";
  if (p.layout != Layout::nhwc) return "NHWC only (a filter row is one run of S·C floats)";
  if (p.groups != 1) return "one group only";
  if (p.in_channels >= U || p.kernel_w == 1) {
    return "input channels fill blocks already or the filter has one column";
  }
  if (ceil_div(p.kernel_w * p.in_channels, U) * U > kMaxFolded) {
    return "more than 48 folded channels (filter_w x in_channels)";
  }
  const Problem f = make_problem(Op::conv2d, folded(pr));
  if (std::string r = direct_implementation.why_not(f, ctx); !r.empty()) return "direct: " + r;
  return {};
}

// Direct on the folded problem, plus writing the folded input (contiguous runs).
double estimate(const Problem& pr, const Context& ctx) {
  const Problem f = make_problem(Op::conv2d, folded(pr));
  return direct_implementation.cost(f, ctx) + double(f.src().size()) * 2 * cost::kCopy;
}

class ColumnFold final : public Algorithm {
 public:
  ColumnFold(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr), table_(*ctx.kernels), threads_(ctx.threads), f_(make_problem(Op::conv2d, folded(pr))) {
    const ConvParams& p = pr.p;
    // Folded weights [K][S·C padded][R][1]: channel s·C + c of row r is tap (r, s) of c.
    const int64_t c2 = f_.p.in_channels;
    std::vector<float> w(p.out_channels * c2 * p.kernel_h, 0.0f);
    for (int64_t k = 0; k < p.out_channels; ++k)
      for (int64_t c = 0; c < p.in_channels; ++c)
        for (int64_t r = 0; r < p.kernel_h; ++r)
          for (int64_t s = 0; s < p.kernel_w; ++s) {
            w[(k * c2 + s * p.in_channels + c) * p.kernel_h + r] =
                weights[((k * p.in_channels + c) * p.kernel_h + r) * p.kernel_w + s];
          }
    direct_ = direct_implementation.create(f_, ctx, w.data(), bias);
  }

  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    float* f = thread_workspace(f_.src().size(), Workspace::transformed);
    parallel_for(threads_, p.batch * p.in_height, [&](int64_t row) { fold_row(src, row, f); });
    direct_->execute(f, dst);
  }

  std::string describe() const override {
    return "column_fold " + std::string(table_.isa) + " " + std::to_string(pr_.p.kernel_w) +
           "x" + std::to_string(pr_.p.in_channels) + "->" + std::to_string(f_.p.in_channels) +
           " channels: " + direct_->describe();
  }

 private:
  // Input row (n, y) into folded pixels: [out_w][S·C padded], the part of each window that
  // lies inside the image copied as one run, zeros around it.
  void fold_row(const float* src, int64_t row, float* f) const {
    const ConvParams& p = pr_.p;
    const int64_t c = p.in_channels, c2 = f_.p.in_channels, w = p.in_width;
    const float* in = src + row * w * c;
    float* out = f + row * pr_.out_w * c2;
    for (int64_t ox = 0; ox < pr_.out_w; ++ox, out += c2) {
      const int64_t ix0 = ox * p.stride_w - p.pad_left;
      if (p.dilation_w == 1) {
        const int64_t s_lo = std::clamp<int64_t>(-ix0, 0, p.kernel_w);
        const int64_t s_hi = std::clamp<int64_t>(w - ix0, s_lo, p.kernel_w);
        std::fill(out, out + s_lo * c, 0.0f);
        table_.copy_floats(in + (ix0 + s_lo) * c, (s_hi - s_lo) * c, out + s_lo * c);
        std::fill(out + s_hi * c, out + c2, 0.0f);
        continue;
      }
      std::fill(out + p.kernel_w * c, out + c2, 0.0f);
      for (int64_t s = 0; s < p.kernel_w; ++s) {
        const int64_t ix = ix0 + s * p.dilation_w;
        for (int64_t j = 0; j < c; ++j) out[s * c + j] = ix >= 0 && ix < w ? in[ix * c + j] : 0.0f;
      }
    }
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  Problem f_;
  std::unique_ptr<Algorithm> direct_;
};

}  // namespace

constinit const Implementation column_fold_implementation{
    "column_fold", why_not, estimate,
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<ColumnFold>(pr, ctx, w, b);
    }};

}  // namespace svertka
