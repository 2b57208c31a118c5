#include "im2col_gemm.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"
#include "../runtime/topology.hpp"
#include "blocking.hpp"
#include "cost.hpp"
#include "integer.hpp"
#include "gemm_driver.hpp"

namespace svertka {
namespace {

// The GEMM's rows and columns: an image's pixels by output channels in NHWC, the other way
// round in NCHW (pixels are C's columns).
std::pair<int64_t, int64_t> gemm_shape(const Problem& pr) {
  const int64_t pixels = pr.out_h * pr.out_w, k = pr.out_per_group();
  return pr.p.layout == Layout::nhwc ? std::pair{pixels, k} : std::pair{k, pixels};
}

const Brgemm& choose_kernel(const Problem& pr, const Context& ctx) {
  const auto [rows, cols] = gemm_shape(pr);
  return cost::gemm_for(ctx, rows, cols);
}

// 1x1, stride 1, no padding: X' is the input itself.
bool pointwise(const ConvParams& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
         p.pad_top == 0 && p.pad_bottom == 0 && p.pad_left == 0 && p.pad_right == 0;
}

// NCHW pointwise layers with gemm[0]'s block and whole channel blocks read X' (the input's
// channel rows) in place, not packed (gemm_block_strided_b): the input is read once, by the
// kernel, its loads overlapping the FMAs. But every tile of output channels reads each B
// micro-panel again from kc scattered rows, where a packed panel is contiguous: with many
// output channels packing once is cheaper. Measured on Zen 3 (NCHW, one thread): 64-256 output
// channels 2-13% faster in place (res2_1x1c +13%, res4_1x1 +11%), 512 and 1024 channels 23%
// and 4% slower (res5_1x1, res4_1x1b); no other machine measured, so the bound is that.
constexpr int64_t kMaxInPlaceChannels = 256;
bool rows_in_place(const Problem& pr, const Brgemm& k, const KernelTable& t) {
  return pr.p.layout == Layout::nchw && pointwise(pr.p) && pr.in_per_group() % kInterleave == 0 &&
         k.run == t.gemm[0].run && pr.out_per_group() <= kMaxInPlaceChannels;
}

class Im2colGemm final : public Algorithm {
 public:
  Im2colGemm(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr),
        threads_(ctx.threads),
        table_(*ctx.kernels),
        kernel_(choose_kernel(pr, ctx)),
        nhwc_(pr.p.layout == Layout::nhwc) {
    const ConvParams& p = pr.p;
    kg_ = pr.out_per_group();
    q_ = pr.in_per_group() * p.kernel_h * p.kernel_w;
    qp_ = round_up(q_, kInterleave);
    pixels_ = pr.out_h * pr.out_w;
    pointwise_ = pointwise(p);
    blocking_ = model_blocking(topology(), kernel_.mr, kernel_.nr);
    // The tuner's blocks, rounded to what the loops need.
    const Tuning& t = ctx.tuning;
    if (t.kc > 0) blocking_.kc = round_up(t.kc, kInterleave);
    if (t.mc > 0) blocking_.mc = round_up(t.mc, kernel_.mr);
    if (t.nc > 0) blocking_.nc = round_up(t.nc, kernel_.nr);
    rows_in_place_ = rows_in_place(pr, kernel_, table_);
    want_ = wanted_tasks(t, threads_);
    pack_weights(weights);
    // Padded so that a tile's bias reads stay inside (the contract reads whole MR or NR).
    bias_.assign(p.out_channels + std::max(kernel_.mr, kernel_.nr), 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    plan_tasks();
    if (nhwc_) {
      zeros_.assign(kInterleave, 0.0f);
    } else {
      plan_segments();
    }
  }

  void execute(const float* src, float* dst) const override {
    parallel_for(threads_, tasks_, [&](int64_t t) { run_task(t, src, dst); });
  }

  std::string describe() const override {
    return "im2col_gemm " + std::string(table_.isa) + " " + std::to_string(kernel_.mr) + "x" +
           std::to_string(kernel_.nr) + (rows_in_place_ ? " input rows in place" : "") +
           " mc=" + std::to_string(blocking_.mc) + " kc=" + std::to_string(blocking_.kc) +
           " nc=" + std::to_string(blocking_.nc) + " threads=" + std::to_string(threads_);
  }

 private:
  // The weights operand, packed once: NCHW as A micro-panels of MR output channels
  // ([G][ceil(Kg/MR)][Qp/U][MR][U]), NHWC as B micro-panels of NR ([G][ceil(Kg/NR)][Qp][NR]).
  void pack_weights(const float* w) {
    const ConvParams& p = pr_.p;
    const int64_t cg = pr_.in_per_group(), taps = p.kernel_h * p.kernel_w;
    const int64_t width = nhwc_ ? kernel_.nr : kernel_.mr;
    const int64_t panels = ceil_div(kg_, width);
    weights_ = AlignedBuffer(p.groups * panels * qp_ * width);
    for (int64_t g = 0; g < p.groups; ++g)
      for (int64_t k = 0; k < kg_; ++k)
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t tap = 0; tap < taps; ++tap) {
            const float v = w[((g * kg_ + k) * cg + c) * taps + tap];
            float* panel = weights_.data() + (g * panels + k / width) * qp_ * width;
            if (nhwc_) {
              panel[(tap * cg + c) * width + k % width] = v;
            } else {
              const int64_t q = c * taps + tap;
              panel[(q / kInterleave * width + k % width) * kInterleave + q % kInterleave] = v;
            }
          }
  }

