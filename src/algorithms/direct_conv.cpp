#include "direct_conv.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"
#include "cost.hpp"
#include "gemm_driver.hpp"

namespace svertka {
namespace {

constexpr int64_t U = kInterleave;
constexpr int64_t kMaxTaps = 64;  // the batch of one tile lives on the stack
constexpr int64_t kPackedBytes = 1 << 20;  // packed border tiles per thread

int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -ceil_div(-a, b); }

const Brgemm* find_kernel(const KernelTable& t, int mr, int nr, int row) {
  for (const auto* list : {&t.gemm, &t.direct}) {
    for (const Brgemm& k : *list) {
      if (k.mr == mr && k.nr == nr && k.row == row) return &k;
    }
  }
  return nullptr;
}

std::string why_not(const Problem& pr, const Context& ctx) {
  if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
  if (pr.op != Op::conv2d) return "conv2d only";
  if (pr.p.kernel_h * pr.p.kernel_w > kMaxTaps) return "more than 64 filter taps";
  const Brgemm& k = ctx.kernels->gemm[0];
  if (!find_kernel(*ctx.kernels, k.mr, k.nr, int(U * pr.p.stride_w))) {
    return "stride_w " + std::to_string(pr.p.stride_w) + " has no row kernel (1 or 2)";
  }
  return {};
}

// Output columns whose windows stay inside the image horizontally: [lo, hi), empty when
// narrower than a tile of mr pixels.
std::pair<int64_t, int64_t> interior_columns(const Problem& pr, int64_t mr) {
  const ConvParams& p = pr.p;
  const int64_t lo = std::min(ceil_div(p.pad_left, p.stride_w), pr.out_w);
  const int64_t hi = std::clamp(
      floor_div(p.in_width - 1 + p.pad_left - (p.kernel_w - 1) * p.dilation_w, p.stride_w) + 1,
      lo, pr.out_w);
  return hi - lo < mr ? std::pair{lo, lo} : std::pair{lo, hi};
}

// Kernel time with padding waste in both channel counts (a wider row stride runs slower), the
// border pixels' packed tiles at 1.1x, plus the reorder of the input and, for NCHW, the
// transposed stores.
double estimate(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  const Brgemm& k = ctx.kernels->gemm[0];
  const auto [lo, hi] = interior_columns(pr, k.mr);
  const double interior = double(hi - lo) / double(pr.out_w);
  const double kernel = cost::macs(pr) * cost::padded(pr.out_per_group(), k.nr) *
                        cost::padded(pr.in_per_group(), U) / cost::fma_rate(ctx) / 0.9 *
                        (p.stride_w > 1 ? 1.15 : 1.0) * (interior + (1 - interior) * 1.1);
  const bool nhwc = p.layout == Layout::nhwc;
  const double reorder = double(pr.src().size()) * (nhwc ? cost::kCopy : cost::kCopyStrided);
  const double stores = nhwc ? 0.0 : double(pr.dst().size()) * cost::kCopyStrided / 2;
  return kernel + reorder + stores;
}

class DirectConv final : public Algorithm {
 public:
  DirectConv(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr),
        table_(*ctx.kernels),
        threads_(ctx.threads),
        main_(*find_kernel(table_, table_.gemm[0].mr, table_.gemm[0].nr,
                           int(U * pr.p.stride_w))) {
    const ConvParams& p = pr.p;
    cg_ = pr.in_per_group();
    kg_ = pr.out_per_group();
    cgp_ = ceil_div(cg_, U) * U;
    taps_ = p.kernel_h * p.kernel_w;
    kb_ = ceil_div(kg_, main_.nr);
    image_ = cgp_ * p.in_height * p.in_width;
    pack_weights(weights);
    bias_.assign(p.out_channels + main_.nr, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    std::tie(ox_lo_, ox_hi_) = interior_columns(pr, main_.mr);
    const int64_t rows = p.batch * p.groups * pr.out_h;
    const int64_t want = threads_ > 1 ? 8 * int64_t{threads_} : 1;
    rows_per_task_ = std::clamp(ceil_div(rows, want), int64_t{1}, pr.out_h);
    row_blocks_ = ceil_div(pr.out_h, rows_per_task_);
  }

  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    float* blocked = thread_workspace(p.batch * p.groups * image_, Workspace::execution);
    parallel_for(threads_, p.batch * p.groups * p.in_height,
                 [&](int64_t row) { reorder_row(src, row, blocked); });
    parallel_for(threads_, p.batch * p.groups * row_blocks_,
                 [&](int64_t task) { run_task(task, blocked, dst); });
  }

