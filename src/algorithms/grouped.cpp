#include "grouped.hpp"

#include <algorithm>
#include <vector>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"
#include "cost.hpp"
#include "integer.hpp"

namespace svertka {
namespace {

constexpr int64_t U = kInterleave;
constexpr int64_t kMaxTaps = 64;  // the batch of one tile lives on the stack

// How a problem maps onto the kernels: groups per vector, padded channels, the kernel.
struct Shape {
  int64_t bcast = 0;  // groups per pack: L / Kg when a kernel interleaves that many (1 or 2)
  int64_t cgp = 0;    // input channels per group, padded to the interleave
  int64_t chunk = 0;  // floats of one pixel of one pack: cgp·bcast
  int64_t packs = 0;
  const Brgemm* kernel = nullptr;

  Shape(const Problem& pr, const KernelTable& t) {
    const int64_t lanes = t.vector_floats, kg = pr.out_per_group();
    if (lanes % kg != 0 || lanes / kg > 2) return;
    bcast = lanes / kg;
    cgp = ceil_div(pr.in_per_group(), U) * U;
    chunk = cgp * bcast;
    packs = ceil_div(pr.p.groups, bcast);
    // The row form where it fits the filter (stride 1, no dilation), else the tap form.
    const bool rows = pr.p.stride_w == 1 && pr.p.dilation_w == 1;
    const Brgemm* taps = nullptr;
    for (const Brgemm& k : t.grouped) {
      if (k.bcast != bcast || k.row != chunk * pr.p.stride_w) continue;
      if (k.kw == 0) taps = &k;
      if (rows && k.kw == pr.p.kernel_w) kernel = &k;
    }
    if (!kernel) kernel = taps;
  }
};

std::string why_not(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
  if (std::string r = beyond_fast_paths(pr); !r.empty()) return r;
  if (pr.op != Op::conv2d) return "forward convolution only";
  if (p.groups == 1) return "one group: direct's tiles are full";
  if (pr.in_per_group() == 1) return "one input channel per group: depthwise";
  if (p.kernel_h * p.kernel_w > kMaxTaps) return "more than 64 filter taps";
  const Shape s(pr, *ctx.kernels);
  if (s.bcast == 0) {
    return std::to_string(pr.out_per_group()) + " output channels per group do not fill a " +
           std::to_string(ctx.kernels->vector_floats) + "-lane vector with 1 or 2 groups";
  }
  if (!s.kernel) {
    return "no kernel for rows " + std::to_string(s.chunk * p.stride_w) +
           " floats apart (channels per group above 32 or stride above 2)";
  }
  return {};
}

// Kernel time with the padding waste (channels to the interleave, groups to whole packs,
// columns to whole tiles) at 0.8 of the FMA rate (a broadcast load per FMA), the gathering
// reorder of the input and, for NCHW, the transposed stores.
double estimate(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  const Shape s(pr, *ctx.kernels);
  const int64_t mr = s.kernel->mr;
  const double tiles = double(std::max(ceil_div(pr.out_w, mr) * mr, mr)) / double(pr.out_w);
  const double kernel = cost::macs(pr) * cost::padded(pr.in_per_group(), U) *
                        cost::padded(p.groups, s.bcast) * tiles / cost::fma_rate(ctx) / 0.8;
  const double stores =
      p.layout == Layout::nhwc ? 0.0 : double(pr.dst().size()) * cost::kCopyStrided / 2;
  return kernel + double(pr.src().size()) * cost::kCopyStrided + stores;
}

class Grouped final : public Algorithm {
 public:
  Grouped(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr), table_(*ctx.kernels), threads_(ctx.threads), s_(pr, table_), kernel_(*s_.kernel) {
    const ConvParams& p = pr.p;
    lanes_ = table_.vector_floats;
    const int64_t reach = (std::max(pr.out_w, int64_t{kernel_.mr}) - 1) * p.stride_w +
                          (p.kernel_w - 1) * p.dilation_w + 1;
    wp_ = std::max(p.pad_left + p.in_width + p.pad_right, reach);
    image_ = p.in_height * wp_ * s_.chunk;
    pack_weights(weights);
    bias_.assign(s_.packs * lanes_, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    const int64_t want = wanted_tasks(ctx.tuning, threads_);
    const int64_t bands = ceil_div(want, p.batch * s_.packs);
    const int64_t band = std::max<int64_t>(ceil_div(pr.out_h, bands), 1);
    for (int64_t y = 0; y < pr.out_h; y += band) bands_.push_back({y, std::min(pr.out_h, y + band)});
  }

  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    float* packed = thread_workspace(p.batch * s_.packs * image_, Workspace::execution);
    parallel_for(threads_, p.batch * p.in_height,
                 [&](int64_t row) { reorder_row(src, row, packed); });
    const int64_t items = int64_t(bands_.size());
    parallel_for(threads_, p.batch * s_.packs * items, [&](int64_t task) {
      const int64_t np = task / items;
      run(np / s_.packs, np % s_.packs, bands_[task % items], packed + np * image_, dst);
    });
  }