  // Tasks: image x group x block of pixels x range of output channels. Blocks shrink, and
  // channels split, until every thread has several tasks; each output element belongs to one
  // task, so results do not depend on scheduling.
  void plan_tasks() {
    const int64_t granule = nhwc_ ? kernel_.mr : kernel_.nr;
    // The C block of a task (pixels x Kg) is accumulated once per kc step: keep it in L2
    // together with the packed pixels (pixels x kc).
    const int64_t c_fits = topology().l2_bytes / 2 / ((kg_ + blocking_.kc) * int64_t{sizeof(float)});
    const int64_t max_block = std::max(granule, std::min(c_fits, nhwc_ ? blocking_.mc : blocking_.nc));
    const int64_t images = pr_.p.batch * pr_.p.groups;
    pixel_block_ = round_up(ceil_div(pixels_, ceil_div(pixels_, max_block)), granule);
    const int64_t want = want_;
    if (images * ceil_div(pixels_, pixel_block_) < want) {
      const int64_t smaller = round_up(ceil_div(pixels_, ceil_div(want, images)), granule);
      pixel_block_ = std::max(std::min(pixel_block_, smaller), std::min(pixel_block_, 4 * granule));
    }
    pixel_blocks_ = ceil_div(pixels_, pixel_block_);
    // Each split of the output channels packs the task's pixels again: split only as far as
    // the threads need, not as far as balancing would like (ResNet's 7x7 layers: one block of
    // 49 pixels, packed by 16 tasks at two threads before).
    const int64_t channel_granule = nhwc_ ? kernel_.nr : kernel_.mr;
    const int64_t max_splits = ceil_div(kg_, channel_granule);
    channel_splits_ =
        std::clamp<int64_t>(ceil_div(threads_, images * pixel_blocks_), 1, max_splits);
    channel_block_ = round_up(ceil_div(kg_, channel_splits_), channel_granule);
    channel_splits_ = ceil_div(kg_, channel_block_);
    tasks_ = images * pixel_blocks_ * channel_splits_;
  }