  std::string describe() const override {
    return "direct " + std::string(table_.isa) + " " + std::to_string(main_.mr) + "x" +
           std::to_string(main_.nr) + " threads=" + std::to_string(threads_);
  }

 private:
  // [G][Kg/NR][R·S][Cgp][NR]: the B panel of tap t for an NR block of output channels.
  void pack_weights(const float* w) {
    const ConvParams& p = pr_.p;
    const int64_t nr = main_.nr;
    weights_ = AlignedBuffer(p.groups * kb_ * taps_ * cgp_ * nr);
    for (int64_t g = 0; g < p.groups; ++g)
      for (int64_t k = 0; k < kg_; ++k)
        for (int64_t c = 0; c < cg_; ++c)
          for (int64_t t = 0; t < taps_; ++t) {
            weights_.data()[(((g * kb_ + k / nr) * taps_ + t) * cgp_ + c) * nr + k % nr] =
                w[((g * kg_ + k) * cg_ + c) * taps_ + t];
          }
  }

  // One input row of one image and group into channel blocks [Cgp/U][W][U] (the image is
  // [H][Cgp/U][W][U]: a tile's channel blocks lie one row apart, a filter row's input rows
  // stay together in cache), zero-padded channels.
  void reorder_row(const float* src, int64_t row, float* blocked) const {
    const ConvParams& p = pr_.p;
    const int64_t iy = row % p.in_height, g = row / p.in_height % p.groups;
    const int64_t n = row / p.in_height / p.groups;
    const int64_t plane = p.in_height * p.in_width, w = p.in_width;
    float* out = blocked + (n * p.groups + g) * image_ + iy * cgp_ * w;
    if (p.layout == Layout::nhwc) {
      const float* in = src + ((n * p.in_height + iy) * w) * p.in_channels + g * cg_;
      const int64_t whole = cg_ / U, rest = cg_ % U;
      for (int64_t x = 0; x < w; ++x) {
        const float* px = in + x * p.in_channels;
        float* to = out + x * U;
        table_.copy_chunks(px, U, whole, to, w * U);
        if (rest) {
          float* last = to + whole * w * U;
          table_.copy_floats(px + whole * U, rest, last);
          table_.zero_floats(last + rest, U - rest);
        }
      }
      return;
    }
    const float* in = src + (n * p.in_channels + g * cg_) * plane + iy * w;
    for (int64_t cb = 0; cb < cgp_ / U; ++cb) {
      float* to = out + cb * w * U;
      for (int64_t u = 0; u < U; ++u) {
        const int64_t c = cb * U + u;
        if (c < cg_) {
          const float* from = in + c * plane;
          for (int64_t x = 0; x < w; ++x) to[x * U + u] = from[x];
        } else {
          for (int64_t x = 0; x < w; ++x) to[x * U + u] = 0.0f;
        }
      }
    }
  }

  struct Pixel {
    int64_t oy, ox;
  };

