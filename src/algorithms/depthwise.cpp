#include "depthwise.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include <xmmintrin.h>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"
#include "../runtime/topology.hpp"
#include "blocking.hpp"
#include "cost.hpp"
#include "integer.hpp"

namespace svertka {
namespace {

constexpr int64_t kMaxRows = 64;            // filter rows (the row pointers live on the stack)
constexpr int64_t kBandBytes = 256 * 1024;  // the gathered input of one band stays in L2
constexpr int64_t kScratchFloats = 32 * 1024;  // NCHW phases' rows of a band, interleaved from L2

// Input columns first + i·stride, i < n, of a row: a phase's, from offset `at` of its row.
struct PhaseRun {
  int64_t first, at, n;
};

// Output pixels (oy0 + j·out_step_y, ox0 + i·out_step_x), j < rows, i < cols, as a depthwise
// convolution: pixel (j, i), filter tap (r, s) reads input (j·stride_y - pad_top + r·dil_y,
// i·stride_x - pad_left + s·dil_x); taps[r·kw + s] is the tap of the layer's filter it uses.
struct Pass {
  int64_t oy0, ox0, out_step_y, out_step_x, rows, cols;
  int64_t kh, kw, stride_y, stride_x, dil_y, dil_x, pad_top, pad_left;
  std::vector<int64_t> taps = {};
  int64_t interior_begin = 0, interior_end = 0;  // columns with every tap inside the image
  std::vector<std::pair<int64_t, int64_t>> strips = {};
  std::vector<int64_t> columns = {};  // NCHW: filter column s at columns[s] of a Rows row
};

// NCHW: how a task lays out the rows of one input plane for every pass: pad zeros, then the
// row, then zeros to row_len floats, split into stride phases of phase_len floats (padded
// column x at phase x mod stride, index x / stride); phase runs when strided. The passes of a
// transposed convolution are not strided and share the rows, each pass's columns shifted by
// the difference of pads.
struct Rows {
  int64_t pad = 0, stride = 1, phase_len = 0, row_len = 0;
  std::vector<PhaseRun> phases = {};
};

Rows lay_out_rows(std::vector<Pass>& passes, int64_t in_width) {
  Rows rows;
  rows.stride = passes[0].stride_x;  // one pass when strided
  for (const Pass& q : passes) rows.pad = std::max(rows.pad, q.pad_left);
  for (const Pass& q : passes) {
    rows.phase_len = std::max(rows.phase_len,
                              rows.pad - q.pad_left + ceil_div(q.cols, kPlaneSlack) * kPlaneSlack +
                                  std::max<int64_t>(0, q.kw - 1) * q.dil_x / q.stride_x + 1);
  }
  rows.row_len = rows.stride * rows.phase_len;
  for (Pass& q : passes)
    for (int64_t s = 0; s < q.kw; ++s) {
      const int64_t x = rows.pad - q.pad_left + s * q.dil_x;
      q.columns.push_back(x % rows.stride * rows.phase_len + x / rows.stride);
    }
  const int64_t count = std::min(in_width, rows.row_len - rows.pad);  // columns read at all
  for (int64_t ph = 0; ph < rows.stride && rows.stride > 1; ++ph) {  // (pad >= 0: a convolution)
    const int64_t first = ((ph - rows.pad) % rows.stride + rows.stride) % rows.stride;
    rows.phases.push_back({first, ph * rows.phase_len + (first + rows.pad) / rows.stride,
                           std::max<int64_t>(0, ceil_div(count - first, rows.stride))});
  }
  return rows;
}

// The taps of one axis for output phase o of a transposed convolution: input offsets
// (o + pad - r·dil) / stride where that divides, as (first offset, step, filter index of
// each, in increasing offset).
struct AxisTaps {
  int64_t count = 0, first = 0, step = 1;
  std::vector<int64_t> index;
};
AxisTaps phase_taps(int64_t o, int64_t pad, int64_t kernel, int64_t dil, int64_t stride) {
  AxisTaps a;
  for (int64_t r = kernel - 1; r >= 0; --r) {  // offsets grow as r falls
    const int64_t y = o + pad - r * dil;
    if (((y % stride) + stride) % stride == 0) a.index.push_back(r);
  }
  a.count = int64_t(a.index.size());
  if (a.count > 0) a.first = floor_div(o + pad - a.index[0] * dil, stride);
  a.step = dil / std::gcd(dil, stride);  // consecutive taps are stride/gcd filter steps apart
  return a;
}

std::vector<Pass> make_passes(const Problem& pr) {
  const ConvParams& p = pr.p;
  std::vector<Pass> passes;
  if (pr.op == Op::conv2d) {
    Pass pass{0, 0, 1, 1, pr.out_h, pr.out_w, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
              p.dilation_h, p.dilation_w, p.pad_top, p.pad_left, {}};
    pass.taps.resize(p.kernel_h * p.kernel_w);
    std::iota(pass.taps.begin(), pass.taps.end(), 0);
    passes.push_back(pass);
  } else {
    for (int64_t py = 0; py < std::min(p.stride_h, pr.out_h); ++py)
      for (int64_t px = 0; px < std::min(p.stride_w, pr.out_w); ++px) {
        const AxisTaps ty = phase_taps(py, p.pad_top, p.kernel_h, p.dilation_h, p.stride_h);
        const AxisTaps tx = phase_taps(px, p.pad_left, p.kernel_w, p.dilation_w, p.stride_w);
        Pass pass{py, px, p.stride_h, p.stride_w, ceil_div(pr.out_h - py, p.stride_h),
                  ceil_div(pr.out_w - px, p.stride_w), ty.count, tx.count, 1, 1, ty.step,
                  tx.step, -ty.first, -tx.first, {}};
        for (int64_t r : ty.index)
          for (int64_t s : tx.index) pass.taps.push_back(r * p.kernel_w + s);
        passes.push_back(pass);
      }
  }
  for (Pass& q : passes) {
    q.interior_begin = std::min(ceil_div(q.pad_left, q.stride_x), q.cols);
    q.interior_end = std::clamp(
        floor_div(p.in_width - 1 + q.pad_left - (q.kw - 1) * q.dil_x, q.stride_x) + 1,
        q.interior_begin, q.cols);
  }
  return passes;
}

class DepthwiseConv final : public Algorithm {
 public:
  DepthwiseConv(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr),
        table_(*ctx.kernels),
        threads_(ctx.threads),
        kernel_(ctx.kernels->depthwise),
        passes_(make_passes(pr)),
        rows_(lay_out_rows(passes_, pr.p.in_width)) {
    const ConvParams& p = pr.p;
    const int64_t width = kernel_.width, filter_taps = p.kernel_h * p.kernel_w;
    multiplier_ = pr.out_per_group();
    kp_ = ceil_div(p.out_channels, width) * width;
    out_in_place_ = p.layout == Layout::nhwc && kp_ == p.out_channels;
    in_place_ = out_in_place_ && multiplier_ == 1;
    // NCHW convolutions with output rows under 16 pixels (the plane kernel computes them in
    // one or two vectors a row, or in scratch rows when narrower than one) go through the NHWC
    // tiles instead, bands of rows transposed into channel blocks and back, unless padding the
    // channels to whole blocks would waste more than an eighth of the work or a band would
    // hold fewer than two output rows (its input rows then gathered again for each). Zen 3, one
    // thread, MobileNet's layers as planes and so: 512 channels at 14x14 stride 2 166 and
    // 57 us, at stride 1 135 and 116; 1024 at 7x7 160 and 74; 256 at 28x28 stride 2 127 and
    // 116, but 512 (one output row a band) 232 and 304; 28-pixel rows no faster (256 channels
    // at 28x28 158 and 164), wider ones slower (128 at 56x56 279 and 366).
    const Pass& pass0 = passes_[0];
    const int64_t row_bytes = p.in_width * kp_ * int64_t{sizeof(float)};  // a gathered row
    // The output rows of a pass whose gathered input rows keep within kBandBytes.
    const auto gathered_rows = [&](const Pass& q) {
      return (kBandBytes / row_bytes - q.kh) / q.stride_y;
    };
    blocked_ = p.layout == Layout::nchw && passes_.size() == 1 && multiplier_ == 1 &&
               pass0.cols < 16 && 8 * kp_ <= 9 * p.out_channels && gathered_rows(pass0) >= 2;
    // Per pass: NHWC [Kp/width][pass taps][width] with zero-padded channels, NCHW [K][pass
    // taps]. Both ops' weights are [K][1][R][S] in effect: depthwise transposed [C][m][R][S]
    // puts output channel c·m + j at row c·m + j too.
    for (const Pass& q : passes_) {
      pass_weights_.push_back(AlignedBuffer(std::max<int64_t>(1, kp_ * int64_t(q.taps.size()))));
      plane_weights_.emplace_back();
      const int64_t n = int64_t(q.taps.size());
      for (int64_t k = 0; k < p.out_channels; ++k)
        for (int64_t t = 0; t < n; ++t) {
          const float v = weights[k * filter_taps + q.taps[t]];
          pass_weights_.back().data()[(k / width * n + t) * width + k % width] = v;
          plane_weights_.back().push_back(v);
        }
    }
    // NCHW scratch: bands of pass rows whose scratch rows of all passes keep kScratchFloats.
    for (const Pass& q : passes_) {
      const int64_t vector = table_.vector_floats;
      scratch_ = scratch_ || q.out_step_x != 1 || q.cols < vector;
      scratch_width_ = std::max({scratch_width_, q.cols, vector});
    }
    const int64_t most_rows = passes_[0].rows;  // (pass rows fall with the output phase)
    scratch_band_ = std::clamp<int64_t>(
        kScratchFloats / (int64_t(passes_.size()) * scratch_width_), 1, most_rows);
    stream_ = p.layout == Layout::nchw && !blocked_ && scratch_ &&
              streams_output(pr, threads_, topology());
    bias_.assign(kp_, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    // Work items: bands of rows of each pass, small enough for gathered rows to stay in L2,
    // many enough for every thread.
    const int64_t want = wanted_tasks(ctx.tuning, threads_);
    for (int64_t q = 0; q < int64_t(passes_.size()); ++q) {
      Pass& pass = passes_[q];
      const int64_t fit = in_place_ ? pass.rows : std::max<int64_t>(1, gathered_rows(pass));
      int64_t band = std::clamp(
          ceil_div(p.batch * pass.rows * int64_t(passes_.size()), want), int64_t{1},
          std::min(fit, pass.rows));
      // NCHW through channel blocks: bands of 4 rows or more where they fit, though fewer
      // items than wanted, as each band transposes its kh - stride rows of halo again (512
      // channels at 14x14, two threads, Zen 3: bands of one row 80 us, of four 61, planes 66).
      if (blocked_) band = std::clamp<int64_t>(4, band, std::min(fit, pass.rows));
      // The passes of a transposed convolution read the same input rows in place: bands whose
      // rows stay in L2 while the passes' outputs stream past them (an eighth of it), each
      // band's passes one after another (items ordered below). Bilinear 2x, 64 channels at
      // 56x56 on Zen 3: 226 -> 208 us (the whole image a pass at a time read the input 4 times).
      if (in_place_ && passes_.size() > 1) {
        band = std::clamp(topology().l2_bytes / 8 / row_bytes, int64_t{1}, band);
      }
      for (int64_t j = 0; j < pass.rows; j += band) items_.push_back({q, j, std::min(pass.rows, j + band)});
      // Strips of whole tiles, as wide as lets the kh input rows of a strip stay in L1.
      const int64_t mr = kernel_.mr;
      const double pixel_bytes =  // double: a stride may be huge when the output is 1 wide
          double(std::max<int64_t>(1, pass.kh)) * double(kp_) * double(pass.stride_x) * sizeof(float);
      const int64_t step =
          std::max<int64_t>(1, int64_t(double(topology().l1d_bytes) / 2 / pixel_bytes / double(mr))) * mr;
      int64_t begin = 0;
      for (int64_t cut = step; cut + mr <= pass.cols; cut += step) {
        pass.strips.emplace_back(begin, cut);
        begin = cut;
      }
      pass.strips.emplace_back(begin, pass.cols);
    }
    std::stable_sort(items_.begin(), items_.end(),
                     [](const Item& a, const Item& b) { return a.j0 < b.j0; });
  }

  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    if (p.layout == Layout::nchw && !blocked_) {
      parallel_for(threads_, p.batch * p.out_channels,
                   [&](int64_t plane) { run_plane(plane, src, dst); });
      return;
    }
    const int64_t items = int64_t(items_.size());
    parallel_for(threads_, p.batch * items,
                 [&](int64_t task) { run_band(task / items, items_[task % items], src, dst); });
  }