  void run_task(int64_t task, const float* src, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t split = task % channel_splits_;
    const int64_t block = task / channel_splits_ % pixel_blocks_;
    const int64_t g = task / channel_splits_ / pixel_blocks_ % p.groups;
    const int64_t n = task / channel_splits_ / pixel_blocks_ / p.groups;
    const int64_t p0 = block * pixel_block_, np = std::min(pixel_block_, pixels_ - p0);
    const int64_t k0 = split * channel_block_, k1 = std::min(kg_, k0 + channel_block_);
    const int64_t kc = blocking_.kc;
    const Brgemm& kr = kernel_;
    if (nhwc_) {
      const float* image = src + n * p.in_height * p.in_width * p.in_channels;
      float* out = dst + (n * pixels_ + p0) * p.out_channels + g * kg_;
      const int64_t panels = ceil_div(kg_, kr.nr);
      float* ws = thread_workspace(round_up(np, kr.mr) * kc);
      for (int64_t pc = 0; pc < qp_; pc += kc) {
        const int64_t kq = std::min(kc, qp_ - pc);
        pack_pixels_nhwc(image, g, p0, np, pc, kq, ws);
        for (int64_t jc = k0; jc < k1; jc += blocking_.nc) {
          const float* b = weights_.data() + (g * panels + jc / kr.nr) * qp_ * kr.nr + pc * kr.nr;
          gemm_block(kr, np, std::min(blocking_.nc, k1 - jc), kq, ws, kq * kr.mr, b, qp_ * kr.nr,
                     out + jc, p.out_channels, pc == 0 ? Init::bias_cols : Init::accumulate,
                     bias_.data() + g * kg_ + jc);
        }
      }
    } else {
      const float* image = src + (n * p.in_channels + g * pr_.in_per_group()) * p.in_height *
                                     p.in_width;
      float* out = dst + (n * p.out_channels + g * kg_) * pixels_ + p0;
      const int64_t panels = ceil_div(kg_, kr.mr);
      float* ws = thread_workspace(round_up(np, kr.nr) * kc);
      for (int64_t pc = 0; pc < qp_; pc += kc) {
        const int64_t kq = std::min(kc, qp_ - pc);
        const float* rows = image + pc * pixels_ + p0;  // in place: row q is input channel q
        if (rows_in_place_) {  // only the columns after the last whole NR are packed
          const int64_t whole = np / kr.nr * kr.nr;
          table_.zero_floats(ws, kq * kr.nr);
          table_.copy_rows(rows + whole, pixels_, kq, np - whole, ws, kr.nr, false);
        } else {
          pack_pixels_nchw(image, block, np, pc, kq, ws);
        }
        for (int64_t ic = k0; ic < k1; ic += blocking_.mc) {
          const float* a = weights_.data() + (g * panels + ic / kr.mr) * qp_ * kr.mr + pc * kr.mr;
          const int64_t m = std::min(blocking_.mc, k1 - ic);
          const Init init = pc == 0 ? Init::bias_rows : Init::accumulate;
          const float* bias = bias_.data() + g * kg_ + ic;
          if (rows_in_place_) {
            gemm_block_strided_b(table_, m, np, kq, a, qp_ * kr.mr, rows, pixels_, ws,
                                 out + ic * pixels_, pixels_, init, bias);
          } else {
            gemm_block(kr, m, np, kq, a, qp_ * kr.mr, ws, kq * kr.nr, out + ic * pixels_, pixels_,
                       init, bias);
          }
        }
      }
    }
  }

  // A run of pixels of one output row inside one B micro-panel: the unit of NCHW packing,
  // the same for every row q of X', so computed once per pixel block at plan time.
  struct Segment {
    int64_t panel, column;  // where it starts in the packed block
    int64_t oy, ox;         // its first output pixel
    int64_t len;
  };

  void plan_segments() {
    const int64_t nr = kernel_.nr;
    segments_.resize(pixel_blocks_);
    for (int64_t b = 0; b < pixel_blocks_; ++b) {
      const int64_t p0 = b * pixel_block_, np = std::min(pixel_block_, pixels_ - p0);
      int64_t oy = p0 / pr_.out_w, ox = p0 % pr_.out_w;
      for (int64_t done = 0; done < np;) {
        const int64_t t = done % nr;
        const int64_t len = pointwise_ ? std::min(np - done, nr - t)
                                       : std::min({pr_.out_w - ox, np - done, nr - t});
        segments_[b].push_back({done / nr, t, oy, ox, len});
        done += len;
        ox += len;
        oy += ox / pr_.out_w;
        ox %= pr_.out_w;
      }
    }
    // Output columns ox whose input column ox·sw - pad_left + s·dw lies inside the image.
    const ConvParams& p = pr_.p;
    for (int64_t s = 0; s < p.kernel_w; ++s) {
      const int64_t dx = s * p.dilation_w - p.pad_left;
      const int64_t lo = std::clamp(ceil_div(-dx, p.stride_w), int64_t{0}, pr_.out_w);
      valid_columns_.push_back({lo, std::clamp(ceil_div(p.in_width - dx, p.stride_w), lo,
                                               pr_.out_w)});
    }
  }