  // Stores the MR x NR tile t (pixels x channels of NR block kb) for its first m pixels, in
  // the user's layout. Overlapping tiles store equal values.
  template <class PixelAt>
  void store(const float* t, int64_t m, PixelAt pixel, int64_t n, int64_t g, int64_t kb,
             float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t nr = main_.nr, k0 = g * kg_ + kb * nr;
    const int64_t cols = std::min(nr, kg_ - kb * nr);
    for (int64_t i = 0; i < m; ++i) {
      const Pixel px = pixel(i);
      if (p.layout == Layout::nhwc) {
        float* c = dst + ((n * pr_.out_h + px.oy) * pr_.out_w + px.ox) * p.out_channels + k0;
        table_.copy_floats(t + i * nr, cols, c);
      } else {
        float* c = dst + ((n * p.out_channels + k0) * pr_.out_h + px.oy) * pr_.out_w + px.ox;
        for (int64_t j = 0; j < cols; ++j) c[j * pr_.out_h * pr_.out_w] = t[i * nr + j];
      }
    }
  }

  // Interior tiles: MR pixels of one row whose windows stay inside the image horizontally,
  // read in place; the filter rows outside the image are left out of the batch.
  void interior(int64_t n, int64_t g, const float* image, int64_t oy0, int64_t oy1,
                float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t nr = main_.nr, a_block = p.in_width * U;
    const float* a[kMaxTaps];
    const float* b[kMaxTaps];
    alignas(64) float t[32 * 64];
    for (int64_t kb = 0; kb < kb_; ++kb) {
      const float* w = weights_.data() + (g * kb_ + kb) * taps_ * cgp_ * nr;
      const bool whole = nr <= kg_ - kb * nr && p.layout == Layout::nhwc;
      for (int64_t oy = oy0; oy < oy1; ++oy) {
        int64_t batch = 0;
        for (int64_t r = 0; r < p.kernel_h; ++r) {
          const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
          if (iy < 0 || iy >= p.in_height) continue;
          for (int64_t s = 0; s < p.kernel_w; ++s, ++batch) {
            const int64_t ix = ox_lo_ * p.stride_w - p.pad_left + s * p.dilation_w;
            a[batch] = image + iy * cgp_ * p.in_width + ix * U;
            b[batch] = w + (r * p.kernel_w + s) * cgp_ * nr;
          }
        }
        for (int64_t ox = ox_lo_; ox < ox_hi_; ox += main_.mr) {
          const int64_t start = std::min(ox, ox_hi_ - main_.mr);  // the last tile overlaps
          const int64_t shift = (start - ox_lo_) * p.stride_w * U;
          const float* as[kMaxTaps];
          for (int64_t i = 0; i < batch; ++i) as[i] = a[i] + shift;
          const float* bias = bias_.data() + g * kg_ + kb * nr;
          if (whole) {
            float* c = dst + ((n * pr_.out_h + oy) * pr_.out_w + start) * p.out_channels +
                       g * kg_ + kb * nr;
            main_.run(batch, as, b, cgp_, a_block, c, p.out_channels, Init::bias_cols, bias);
          } else {
            main_.run(batch, as, b, cgp_, a_block, t, nr, Init::bias_cols, bias);
            store(t, main_.mr, [&](int64_t i) { return Pixel{oy, start + i}; }, n, g, kb, dst);
          }
        }
      }
    }
  }

  // The first pixel at or after px that no interior tile covers.
  Pixel packed_pixel(Pixel px) const {
    for (;;) {
      if (ox_hi_ > ox_lo_ && px.ox >= ox_lo_ && px.ox < ox_hi_) {
        px.ox = ox_hi_;
      } else if (px.ox == pr_.out_w) {
        px = Pixel{px.oy + 1, 0};
      } else {
        return px;
      }
    }
  }