  std::string describe() const override {
    std::string d = "depthwise " + std::string(table_.isa) + " " + std::to_string(kernel_.mr) +
                    "x" + std::to_string(kernel_.width);
    if (pr_.op == Op::conv_transpose2d) {
      d += " phases=" + std::to_string(pr_.p.stride_h) + "x" + std::to_string(pr_.p.stride_w);
    }
    return d + (blocked_ ? " channel blocks" : "") + (stream_ ? " output streamed" : "") +
           " threads=" + std::to_string(threads_);
  }

 private:
  struct Item {
    int64_t pass, j0, j1;
  };

  // Input rows [iy0, iy1) of image n into band [rows][W][Kp], padded channels: channel k holds
  // input channel k/m, zero past the last channel.
  void gather(const float* src, int64_t n, int64_t iy0, int64_t iy1, float* band) const {
    const ConvParams& p = pr_.p;
    const int64_t w = p.in_width;
    if (blocked_) return gather_planes(src, n, iy0, iy1, band);
    for (int64_t iy = iy0; iy < iy1; ++iy) {
      float* row = band + (iy - iy0) * w * kp_;
      const float* pixels = src + ((n * p.in_height + iy) * w) * p.in_channels;
      for (int64_t k = 0; k < kp_; ++k) {
        float* to = row + k;
        if (k >= p.out_channels) {
          for (int64_t ix = 0; ix < w; ++ix) to[ix * kp_] = 0.0f;
        } else {
          const float* from = pixels + k / multiplier_;
          for (int64_t ix = 0; ix < w; ++ix) to[ix * kp_] = from[ix * p.in_channels];
        }
      }
    }
  }