  // B micro-panels [ceil(np/NR)][kq][NR] of X' rows q0..q0+kq (q = (c, r, s)) and the pixel
  // columns of pixel block `block` of one image's group (image points at its first channel),
  // zero-padded.
  void pack_pixels_nchw(const float* image, int64_t block, int64_t np, int64_t q0, int64_t kq,
                        float* ws) const {
    const ConvParams& p = pr_.p;
    const int64_t nr = kernel_.nr, taps = p.kernel_h * p.kernel_w;
    const int64_t panel_stride = kq * nr, tail = round_up(np, nr) - np;
    // (c, r, s) of row q, advanced incrementally: no division per row.
    int64_t c = q0 / taps, r = q0 % taps / p.kernel_w, s = q0 % p.kernel_w;
    for (int64_t q = q0; q < q0 + kq; ++q) {
      float* row = ws + (q - q0) * nr;
      if (q >= q_) {
        for (int64_t j = 0; j < ceil_div(np, nr); ++j) table_.zero_floats(row + j * panel_stride, nr);
        continue;
      }
      const float* plane = image + c * p.in_height * p.in_width;
      const int64_t dy = r * p.dilation_h - p.pad_top, dx = s * p.dilation_w - p.pad_left;
      const auto [col_lo, col_hi] = valid_columns_[s];
      for (const Segment& seg : segments_[block]) {
        float* d = row + seg.panel * panel_stride + seg.column;
        if (pointwise_) {
          table_.copy_floats(plane + seg.oy * p.in_width + seg.ox, seg.len, d);
          continue;
        }
        const int64_t iy = seg.oy * p.stride_h + dy;
        if (iy < 0 || iy >= p.in_height) {
          table_.zero_floats(d, seg.len);
          continue;
        }
        const int64_t lo = std::clamp(col_lo - seg.ox, int64_t{0}, seg.len);
        const int64_t hi = std::clamp(col_hi - seg.ox, lo, seg.len);
        const float* from = plane + iy * p.in_width + seg.ox * p.stride_w + dx;
        table_.zero_floats(d, lo);
        if (p.stride_w == 1) {
          table_.copy_floats(from + lo, hi - lo, d + lo);
        } else {
          for (int64_t t = lo; t < hi; ++t) d[t] = from[t * p.stride_w];
        }
        table_.zero_floats(d + hi, seg.len - hi);
      }
      if (tail) table_.zero_floats(row + np / nr * panel_stride + np % nr, tail);
      if (++s == p.kernel_w) {
        s = 0;
        if (++r == p.kernel_h) r = 0, ++c;
      }
    }
  }

  // A micro-panels [ceil(np/MR)][kq/U][MR][U] of X' rows = pixels p0..p0+np and columns
  // q0..q0+kq (q = (r, s, c)): U contiguous channels of one pixel at a time, zero-padded.
  void pack_pixels_nhwc(const float* image, int64_t g, int64_t p0, int64_t np, int64_t q0,
                        int64_t kq, float* ws) const {
    const ConvParams& p = pr_.p;
    const int64_t mr = kernel_.mr, cg = pr_.in_per_group(), U = kInterleave;
    // With whole chunks per tap every element is written below; else zero first.
    const bool chunked = cg % U == 0;
    if (!chunked) table_.zero_floats(ws, round_up(np, mr) * kq);
    const int64_t q_end = std::min(q0 + kq, q_);
    const int64_t tap_end = ceil_div(q_end, cg);
    const int64_t tap_begin = q0 / cg;
    // One group with unit dilation: a filter row's taps read S·C contiguous input floats,
    // which are contiguous in q too.
    const bool row_runs = !chunked && p.groups == 1 && p.dilation_w == 1;
    int64_t oy = p0 / pr_.out_w, ox = p0 % pr_.out_w;
    for (int64_t i = 0; i < np; ++i) {
      float* base = ws + i / mr * kq * mr + i % mr * U;
      // Copies input floats [from, from + n) to q positions [q, q + n), element by element
      // (a few channels: the first layer's three); the panel's next row starts U·MR on.
      auto copy = [&](const float* from, int64_t q, int64_t n) {
        const int64_t k = q - q0;
        float* d = base + k / U * mr * U + k % U;
        for (int64_t t = 0, lane = k % U; t < n; ++t) {
          *d++ = from[t];
          if (++lane == U) lane = 0, d += (mr - 1) * U;
        }
      };
      if (row_runs) {
        for (int64_t r = tap_begin / p.kernel_w; r * p.kernel_w < tap_end; ++r) {
          const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
          if (iy < 0 || iy >= p.in_height) continue;
          const int64_t ix0 = ox * p.stride_w - p.pad_left;
          const int64_t s_lo = std::max<int64_t>(0, -ix0);
          const int64_t s_hi = std::min(p.kernel_w, p.in_width - ix0);
          const int64_t from = std::max((r * p.kernel_w + s_lo) * cg, q0);
          const int64_t to = std::min((r * p.kernel_w + s_hi) * cg, q_end);
          if (from < to) {
            copy(image + (iy * p.in_width + ix0) * cg + from - r * p.kernel_w * cg, from,
                 to - from);
          }
        }
        if (++ox == pr_.out_w) ox = 0, ++oy;
        continue;
      }
      // Taps by filter row and column, no division per tap.
      int64_t r = tap_begin / p.kernel_w, s = tap_begin % p.kernel_w;
      for (int64_t tap = tap_begin; tap < tap_end; ++tap) {
        const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
        const int64_t ix = ox * p.stride_w - p.pad_left + s * p.dilation_w;
        if (++s == p.kernel_w) s = 0, ++r;
        const bool inside = iy >= 0 && iy < p.in_height && ix >= 0 && ix < p.in_width;
        const float* px = image + (iy * p.in_width + ix) * p.in_channels + g * cg;
        const int64_t c_begin = std::max<int64_t>(0, q0 - tap * cg);
        const int64_t c_end = std::min(cg, q_end - tap * cg);
        const int64_t k = tap * cg + c_begin - q0;
        if (chunked) {
          table_.copy_chunks(inside ? px + c_begin : zeros_.data(), inside ? U : 0,
                             (c_end - c_begin) / U, base + k / U * mr * U, mr * U);
        } else if (inside) {
          copy(px + c_begin, tap * cg + c_begin, c_end - c_begin);
        }
      }
      if (++ox == pr_.out_w) ox = 0, ++oy;
    }
    if (chunked) {  // the rows that pad the last micro-panel
      for (int64_t i = np; i < round_up(np, mr); ++i) {
        table_.copy_chunks(zeros_.data(), 0, kq / U, ws + i / mr * kq * mr + i % mr * U, mr * U);
      }
    }
  }

