#include "depthwise.hpp"

#include <algorithm>
#include <vector>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"
#include "../runtime/topology.hpp"
#include "cost.hpp"

namespace svertka {
namespace {

constexpr int64_t kMaxRows = 64;               // filter rows (the row pointers live on the stack)
constexpr int64_t kBandBytes = 256 * 1024;     // the gathered input of one band stays in L2

int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -ceil_div(-a, b); }

class DepthwiseConv final : public Algorithm {
 public:
  DepthwiseConv(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr), table_(*ctx.kernels), threads_(ctx.threads), kernel_(ctx.kernels->depthwise) {
    const ConvParams& p = pr.p;
    const int64_t width = kernel_.width;
    multiplier_ = pr.out_per_group();
    kp_ = ceil_div(p.out_channels, width) * width;
    taps_ = p.kernel_h * p.kernel_w;
    out_in_place_ = p.layout == Layout::nhwc && kp_ == p.out_channels;
    in_place_ = out_in_place_ && multiplier_ == 1;
    // [Kp/width][R·S][width], zero-padded channels.
    weights_ = AlignedBuffer(kp_ * taps_);
    for (int64_t k = 0; k < p.out_channels; ++k)
      for (int64_t t = 0; t < taps_; ++t) {
        weights_.data()[(k / width * taps_ + t) * width + k % width] = weights[k * taps_ + t];
      }
    weights_plane_.assign(weights, weights + p.out_channels * taps_);
    bias_.assign(kp_, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    interior_begin_ = std::min(ceil_div(p.pad_left, p.stride_w), pr.out_w);
    interior_end_ = std::clamp(
        floor_div(p.in_width - 1 + p.pad_left - (p.kernel_w - 1) * p.dilation_w, p.stride_w) + 1,
        interior_begin_, pr.out_w);
    // Bands of output rows: small enough for the gathered rows to stay in L2, many enough
    // for every thread.
    const int64_t row_bytes = p.in_width * kp_ * int64_t{sizeof(float)};  // gathered
    const int64_t fit = in_place_ ? pr.out_h
                                  : std::max<int64_t>(1, (kBandBytes / row_bytes - p.kernel_h) / p.stride_h);
    const int64_t want = threads_ > 1 ? 8 * int64_t{threads_} : 1;
    rows_per_task_ = std::clamp(ceil_div(p.batch * pr.out_h, want), int64_t{1}, std::min(fit, pr.out_h));
    row_blocks_ = ceil_div(pr.out_h, rows_per_task_);
    // Strips of whole tiles, as wide as lets kernel_h input rows of the strip stay in L1; the
    // last takes the rest.
    const int64_t mr = kernel_.mr;
    const int64_t pixel_bytes = p.kernel_h * kp_ * p.stride_w * int64_t{sizeof(float)};
    const int64_t step = std::max<int64_t>(1, topology().l1d_bytes / 2 / pixel_bytes / mr) * mr;
    int64_t begin = 0;
    for (int64_t cut = step; cut + mr <= pr.out_w; cut += step) {
      strips_.emplace_back(begin, cut);
      begin = cut;
    }
    strips_.emplace_back(begin, pr.out_w);
  }

  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    if (p.layout == Layout::nchw) {
      parallel_for(threads_, p.batch * p.out_channels,
                   [&](int64_t plane) { run_plane(plane, src, dst); });
      return;
    }
    parallel_for(threads_, p.batch * row_blocks_, [&](int64_t task) { run_task(task, src, dst); });
  }

  std::string describe() const override {
    return "depthwise " + std::string(table_.isa) + " " + std::to_string(kernel_.mr) + "x" +
           std::to_string(kernel_.width) + " threads=" + std::to_string(threads_);
  }

 private:
  // Input rows [iy0, iy1) of image n into band [rows][W][Kp], NHWC with padded channels:
  // channel k holds input channel k/m, zero past the last channel.
  void gather(const float* src, int64_t n, int64_t iy0, int64_t iy1, float* band) const {
    const ConvParams& p = pr_.p;
    const int64_t w = p.in_width, plane = p.in_height * w;
    for (int64_t iy = iy0; iy < iy1; ++iy) {
      float* row = band + (iy - iy0) * w * kp_;
      for (int64_t k = 0; k < kp_; ++k) {
        const int64_t c = k / multiplier_;
        float* to = row + k;
        if (k >= p.out_channels) {
          for (int64_t ix = 0; ix < w; ++ix) to[ix * kp_] = 0.0f;
        } else if (p.layout == Layout::nhwc) {
          const float* from = src + (n * plane + iy * w) * p.in_channels + c;
          for (int64_t ix = 0; ix < w; ++ix) to[ix * kp_] = from[ix * p.in_channels];
        } else {
          const float* from = src + (n * p.in_channels + c) * plane + iy * w;
          for (int64_t ix = 0; ix < w; ++ix) to[ix * kp_] = from[ix];
        }
      }
    }
  }