  // NCHW (blocked_: one output channel per input channel): the band's rows are consecutive
  // pixels of each plane, 8 channels x 8 pixels at a time through transposes in registers (the
  // last 8 pixels overlapping their neighbours), the rest one element at a time.
  void gather_planes(const float* src, int64_t n, int64_t iy0, int64_t iy1, float* band) const {
    const ConvParams& p = pr_.p;
    const int64_t c = p.in_channels, plane = p.in_height * p.in_width;
    const int64_t pixels = (iy1 - iy0) * p.in_width, c8 = pixels >= 8 ? c / 8 * 8 : 0;
    const float* in = src + n * c * plane + iy0 * p.in_width;  // channel 0's first pixel
    // 8 pixels of every channel at a time: the band's lines written whole, one after another
    // (8 channels along the pixels would write half of each line 1 KB apart, the lines of one
    // offset sharing a few L1 sets: a third slower).
    for (int64_t x = 0; x < pixels && c8 > 0; x += 8) {
      const int64_t at = std::min(x, pixels - 8);  // the last 8 overlapping their neighbours
      table_.transpose_tile(in + at, plane, c8, 8, band + at * kp_, kp_, 1);
    }
    for (int64_t x = 0; x < pixels; ++x) {
      float* to = band + x * kp_;
      for (int64_t k = c8; k < c; ++k) to[k] = in[k * plane + x];
      for (int64_t k = c; k < kp_; ++k) to[k] = 0.0f;
    }
  }