  // The other pixels (borders, and whole rows too narrow for a tile), gathered MR at a time
  // into packed A panels with zeros for taps outside the image, through the GEMM kernel with
  // kc = taps·Cgp: the weights of an NR block are that B panel already.
  void packed(int64_t n, int64_t g, const float* image, int64_t oy0, int64_t oy1,
              float* dst) const {
    const ConvParams& p = pr_.p;
    const Brgemm& k = table_.gemm[0];
    const int64_t mr = k.mr, nr = k.nr, cb_count = cgp_ / U;
    const int64_t panel = taps_ * cgp_ * mr;
    const int64_t per_group = std::max<int64_t>(1, kPackedBytes / (panel * int64_t{sizeof(float)}));
    float* ws = thread_workspace(per_group * panel);
    auto next = [&](Pixel px) { return packed_pixel({px.oy, px.ox + 1}); };
    Pixel first = packed_pixel({oy0, 0});
    alignas(64) float t[32 * 64];
    while (first.oy < oy1) {
      // Pack up to per_group tiles of MR pixels.
      Pixel tile_first[64];
      int64_t counts[64], tiles = 0;
      Pixel px = first;
      const int64_t max_tiles = std::min<int64_t>(per_group, 64);
      for (; tiles < max_tiles && px.oy < oy1; ++tiles) {
        tile_first[tiles] = px;
        float* a = ws + tiles * panel;
        int64_t i = 0;
        for (; i < mr && px.oy < oy1; ++i, px = next(px)) {
          for (int64_t r = 0; r < p.kernel_h; ++r)
            for (int64_t s = 0; s < p.kernel_w; ++s) {
              const int64_t iy = px.oy * p.stride_h - p.pad_top + r * p.dilation_h;
              const int64_t ix = px.ox * p.stride_w - p.pad_left + s * p.dilation_w;
              const bool inside = iy >= 0 && iy < p.in_height && ix >= 0 && ix < p.in_width;
              float* to = a + (r * p.kernel_w + s) * cb_count * mr * U + i * U;
              table_.copy_chunks(inside ? image + iy * cgp_ * p.in_width + ix * U : zeros_,
                                 inside ? p.in_width * U : 0, cb_count, to, mr * U);
            }
        }
        for (int64_t j = i; j < mr; ++j) {
          table_.copy_chunks(zeros_, 0, taps_ * cb_count, a + j * U, mr * U);
        }
        counts[tiles] = i;
      }
      for (int64_t kb = 0; kb < kb_; ++kb) {
        const float* w = weights_.data() + (g * kb_ + kb) * taps_ * cgp_ * nr;
        for (int64_t j = 0; j < tiles; ++j) {
          const float* a = ws + j * panel;
          k.run(1, &a, &w, taps_ * cgp_, mr * U, t, nr, Init::bias_cols,
                bias_.data() + g * kg_ + kb * nr);
          Pixel at = tile_first[j];
          Pixel list[32];
          for (int64_t i = 0; i < counts[j]; ++i, at = next(at)) list[i] = at;
          store(t, counts[j], [&](int64_t i) { return list[i]; }, n, g, kb, dst);
        }
      }
      first = px;
    }
  }

  void run_task(int64_t task, const float* blocked, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t rb = task % row_blocks_, g = task / row_blocks_ % p.groups;
    const int64_t n = task / row_blocks_ / p.groups;
    const float* image = blocked + (n * p.groups + g) * image_;
    const int64_t oy0 = rb * rows_per_task_, oy1 = std::min(pr_.out_h, oy0 + rows_per_task_);
    if (ox_hi_ > ox_lo_) interior(n, g, image, oy0, oy1, dst);
    if (ox_lo_ > 0 || ox_hi_ < pr_.out_w) packed(n, g, image, oy0, oy1, dst);
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  const Brgemm& main_;
  float zeros_[kInterleave] = {};
  int64_t cg_ = 0, kg_ = 0, cgp_ = 0, taps_ = 0, kb_ = 0, image_ = 0;
  int64_t ox_lo_ = 0, ox_hi_ = 0, rows_per_task_ = 1, row_blocks_ = 1;
  AlignedBuffer weights_;
  std::vector<float> bias_;
};

}  // namespace

constinit const Implementation direct_implementation{
    "direct", why_not, estimate,
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<DirectConv>(pr, ctx, w, b);
    }};

}  // namespace svertka