  // NCHW: output plane (n, k) from input plane (n, k/m), vectorised along rows. The input
  // plane's rows are zero-padded and split into stride phases once, in the task workspace.
  void run_plane(int64_t plane, const float* src, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t n = plane / p.out_channels, k = plane % p.out_channels;
    const int64_t sw = p.stride_w;
    const int64_t phase_len = ceil_div(pr_.out_w, kPlaneSlack) * kPlaneSlack +
                              (p.kernel_w - 1) * p.dilation_w / sw + 1;
    const int64_t row_len = sw * phase_len;
    float* rows = thread_workspace(p.in_height * row_len);
    const float* in = src + (n * p.in_channels + k / multiplier_) * p.in_height * p.in_width;
    for (int64_t iy = 0; iy < p.in_height; ++iy) {
      float* row = rows + iy * row_len;
      table_.zero_floats(row, row_len);
      const float* from = in + iy * p.in_width;
      const int64_t count = std::min(p.in_width, row_len - p.pad_left);  // columns read at all
      if (sw == 1) {
        table_.copy_floats(from, count, row + p.pad_left);
      } else {  // padded column j = ix + pad_left goes to phase j mod sw, index j / sw
        for (int64_t q = 0; q < sw; ++q) {
          const int64_t first = ((q - p.pad_left) % sw + sw) % sw;  // first ix of phase q
          float* phase = row + q * phase_len + (first + p.pad_left) / sw;
          for (int64_t ix = first; ix < count; ix += sw) *phase++ = from[ix];
        }
      }
    }
    const float* row_ptrs[kMaxRows];
    DepthwisePlaneRow d{row_ptrs, weights_plane_.data() + k * taps_, bias_[k], nullptr,
                        pr_.out_w, phase_len, p.kernel_h, p.kernel_w, sw, p.dilation_w};
    for (int64_t oy = 0; oy < pr_.out_h; ++oy) {
      for (int64_t r = 0; r < p.kernel_h; ++r) {
        const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
        row_ptrs[r] = iy < 0 || iy >= p.in_height ? nullptr : rows + iy * row_len;
      }
      d.out = dst + ((n * p.out_channels + k) * pr_.out_h + oy) * pr_.out_w;
      kernel_.run_plane(d);
    }
  }

  void run_task(int64_t task, const float* src, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t n = task / row_blocks_, rb = task % row_blocks_;
    const int64_t oy0 = rb * rows_per_task_, oy1 = std::min(pr_.out_h, oy0 + rows_per_task_);
    const int64_t iy0 = std::clamp<int64_t>(oy0 * p.stride_h - p.pad_top, 0, p.in_height);
    const int64_t iy1 = std::clamp<int64_t>(
        (oy1 - 1) * p.stride_h - p.pad_top + (p.kernel_h - 1) * p.dilation_h + 1, iy0,
        p.in_height);
    const int64_t band_floats = in_place_ ? 0 : (iy1 - iy0) * p.in_width * kp_;
    const int64_t out_floats = out_in_place_ ? 0 : pr_.out_w * kp_;
    float* band = thread_workspace(band_floats + out_floats);
    float* row_out = band + band_floats;  // one output row, when not stored in place
    if (!in_place_) gather(src, n, iy0, iy1, band);
    const int64_t in_stride = in_place_ ? p.in_channels : kp_;
    const float* rows[kMaxRows];
    DepthwiseRow d{rows, weights_.data(), bias_.data(), nullptr, kp_ / kernel_.width,
                   kernel_.width, 0,
                   pr_.out_w, interior_begin_, interior_end_, in_stride,
                   out_in_place_ ? p.out_channels : kp_, p.in_width, p.kernel_h, p.kernel_w,
                   p.stride_w, p.dilation_w, p.pad_left};
    // Strips of output columns, each slid down the band: the input of a strip (its columns of
    // kernel_h rows, all channels) stays in L1 even with NHWC's power-of-two pixel stride, and
    // each new output row brings one new input row from L2.
    for (const auto& [ox0, ox1] : strips_) {
      d.ox_begin = ox0;
      d.ox_end = ox1;
      for (int64_t oy = oy0; oy < oy1; ++oy) {
        for (int64_t r = 0; r < p.kernel_h; ++r) {
          const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
          rows[r] = iy < 0 || iy >= p.in_height ? nullptr
                    : in_place_ ? src + ((n * p.in_height + iy) * p.in_width) * in_stride
                                : band + (iy - iy0) * p.in_width * in_stride;
        }
        float* out_row = dst + ((n * pr_.out_h + oy) * pr_.out_w) * p.out_channels;
        d.out = out_in_place_ ? out_row : row_out;
        kernel_.run(d);
        if (out_in_place_) continue;
        for (int64_t ox = ox0; ox < ox1; ++ox) {
          const float* from = row_out + ox * kp_;
          if (p.layout == Layout::nhwc) {
            table_.copy_floats(from, p.out_channels, out_row + ox * p.out_channels);
          } else {
            const int64_t plane = pr_.out_h * pr_.out_w;
            float* to = dst + n * p.out_channels * plane + oy * pr_.out_w + ox;
            for (int64_t k = 0; k < p.out_channels; ++k) to[k * plane] = from[k];
          }
        }
      }
    }
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  const Depthwise& kernel_;
  int64_t multiplier_ = 1, kp_ = 0, taps_ = 0;
  bool in_place_ = false, out_in_place_ = false;  // NHWC read or written where it is
  int64_t interior_begin_ = 0, interior_end_ = 0, rows_per_task_ = 1, row_blocks_ = 1;
  std::vector<std::pair<int64_t, int64_t>> strips_;  // output column ranges
  AlignedBuffer weights_;             // NHWC: [Kp/width][R·S][width]
  std::vector<float> weights_plane_;  // NCHW: as given, [K][R·S]
  std::vector<float> bias_;
};

}  // namespace

constinit const Implementation depthwise_implementation{
    "depthwise",
    [](const Problem& pr, const Context& ctx) -> std::string {
      if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
      if (pr.op != Op::conv2d) return "conv2d only";
      if (pr.p.groups != pr.p.in_channels) return "groups != in_channels";
      if (pr.p.kernel_h > kMaxRows) return "kernel_h > 64";
      return {};
    },
    // Bound by loads, not FMAs: about a quarter of the FMA rate.
    [](const Problem& pr, const Context& ctx) { return 4 * cost::macs(pr) / cost::fma_rate(ctx); },
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<DepthwiseConv>(pr, ctx, w, b);
    }};

}  // namespace svertka