  // Rows [j0, j1) of one pass of image n, NHWC or (blocked_) NCHW.
  void run_band(int64_t n, const Item& item, const float* src, float* dst) const {
    const ConvParams& p = pr_.p;
    const Pass& q = passes_[item.pass];
    const int64_t iy0 = std::clamp<int64_t>(item.j0 * q.stride_y - q.pad_top, 0, p.in_height);
    const int64_t iy1 = std::clamp<int64_t>(
        (item.j1 - 1) * q.stride_y - q.pad_top + (q.kh - 1) * q.dil_y + 1, iy0, p.in_height);
    const int64_t band_floats = in_place_ ? 0 : (iy1 - iy0) * p.in_width * kp_;
    // Output: NHWC in place or through one pass row; NCHW the band's rows, then transposed into
    // the planes (which read whole blocks of 8 pixels: 8 more).
    const int64_t out_rows = blocked_ ? item.j1 - item.j0 : 1;
    const int64_t out_floats = out_in_place_ ? 0 : (out_rows * q.cols + 8) * kp_;
    float* band = thread_workspace(band_floats + out_floats);
    float* row_out = band + band_floats;
    if (!in_place_) gather(src, n, iy0, iy1, band);
    const int64_t in_stride = in_place_ ? p.in_channels : kp_;
    const float* rows[kMaxRows];
    DepthwiseRow d{rows, pass_weights_[item.pass].data(), bias_.data(), nullptr,
                   kp_ / kernel_.width, kernel_.width, 0, 0, q.interior_begin, q.interior_end,
                   in_stride, out_in_place_ ? q.out_step_x * p.out_channels : kp_, p.in_width,
                   q.kh, q.kw, q.stride_x, q.dil_x, q.pad_left};
    // Strips of pass columns, each slid down the band: the input of a strip (its columns of
    // kh rows, all channels) stays in L1 even with NHWC's power-of-two pixel stride, and
    // each new row brings one new input row from L2.
    for (const auto& [i0, i1] : q.strips) {
      d.ox_begin = i0;
      d.ox_end = i1;
      for (int64_t j = item.j0; j < item.j1; ++j) {
        for (int64_t r = 0; r < q.kh; ++r) {
          const int64_t iy = j * q.stride_y - q.pad_top + r * q.dil_y;
          rows[r] = iy < 0 || iy >= p.in_height ? nullptr
                    : in_place_ ? src + ((n * p.in_height + iy) * p.in_width) * in_stride
                                : band + (iy - iy0) * p.in_width * in_stride;
        }
        const int64_t oy = q.oy0 + j * q.out_step_y;
        float* out_row = dst + ((n * pr_.out_h + oy) * pr_.out_w + q.ox0) * p.out_channels;
        d.out = out_in_place_ ? out_row
                : blocked_    ? row_out + (j - item.j0) * q.cols * kp_
                              : row_out;
        kernel_.run(d);
        if (!out_in_place_ && !blocked_) store_row(row_out, kp_, i0, i1, q, n, oy, dst);
      }
    }
    if (!blocked_) return;
    // The band's output rows, consecutive pixels of each plane, into the planes.
    const int64_t plane = pr_.out_h * pr_.out_w;
    table_.transpose_tile(row_out, kp_, (item.j1 - item.j0) * q.cols, p.out_channels,
                          dst + n * p.out_channels * plane + item.j0 * pr_.out_w, plane, 1);
  }

