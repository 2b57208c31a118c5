#include "depthwise.hpp"

#include <algorithm>
#include <vector>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"

namespace svertka {
namespace {

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
    const bool whole_blocks = kp_ == p.out_channels;
    input_in_place_ = p.layout == Layout::nhwc && multiplier_ == 1 && whole_blocks;
    output_in_place_ = p.layout == Layout::nhwc && whole_blocks;
    taps_ = p.kernel_h * p.kernel_w;
    // [Kp/width][R·S][width], zero-padded channels.
    weights_ = AlignedBuffer(kp_ * taps_);
    for (int64_t k = 0; k < p.out_channels; ++k)
      for (int64_t t = 0; t < taps_; ++t) {
        weights_.data()[(k / width * taps_ + t) * width + k % width] = weights[k * taps_ + t];
      }
    bias_.assign(kp_, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    interior_begin_ = std::min(ceil_div(p.pad_left, p.stride_w), pr.out_w);
    interior_end_ = std::clamp(
        floor_div(p.in_width - 1 + p.pad_left - (p.kernel_w - 1) * p.dilation_w, p.stride_w) + 1,
        interior_begin_, pr.out_w);
    const int64_t rows = p.batch * pr.out_h;
    const int64_t want = threads_ > 1 ? 8 * int64_t{threads_} : 1;
    rows_per_task_ = std::clamp(ceil_div(rows, want), int64_t{1}, pr.out_h);
    row_blocks_ = ceil_div(pr.out_h, rows_per_task_);
  }

  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    const int64_t in_size = input_in_place_ ? 0 : p.batch * p.in_height * p.in_width * kp_;
    const int64_t out_size = output_in_place_ ? 0 : p.batch * pr_.out_h * pr_.out_w * kp_;
    float* buffer = thread_workspace(in_size + out_size, Workspace::execution);
    const float* in = input_in_place_ ? src : buffer;
    float* out = output_in_place_ ? dst : buffer + in_size;
    if (!input_in_place_) {
      parallel_for(threads_, p.batch * p.in_height, [&](int64_t row) { expand_row(src, row, buffer); });
    }
    parallel_for(threads_, p.batch * row_blocks_, [&](int64_t task) { run_task(task, in, out); });
    if (!output_in_place_) {
      parallel_for(threads_, p.batch * pr_.out_h, [&](int64_t row) { store_row(out, row, dst); });
    }
  }

  std::string describe() const override {
    return "depthwise " + std::string(table_.isa) + " " + std::to_string(kernel_.mr) + "x" +
           std::to_string(kernel_.width) + " threads=" + std::to_string(threads_);
  }

 private:
  // Input row (n, iy) into the NHWC buffer: channel k of a pixel holds input channel k/m.
  void expand_row(const float* src, int64_t row, float* buffer) const {
    const ConvParams& p = pr_.p;
    const int64_t n = row / p.in_height, iy = row % p.in_height;
    float* to = buffer + row * p.in_width * kp_;
    for (int64_t ix = 0; ix < p.in_width; ++ix, to += kp_) {
      for (int64_t k = 0; k < p.out_channels; ++k) {
        const int64_t c = k / multiplier_;
        to[k] = p.layout == Layout::nhwc
                    ? src[((n * p.in_height + iy) * p.in_width + ix) * p.in_channels + c]
                    : src[((n * p.in_channels + c) * p.in_height + iy) * p.in_width + ix];
      }
      std::fill(to + p.out_channels, to + kp_, 0.0f);
    }
  }

  // Output row (n, oy) from the NHWC buffer into dst.
  void store_row(const float* out, int64_t row, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t n = row / pr_.out_h, oy = row % pr_.out_h;
    const float* from = out + row * pr_.out_w * kp_;
    for (int64_t ox = 0; ox < pr_.out_w; ++ox, from += kp_) {
      if (p.layout == Layout::nhwc) {
        std::copy_n(from, p.out_channels, dst + (row * pr_.out_w + ox) * p.out_channels);
      } else {
        const int64_t plane = pr_.out_h * pr_.out_w;
        for (int64_t k = 0; k < p.out_channels; ++k) {
          dst[(n * p.out_channels + k) * plane + oy * pr_.out_w + ox] = from[k];
        }
      }
    }
  }

  void run_task(int64_t task, const float* in, float* out) const {
    const ConvParams& p = pr_.p;
    const int64_t n = task / row_blocks_, rb = task % row_blocks_;
    const int64_t in_stride = input_in_place_ ? p.in_channels : kp_;
    const int64_t out_stride = output_in_place_ ? p.out_channels : kp_;
    const float* rows[64];
    DepthwiseRow d{rows, nullptr, nullptr, nullptr, 0, pr_.out_w, interior_begin_, interior_end_,
                   in_stride, out_stride, p.in_width, p.kernel_h, p.kernel_w, p.stride_w,
                   p.dilation_w, p.pad_left};
    const int64_t oy1 = std::min(pr_.out_h, (rb + 1) * rows_per_task_);
    for (int64_t oy = rb * rows_per_task_; oy < oy1; ++oy) {
      for (int64_t k0 = 0; k0 < kp_; k0 += kernel_.width) {
        for (int64_t r = 0; r < p.kernel_h; ++r) {
          const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
          rows[r] = iy < 0 || iy >= p.in_height
                        ? nullptr
                        : in + (n * p.in_height + iy) * p.in_width * in_stride + k0;
        }
        d.weights = weights_.data() + k0 * taps_;
        d.bias = bias_.data() + k0;
        d.out = out + (n * pr_.out_h + oy) * pr_.out_w * out_stride + k0;
        kernel_.run(d);
      }
    }
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  const Depthwise& kernel_;
  int64_t multiplier_ = 1, kp_ = 0, taps_ = 0;
  bool input_in_place_ = false, output_in_place_ = false;
  int64_t interior_begin_ = 0, interior_end_ = 0, rows_per_task_ = 1, row_blocks_ = 1;
  AlignedBuffer weights_;
  std::vector<float> bias_;
};

}  // namespace

constinit const Implementation depthwise_implementation{
    "depthwise",
    [](const Problem& pr, const Context& ctx) -> std::string {
      if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
      if (pr.op != Op::conv2d) return "conv2d only";
      if (pr.p.groups != pr.p.in_channels) return "groups != in_channels";
      if (pr.p.kernel_h > 64) return "kernel_h > 64";
      return {};
    },
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<DepthwiseConv>(pr, ctx, w, b);
    }};

}  // namespace svertka