  std::string describe() const override {
    return "grouped " + std::string(table_.isa) + " " + std::to_string(kernel_.mr) + "x" +
           std::to_string(kernel_.nr) + (kernel_.kw ? " rows" : " taps") +
           " groups/vector=" + std::to_string(s_.bcast) + " threads=" + std::to_string(threads_);
  }

 private:
  struct Band {
    int64_t oy0, oy1;
  };

  // [packs][taps][cgp][L], lanes in the kernel's interleaved order, zeros for padded channels
  // and for the groups that the last pack lacks. Weights are PyTorch's [K][C/G][R][S].
  void pack_weights(const float* w) {
    const ConvParams& p = pr_.p;
    const int64_t taps = p.kernel_h * p.kernel_w, cg = pr_.in_per_group();
    const int64_t kg = pr_.out_per_group(), b = s_.bcast;
    weights_ = AlignedBuffer(s_.packs * taps * s_.cgp * lanes_);
    for (int64_t pk = 0; pk < s_.packs; ++pk)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t l = 0; l < lanes_; ++l) {
            const int64_t g = pk * b + l % b, k = g * kg + l / b;
            if (g >= p.groups) continue;
            weights_.data()[((pk * taps + t) * s_.cgp + c) * lanes_ + l] = w[(k * cg + c) * taps + t];
          }
  }

  // Input row (n, y) into every pack: [packs][H][wp][cgp][bcast] with zero sides, channels
  // and missing groups. The loops run along the input's contiguous dimension.
  void reorder_row(const float* src, int64_t row, float* packed) const {
    const ConvParams& p = pr_.p;
    const int64_t n = row / p.in_height, y = row % p.in_height, w = p.in_width;
    const int64_t cg = pr_.in_per_group(), b = s_.bcast, chunk = s_.chunk;
    auto pack_row = [&](int64_t pk) {
      return packed + (n * s_.packs + pk) * image_ + (y * wp_ + p.pad_left) * chunk;
    };
    for (int64_t pk = 0; pk < s_.packs; ++pk) {
      float* to = pack_row(pk);
      table_.zero_floats(to - p.pad_left * chunk, p.pad_left * chunk);
      table_.zero_floats(to + w * chunk, (wp_ - p.pad_left - w) * chunk);
      if (cg != s_.cgp || p.groups % b != 0) table_.zero_floats(to, w * chunk);
    }
    if (p.layout == Layout::nhwc) {
      const float* in = src + (n * p.in_height + y) * w * p.in_channels;
      for (int64_t pk = 0; pk < s_.packs; ++pk) {
        const int64_t whole = std::min(b, p.groups - pk * b);  // groups in this pack
        const float* from = in + pk * b * cg;
        float* to = pack_row(pk);
        if (whole == 2) {
          table_.interleave_pairs(from, p.in_channels, cg, w, to, chunk);
          continue;
        }
        for (int64_t x = 0; x < w; ++x, from += p.in_channels, to += chunk) {
          for (int64_t c = 0; c < cg; ++c) to[c * b] = from[c];
        }
      }
      return;
    }
    for (int64_t g = 0; g < p.groups; ++g)
      for (int64_t c = 0; c < cg; ++c) {
        const float* in = src + ((n * p.in_channels + g * cg + c) * p.in_height + y) * w;
        float* to = pack_row(g / b) + c * b + g % b;
        for (int64_t x = 0; x < w; ++x) to[x * chunk] = in[x];
      }
  }