  // Pass columns [i0, i1) of NHWC output row oy from a buffer with channel stride 1 and pixel
  // stride `stride`.
  void store_row(const float* from, int64_t stride, int64_t i0, int64_t i1, const Pass& q,
                 int64_t n, int64_t oy, float* dst) const {
    const ConvParams& p = pr_.p;
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t ox = q.ox0 + i * q.out_step_x;
      table_.copy_floats(from + i * stride, p.out_channels,
                         dst + ((n * pr_.out_h + oy) * pr_.out_w + ox) * p.out_channels);
    }
  }

  // NCHW: output plane (n, k) from input plane (n, k/m), vectorised along rows, from the input
  // plane's rows laid out as rows_ says in the task workspace, followed by a row of zeros (the
  // rows above and below the image). Passes whose pixels are strided in the output (the phases
  // of a transposed convolution), or rows narrower than a vector, go to scratch rows first, a
  // band of rows of every pass at a time, then into the output rows, phases interleaved.
  void run_plane(int64_t plane, const float* src, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t n = plane / p.out_channels, k = plane % p.out_channels;
    const int64_t vector = table_.vector_floats, passes = int64_t(passes_.size());
    const float* in = src + (n * p.in_channels + k / multiplier_) * p.in_height * p.in_width;
    float* out = dst + (n * p.out_channels + k) * pr_.out_h * pr_.out_w;
    const int64_t row_len = rows_.row_len, input_floats = (p.in_height + 1) * row_len;
    const int64_t pass_floats = scratch_band_ * scratch_width_;  // one pass's scratch rows
    float* rows = thread_workspace(input_floats + (scratch_ ? passes * pass_floats : 0));
    float* zero = rows + p.in_height * row_len;
    float* scratch = rows + input_floats;
    table_.zero_floats(rows, input_floats);  // at once: cheaper than calls per row
    const int64_t sw = rows_.stride;
    if (sw == 1) {  // row[x] = input column x - pad in [lo, hi)
      const int64_t lo = std::clamp<int64_t>(rows_.pad, 0, row_len);
      const int64_t hi = std::clamp<int64_t>(rows_.pad + p.in_width, lo, row_len);
      table_.copy_rows(in + lo - rows_.pad, p.in_width, p.in_height, hi - lo, rows + lo, row_len,
                       false);
    }
    if (sw == 2) {  // the even input columns to one phase, the odd ones to the other
      const PhaseRun& even = rows_.phases[rows_.phases[0].first == 0 ? 0 : 1];
      const PhaseRun& odd = rows_.phases[rows_.phases[0].first == 0 ? 1 : 0];
      table_.split_columns(in, p.in_width, p.in_height, even.n + odd.n, rows + even.at,
                           rows + odd.at, row_len);
    }
    if (sw > 2) {
      for (int64_t iy = 0; iy < p.in_height; ++iy)
        for (const PhaseRun& run : rows_.phases) {
          const float* from = in + iy * p.in_width + run.first;
          float* to = rows + iy * row_len + run.at;
          for (int64_t i = 0; i < run.n; ++i) to[i] = from[i * sw];
        }
    }
    // Pass (py, px) is number py·nx + px; output row oy holds row oy / step_y of the passes
    // (oy mod step_y, px), pixel px + i·nx from pixel i of pass px.
    const int64_t step_y = passes_[0].out_step_y, nx = std::min(passes_[0].out_step_x, pr_.out_w);
    const int64_t whole = pr_.out_w / nx;  // pixels of every pass in the row
    const int64_t band = scratch_ ? scratch_band_ : passes_[0].rows;
    for (int64_t j0 = 0; j0 < passes_[0].rows; j0 += band) {
      for (int64_t qi = 0; qi < passes; ++qi) {
        const Pass& q = passes_[qi];
        if (j0 >= q.rows) continue;
        float* first = out + q.oy0 * pr_.out_w + q.ox0;  // (j0 = 0 when not through scratch)
        DepthwisePlane d{.in = rows, .zero = zero, .columns = q.columns.data(),
                         .weights = plane_weights_[qi].data() + k * int64_t(q.taps.size()),
                         .bias = bias_[k], .out = scratch_ ? scratch + qi * pass_floats : first,
                         .rows = std::min(band, q.rows - j0), .out_w = std::max(q.cols, vector),
                         .out_stride = scratch_ ? scratch_width_ : q.out_step_y * pr_.out_w,
                         .in_height = p.in_height, .row_len = row_len, .kernel_h = q.kh,
                         .kernel_w = q.kw, .stride_h = q.stride_y, .dil_h = q.dil_y,
                         .pad_top = q.pad_top - j0 * q.stride_y};
        kernel_.run_plane(d);
      }
      if (!scratch_) continue;
      for (int64_t oy = j0 * step_y; oy < std::min(pr_.out_h, (j0 + band) * step_y); ++oy) {
        const float* from =
            scratch + oy % step_y * nx * pass_floats + (oy / step_y - j0) * scratch_width_;
        float* to = out + oy * pr_.out_w;
        table_.interleave_rows(from, pass_floats, nx, whole, to, stream_);
        for (int64_t x = whole * nx; x < pr_.out_w; ++x) to[x] = from[x % nx * pass_floats + whole];
      }
    }
    if (stream_) _mm_sfence();  // the plane's streamed stores before its end is signalled
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  const svertka::Depthwise& kernel_;
  std::vector<Pass> passes_;
  Rows rows_;
  std::vector<Item> items_;
  int64_t multiplier_ = 1, kp_ = 0;
  bool in_place_ = false, out_in_place_ = false;  // NHWC read or written where it is
  bool blocked_ = false;  // NCHW convolution through the NHWC tiles (run_band), not run_plane
  // NCHW: whether passes go through scratch rows, scratch_width_ floats each, scratch_band_
  // pass rows at a time.
  int64_t scratch_width_ = 0, scratch_band_ = 1;
  bool scratch_ = false;
  bool stream_ = false;  // scratch rows interleaved into the output non-temporally (blocking.hpp)
  std::vector<AlignedBuffer> pass_weights_;       // NHWC, per pass
  std::vector<std::vector<float>> plane_weights_;  // NCHW, per pass
  std::vector<float> bias_;
};

}  // namespace

constinit const Implementation depthwise_implementation{
    "depthwise",
    [](const Problem& pr, const Context& ctx) -> std::string {
      if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
      if (std::string r = beyond_fast_paths(pr); !r.empty()) return r;
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