  Problem pr_;
  int threads_;
  const KernelTable& table_;
  Brgemm kernel_;
  bool nhwc_;
  bool pointwise_ = false;  // 1x1, stride 1, no padding: X' is the input itself
  bool rows_in_place_ = false;  // NCHW pointwise: B read from the input (gemm_block_strided_b)
  GemmBlocking blocking_;
  int64_t kg_ = 0, q_ = 0, qp_ = 0, pixels_ = 0;
  int64_t pixel_block_ = 0, pixel_blocks_ = 0, channel_block_ = 0, channel_splits_ = 0;
  int64_t tasks_ = 0, want_ = 1;
  AlignedBuffer weights_;
  std::vector<float> bias_;
  std::vector<float> zeros_;  // a zero source for padding taps (NHWC)
  std::vector<std::vector<Segment>> segments_;             // per pixel block (NCHW)
  std::vector<std::pair<int64_t, int64_t>> valid_columns_;  // per filter column s (NCHW)
};

// Kernel time with the padding waste of the register block and the reduction, plus packing
// the unfolded input: whole vectors per pixel for NHWC with whole channel chunks, a call per
// few channels otherwise; for NCHW a run per output row segment, dearer for narrow images,
// gathered element by element at a stride; none where NCHW pointwise rows are read in place.
double estimate(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  const Brgemm& k = choose_kernel(pr, ctx);
  const bool nhwc = p.layout == Layout::nhwc;
  const int64_t q = pr.in_per_group() * p.kernel_h * p.kernel_w;
  const auto [rows, cols] = gemm_shape(pr);
  const double kernel = cost::macs(pr) * cost::tile_time(ctx, k, rows, cols) *
                        cost::padded(q, kInterleave) / 0.85;
  const double unfolded = double(p.batch * p.groups * q) * double(pr.out_h * pr.out_w);
  const double per_element =
      rows_in_place(pr, k, *ctx.kernels) ? 0.0
      : nhwc ? (pr.in_per_group() % kInterleave == 0 ? cost::kCopy : cost::kCopyScalar)
             : (p.stride_w == 1 ? 0.3 : cost::kCopyStrided) +
                   12.0 / double(std::min<int64_t>(pr.out_w, k.nr));
  return kernel + unfolded * per_element;
}

}  // namespace

constinit const Implementation im2col_gemm_implementation{
    "im2col_gemm",
    [](const Problem& pr, const Context& ctx) -> std::string {
      if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
      if (std::string r = beyond_fast_paths(pr); !r.empty()) return r;
      if (pr.op != Op::conv2d) return "conv2d only";
      return {};
    },
    estimate,
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<Im2colGemm>(pr, ctx, w, b);
    }};

}  // namespace svertka