  // Output rows [oy0, oy1) of image n, pack pk: tiles of MR pixels along each row (the last
  // overlapping the one before), written in place when the pack's channels are whole in NHWC.
  void run(int64_t n, int64_t pk, const Band& band, const float* image, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t mr = kernel_.mr, lanes = lanes_, chunk = s_.chunk, ow = pr_.out_w;
    const int64_t taps = p.kernel_h * p.kernel_w, k0 = pk * lanes;
    const int64_t channels = std::min(lanes, p.out_channels - k0);
    const bool in_place = p.layout == Layout::nhwc && channels == lanes && ow >= mr;
    const float* w = weights_.data() + pk * taps * s_.cgp * lanes;
    const float* bias = bias_.data() + k0;
    const float* a[kMaxTaps];
    const float* b[kMaxTaps];
    alignas(64) float t[32 * 64];  // the widest tile of any table
    for (int64_t oy = band.oy0; oy < band.oy1; ++oy) {
      for (int64_t i = 0; i < ow; i += mr) {
        // The batch is built per tile: copying a row's pointers with an offset would read them
        // back wider than they were stored, a store-forwarding stall per tile.
        const int64_t start = ow >= mr ? std::min(i, ow - mr) : 0;
        int64_t batch = 0;
        for (int64_t r = 0; r < p.kernel_h; ++r) {
          const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
          if (iy < 0 || iy >= p.in_height) continue;
          // The row form takes a filter row as one batch element, the tap form each tap.
          for (int64_t s = 0; s < (kernel_.kw ? 1 : p.kernel_w); ++s) {
            a[batch] = image + (iy * wp_ + start * p.stride_w + s * p.dilation_w) * chunk;
            b[batch++] = w + (r * p.kernel_w + s) * s_.cgp * lanes;
          }
        }
        if (in_place) {
          float* c = dst + ((n * pr_.out_h + oy) * ow + start) * p.out_channels + k0;
          kernel_.run(batch, a, b, s_.cgp, U * s_.bcast, c, p.out_channels, Init::bias_cols, bias);
          continue;
        }
        kernel_.run(batch, a, b, s_.cgp, U * s_.bcast, t, lanes, Init::bias_cols, bias);
        const int64_t m = std::min(mr, ow - start);
        if (p.layout == Layout::nhwc) {
          for (int64_t x = 0; x < m; ++x) {
            table_.copy_floats(t + x * lanes, channels,
                               dst + ((n * pr_.out_h + oy) * ow + start + x) * p.out_channels + k0);
          }
        } else {
          for (int64_t j = 0; j < channels; ++j) {
            float* c = dst + ((n * p.out_channels + k0 + j) * pr_.out_h + oy) * ow + start;
            for (int64_t x = 0; x < m; ++x) c[x] = t[x * lanes + j];
          }
        }
      }
    }
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  Shape s_;
  const Brgemm& kernel_;
  int64_t lanes_ = 0, wp_ = 0, image_ = 0;  // lanes, padded row width, floats per pack image
  std::vector<Band> bands_;
  AlignedBuffer weights_;
  std::vector<float> bias_;
};

}  // namespace

constinit const Implementation grouped_implementation{
    "grouped", why_not, estimate,
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<Grouped>(pr, ctx, w, b);
    }};

}  // namespace svertka
