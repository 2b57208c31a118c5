#include "direct.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <utility>
#include <vector>

#include <xmmintrin.h>

#include "../runtime/aligned_buffer.hpp"
#include "../runtime/threads.hpp"
#include "../runtime/topology.hpp"
#include "blocking.hpp"
#include "cost.hpp"
#include "gemm_driver.hpp"
#include "integer.hpp"

namespace svertka {
namespace {

constexpr int64_t U = kInterleave;
constexpr int64_t kMaxTaps = 64;           // the batch of one tile lives on the stack
constexpr int64_t kPackedBytes = 1 << 20;  // packed border tiles per thread

// A compiled kernel of MR = m rows, NR = nr columns and A rows `row` floats apart, if the table
// has one (row = U: a GEMM block; other rows: a direct one); others run through a block's
// rows form, which takes the row stride at run time.
const Brgemm* fixed_kernel(const KernelTable& t, int64_t m, int64_t nr, int64_t row) {
  for (const auto* list : {&t.gemm, &t.direct}) {
    for (const Brgemm& k : *list) {
      if (k.mr == m && k.nr == nr && k.row == row) return &k;
    }
  }
  return nullptr;
}

struct Tap {
  int64_t dy, dx;  // input offset at pass pixel (0, 0)
  int64_t r, s;    // filter tap
};

// Pixels [lo, hi) of a tile, counted from its first, and the taps (bit t: taps[t]) that read
// inside the image sideways at every one of them.
struct Group {
  int64_t lo, hi;
  uint64_t taps;
  bool operator==(const Group&) const = default;
};

// `tiles` tiles of m pass pixels from column x0 that multiply alike: groups[0] spans the tile,
// with the taps that stay inside across it (maybe none: bias only), and each other group adds
// the taps that stay inside over part of it. A tap that enters or leaves the image within a
// tile is multiplied over just the pixels where it reads the image: no padding tap is computed
// and no input copied (ResNet's 3x3 layers at 14x14 and 7x7 have 9% and 18% of their taps
// there).
struct Run {
  int64_t x0, m, tiles;
  std::vector<Group> groups;
};

struct Pass {
  int64_t oy0, ox0, out_step_y, out_step_x;  // output pixel of pass pixel (j, i)
  int64_t rows, cols;                        // pass pixels
  int64_t in_step_y, in_step_x;              // input step per pass pixel
  std::vector<Tap> taps;
  std::vector<Run> runs;  // in-place tiles over all columns, in order
  bool packed = false;    // narrow rows: pixels gathered into packed tiles instead of runs
  int64_t weights = 0;    // offset of its B panels [G][KB][taps][Cgp][NR]

  // Bit t set when taps[t] reads an input row of pass row j that lies inside the image.
  uint64_t row_taps(int64_t j, int64_t in_height) const {
    uint64_t mask = 0;
    for (size_t t = 0; t < taps.size(); ++t) {
      const int64_t iy = j * in_step_y + taps[t].dy;
      if (iy >= 0 && iy < in_height) mask |= uint64_t{1} << t;
    }
    return mask;
  }
};

// The columns of a pass in near-equal tiles of at most mr pixels (none narrower than another by
// more than one, none computed twice: 49 = 13 + 3·12, 16 = 2·8), and per tile the pixels over
// which each tap reads inside the image.
std::vector<Run> make_runs(const Pass& pass, int64_t in_width, int64_t mr) {
  const size_t n_taps = pass.taps.size();
  std::vector<int64_t> lo(n_taps), hi(n_taps);  // pixels [lo, hi) of the row read inside
  for (size_t t = 0; t < n_taps; ++t) {
    const int64_t dx = pass.taps[t].dx, step = pass.in_step_x;
    lo[t] = std::clamp(ceil_div(-dx, step), int64_t{0}, pass.cols);
    hi[t] = std::clamp(floor_div(in_width - 1 - dx, step) + 1, lo[t], pass.cols);
  }
  const int64_t n = ceil_div(pass.cols, mr), wide = pass.cols % n;
  std::vector<Run> runs;
  for (int64_t i = 0, x0 = 0; i < n; ++i) {
    const int64_t m = pass.cols / n + (i < wide ? 1 : 0);
    Run tile{x0, m, 1, {{0, m, 0}}};
    for (size_t t = 0; t < n_taps; ++t) {
      const int64_t a = std::max(lo[t], x0) - x0, b = std::min(hi[t], x0 + m) - x0;
      if (a >= b) continue;
      auto group = std::find_if(tile.groups.begin(), tile.groups.end(),
                                [&](const Group& q) { return q.lo == a && q.hi == b; });
      if (group == tile.groups.end()) group = tile.groups.insert(group, {a, b, 0});
      group->taps |= uint64_t{1} << t;
    }
    if (!runs.empty() && runs.back().m == m && runs.back().groups == tile.groups) {
      ++runs.back().tiles;
    } else {
      runs.push_back(tile);
    }
    x0 += m;
  }
  return runs;
}

// Multiply-adds of a pass over a channel block, relative to the FMA peak: in place, each group's
// pixels and taps at the rate of its height (a tile of 4 pixels x 32 channels keeps 8
// accumulators, too few for full rate); packed, every tap of MR-pixel tiles at 1.1x (the copy).
double in_place_work(const Pass& pass, const Context& ctx, int64_t nr, int64_t in_height) {
  double work = 0;
  for (int64_t j = 0; j < pass.rows; ++j) {
    const uint64_t rows = pass.row_taps(j, in_height);
    for (const Run& run : pass.runs)
      for (const Group& q : run.groups) {
        work += double(run.tiles * (q.hi - q.lo) * std::popcount(rows & q.taps)) *
                cost::fma_rate(ctx) / cost::fma_rate(ctx, int(q.hi - q.lo), int(nr));
      }
  }
  return work;
}
double packed_work(const Pass& pass, const Context& ctx, const Brgemm& k) {
  return 1.1 * double(pass.taps.size()) * double(round_up(pass.rows * pass.cols, k.mr)) *
         cost::fma_rate(ctx) / cost::fma_rate(ctx, k);
}

// A convolution is one pass; a transposed convolution one pass per output phase. Each pass in
// register block k's tiles, in place or packed, whichever costs less.
std::vector<Pass> make_passes(const Problem& pr, const Context& ctx, const Brgemm& k) {
  const ConvParams& p = pr.p;
  std::vector<Pass> passes;
  if (pr.op == Op::conv2d) {
    Pass pass{0, 0, 1, 1, pr.out_h, pr.out_w, p.stride_h, p.stride_w, {}, {}};
    for (int64_t r = 0; r < p.kernel_h; ++r)
      for (int64_t s = 0; s < p.kernel_w; ++s) {
        pass.taps.push_back({r * p.dilation_h - p.pad_top, s * p.dilation_w - p.pad_left, r, s});
      }
    passes.push_back(pass);
  } else {
    // Output row oy takes filter row r from input row (oy + pad_top - r·dh) / sh when that
    // divides: the same taps for every row of the phase oy mod sh.
    for (int64_t py = 0; py < std::min(p.stride_h, pr.out_h); ++py)
      for (int64_t px = 0; px < std::min(p.stride_w, pr.out_w); ++px) {
        Pass pass{py, px, p.stride_h, p.stride_w, ceil_div(pr.out_h - py, p.stride_h),
                  ceil_div(pr.out_w - px, p.stride_w), 1, 1, {}, {}};
        for (int64_t r = 0; r < p.kernel_h; ++r) {
          const int64_t y = py + p.pad_top - r * p.dilation_h;
          if (((y % p.stride_h) + p.stride_h) % p.stride_h != 0) continue;
          for (int64_t s = 0; s < p.kernel_w; ++s) {
            const int64_t x = px + p.pad_left - s * p.dilation_w;
            if (((x % p.stride_w) + p.stride_w) % p.stride_w != 0) continue;
            pass.taps.push_back({floor_div(y, p.stride_h), floor_div(x, p.stride_w), r, s});
          }
        }
        passes.push_back(pass);
      }
  }
  for (Pass& pass : passes) {
    pass.runs = make_runs(pass, p.in_width, k.mr);
    pass.packed = packed_work(pass, ctx, k) < in_place_work(pass, ctx, k.nr, p.in_height);
  }
  return passes;
}

// The weights of one block of NR output channels: every tap of a pass over the group's
// input channels.
double block_bytes(const Problem& pr, const std::vector<Pass>& passes, int64_t nr) {
  size_t taps = 1;
  for (const Pass& q : passes) taps = std::max(taps, q.taps.size());
  return double(int64_t(taps) * round_up(pr.in_per_group(), U) * nr) * sizeof(float);
}

// Input pixels between neighbouring pixels of a pass: the stride, or 1 for phases.
int64_t input_step(const Problem& pr) { return pr.op == Op::conv2d ? pr.p.stride_w : 1; }

// Floats between neighbouring pass pixels' inputs when the input is reordered into channel
// blocks [H][C/U][W][U], and when NHWC input with one group and whole channel blocks is read
// in place (0: not possible). Strides beyond the fast-path limit are left to other algorithms
// before this multiplies.
int64_t blocked_row(const Problem& pr) { return U * input_step(pr); }
int64_t in_place_row(const Problem& pr) {
  const ConvParams& p = pr.p;
  const bool nhwc_whole_channels =
      p.layout == Layout::nhwc && p.groups == 1 && p.in_channels % U == 0;
  return nhwc_whole_channels ? p.in_channels * input_step(pr) : 0;
}

std::string why_not(const Problem& pr, const Context& ctx) {
  if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
  if (std::string r = beyond_fast_paths(pr); !r.empty()) return r;
  if (pr.p.kernel_h * pr.p.kernel_w > kMaxTaps) return "more than 64 filter taps";
  return {};
}

// Weights beyond half of L2 come from L3 for every image. When that takes longer than the
// FMAs, a panel read by several tiles arrives in bursts, the first tile waiting on L3 while the
// others read L2; one tile per panel streams it evenly (DCGAN's first layer: 8.4 MB of weights
// for 16 pixels a phase, 16-pixel tiles 15% faster than 8-pixel ones). The share of the excess
// that bursts cost: all but one tile's.
double streaming(const Problem& pr, const Context& ctx, const Brgemm& k) {
  const int64_t cgp = round_up(pr.in_per_group(), U), kgp = round_up(pr.out_per_group(), k.nr);
  double bytes = 0, bursts = 0;
  for (const Pass& pass : make_passes(pr, ctx, k)) {
    const double weights = double(int64_t(pass.taps.size()) * cgp * kgp) * sizeof(float);
    const double tiles = double(ceil_div(pass.rows * pass.cols, k.mr));
    bytes += weights;
    bursts += weights * (1.0 - 1.0 / std::max(1.0, tiles));
  }
  if (cost::streamed_from_l3(bytes) == 0) return 0.0;
  const double excess = bytes / cost::kL3Bytes - cost::macs(pr) / double(pr.p.batch * pr.p.groups) /
                                                      cost::fma_rate(ctx);
  return std::max(0.0, excess) * bursts / bytes * double(pr.p.batch * pr.p.groups);
}

// Kernel time with register block k: the multiply-adds its tiles compute against those of the
// problem (in_place_work, packed_work), padding waste in both channel counts, blocked rows 16
// apart and tiles whose input leaves L1 slower, the reorder of the input unless it is read in
// place and, for NCHW, the transposed stores.
double estimate_with(const Problem& pr, const Context& ctx, const Brgemm& k) {
  const ConvParams& p = pr.p;
  const bool in_place = in_place_row(pr) != 0;
  const std::vector<Pass> passes = make_passes(pr, ctx, k);
  double useful = 0, computed = 0;
  for (const Pass& pass : passes) {
    useful += double(pass.rows * pass.cols) * double(pass.taps.size());
    computed +=
        pass.packed ? packed_work(pass, ctx, k) : in_place_work(pass, ctx, k.nr, p.in_height);
  }
  const bool strided = pr.op == Op::conv2d && p.stride_w > 1 && !in_place;
  // A tile's input over one tap is MR pixels x the group's channels.
  const double kernel = cost::macs(pr) * cost::padded(pr.out_per_group(), k.nr) *
                        cost::padded(pr.in_per_group(), U) / cost::fma_rate(ctx) / 0.9 *
                        (strided ? 1.15 : 1.0) *
                        cost::broadcasts_from_l2(k.mr, round_up(pr.in_per_group(), U)) *
                        (useful > 0 ? computed / useful : 1.0);
  const bool nhwc = p.layout == Layout::nhwc;
  const double reorder =
      in_place ? 0.0 : double(pr.src().size()) * (nhwc ? cost::kCopy : cost::kCopyStrided);
  const double stores = nhwc ? 0.0 : double(pr.dst().size()) * cost::kCopyStrided / 2;
  return kernel + reorder + stores;
}

// The register block: the tuned one, else the cheapest by the model, weight streaming included
// (a 16-wide phase runs as two 8-row tiles, not 14 + 2; as one 16-row tile when its weights
// stream from L3).
const Brgemm& choose_gemm(const Problem& pr, const Context& ctx) {
  const KernelTable& t = *ctx.kernels;
  if (!ctx.tuning.kernel.empty()) return tuned_gemm(t, ctx.tuning.kernel);
  const Brgemm* best = &t.gemm[0];
  double best_cost = estimate_with(pr, ctx, *best) + streaming(pr, ctx, *best);
  for (const Brgemm& k : t.gemm) {
    const double cost = estimate_with(pr, ctx, k) + streaming(pr, ctx, k);
    if (cost < best_cost) best = &k, best_cost = cost;
  }
  return *best;
}

double estimate(const Problem& pr, const Context& ctx) {
  return estimate_with(pr, ctx, choose_gemm(pr, ctx));
}

class Direct final : public Algorithm {
 public:
  Direct(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr),
        table_(*ctx.kernels),
        threads_(ctx.threads),
        gemm_(choose_gemm(pr, ctx)),
        in_place_(in_place_row(pr) != 0),
        passes_(make_passes(pr, ctx, gemm_)) {
    const ConvParams& p = pr.p;
    cg_ = pr.in_per_group();
    kg_ = pr.out_per_group();
    cgp_ = ceil_div(cg_, U) * U;
    kb_ = ceil_div(kg_, gemm_.nr);
    row_ = in_place_ ? in_place_row(pr) : blocked_row(pr);
    for (int64_t m = 0; m <= gemm_.mr; ++m) {
      fixed_.push_back(fixed_kernel(table_, m, gemm_.nr, row_));
    }
    // Where input pixel (iy, ix), channel block cb of one image and group lies.
    pixel_stride_ = in_place_ ? p.in_channels : U;
    block_stride_ = in_place_ ? U : p.in_width * U;
    row_stride_ = cgp_ * p.in_width;
    image_ = cgp_ * p.in_height * p.in_width;
    pack_weights(weights);
    bias_.assign(p.out_channels + gemm_.nr, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, bias_.begin());
    want_ = wanted_tasks(ctx.tuning, threads_);
    stream_ = p.layout == Layout::nchw && streams_output(pr, threads_, topology()) &&
              std::all_of(passes_.begin(), passes_.end(),
                          [](const Pass& q) { return q.out_step_x == 1; });
    plan_items();
    packed_ = &packed_kernel();
    const double bytes = block_bytes(pr, passes_, gemm_.nr);
    kb_per_pass_ = std::max<int64_t>(1, int64_t(double(topology().l2_bytes) / 2 / bytes));
  }

  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    const float* blocked = src;  // NHWC read in place: the image stride is the same
    if (!in_place_) {
      // Rows in pieces when they are fewer than the tasks wanted (a pointwise layer is one).
      float* to = thread_workspace(p.batch * p.groups * image_, Workspace::execution);
      const int64_t rows = p.batch * p.groups * p.in_height;
      const int64_t pieces = std::clamp(ceil_div(want_, rows), int64_t{1}, ceil_div(p.in_width, 64));
      const int64_t width = ceil_div(p.in_width, pieces);
      parallel_for(threads_, rows * pieces, [&](int64_t task) {
        const int64_t x0 = task % pieces * width;
        reorder_row(src, task / pieces, x0, std::min(p.in_width, x0 + width), to);
      });
      blocked = to;
    }
    const int64_t items = int64_t(items_.size());
    parallel_for(threads_, p.batch * p.groups * items, [&](int64_t task) {
      const int64_t ng = task / items;
      run(ng / p.groups, ng % p.groups, items_[task % items], blocked + ng * image_, dst);
      if (stream_) _mm_sfence();  // the task's streamed stores before its end is signalled
    });
  }

  std::string describe() const override {
    std::string d = "direct " + std::string(table_.isa) + " " + std::to_string(gemm_.mr) + "x" +
                    std::to_string(gemm_.nr);
    if (std::any_of(passes_.begin(), passes_.end(), [](const Pass& q) { return q.packed; })) {
      d += " packed " + std::to_string(packed_->mr) + "x" + std::to_string(packed_->nr);
    }
    if (pr_.op == Op::conv_transpose2d) {
      d += " phases=" + std::to_string(pr_.p.stride_h) + "x" + std::to_string(pr_.p.stride_w);
      const bool gemm = std::all_of(passes_.begin(), passes_.end(),
                                    [](const Pass& q) { return q.taps.size() <= 1; });
      if (gemm) d += " (1x1 phases: GEMM)";
    }
    return d + (stream_ ? " output streamed" : "") + " threads=" + std::to_string(threads_);
  }

 private:
  struct Item {
    int64_t pass, j0, j1;  // pass rows
    int64_t c0, c1;        // pass columns
    int64_t kb0, kb1;      // blocks of NR output channels
  };
  struct Pixel {
    int64_t oy, ox;
  };

  // Work items, want_ of them or more: the output channels in g groups of blocks times the
  // rows in bands. Each item reads its band's input and its group's weights, so the layer reads
  // its input g times and, when the weights do not stay in half of L2, its weights once per
  // band: the g with the least of that traffic among those that make enough items. Weights
  // that fit are split only when bands are too few; weights much larger than the input, into
  // as many groups as tasks (each then streams only its share of them, once). Between the two,
  // at two threads (16 items): ResNet's stride-2 3x3 layer (0.6 MB of weights, 1.6 MB of input)
  // in 2 groups x 8 bands, not 16 groups, 147 -> 157 GFLOP/s; its stride-2 1x1 layer (0.5 MB,
  // a quarter of 3.2 MB read) in 4 x 4, 136 -> 158 (Zen 3, suite runs before and after).
  // A pointwise layer is one row of H·W pixels (problem.hpp): its bands are pieces of that
  // row, whole tiles from its start, the last piece to its end. The phases of a transposed
  // convolution go band by band, all phases of a band together. Each band reads all phases'
  // weights again, and each group of channel blocks the band's input: NCHW bands have their
  // output rows in half of L2 (an output line holding several phases is then completed while
  // cached, not fetched again by every phase); NHWC output lines hold one phase, and bands
  // that short pay only when the input outweighs the weights (U-Net's 2x2 layers, one band
  // against bands of a row: 1024 -> 512 channels at 28x28, 8 MB of weights for 3.2 MB of
  // input, 55 -> 77 GFLOP/s; 256 -> 128 at 112x112, 0.5 MB for 12.8 MB, 74 -> 60).
  void plan_items() {
    const ConvParams& p = pr_.p;
    const int64_t want = want_;
    const int64_t units = p.batch * p.groups * int64_t(passes_.size());
    int64_t rows = 1;
    for (const Pass& q : passes_) rows = std::max(rows, q.rows);
    const Pass& pass0 = passes_[0];
    const bool one_row = passes_.size() == 1 && pass0.rows == 1 && !pass0.packed;
    std::vector<int64_t> starts;  // of one_row's tiles, and its end
    for (const Run& run : pass0.runs)
      for (int64_t t = 0; t < run.tiles && one_row; ++t) starts.push_back(run.x0 + t * run.m);
    starts.push_back(pass0.cols);
    const int64_t pieces = one_row ? int64_t(starts.size()) - 1 : rows;
    const double weight_bytes = double(weights_.size()) * sizeof(float) / double(p.groups);
    const double stride = pr_.op == Op::conv2d ? double(p.stride_h * p.stride_w) : 1.0;
    // The share of the input's pixels read: a 1x1 filter at stride 2 reads a quarter.
    const double read = std::min(1.0, double(p.kernel_h * p.kernel_w) / stride);
    const double input_bytes = double(image_) * sizeof(float) * read;
    const double streamed = cost::streamed_from_l3(weight_bytes);
    int64_t kb_per = kb_;
    double least = std::numeric_limits<double>::infinity();
    for (int64_t g = 1; g <= kb_; ++g) {  // (g = kb_ always qualifies)
      const int64_t per = ceil_div(kb_, g), bands = ceil_div(want, units * g);
      if (ceil_div(kb_, per) != g || (bands > pieces && g < kb_)) continue;
      const double traffic = double(g) * input_bytes + double(bands) * streamed;
      if (traffic < least) least = traffic, kb_per = per;
    }
    const int64_t bands = ceil_div(want, units * ceil_div(kb_, kb_per));
    int64_t band = std::clamp(ceil_div(rows, bands), int64_t{1}, rows);
    const int64_t passes = int64_t(passes_.size());
    auto add = [&](int64_t q, int64_t j, int64_t kb) {
      if (j < passes_[q].rows) {
        items_.push_back({q, j, std::min(passes_[q].rows, j + band), 0, passes_[q].cols, kb,
                          std::min(kb_, kb + kb_per)});
      }
    };
    if (one_row) {
      const int64_t per = std::clamp(ceil_div(pieces, bands), int64_t{1}, pieces);
      for (int64_t kb = 0; kb < kb_; kb += kb_per)
        for (int64_t t = 0; t < pieces; t += per) {
          const int64_t end = t + 2 * per > pieces ? pieces : t + per;  // the last takes the rest
          items_.push_back({0, 0, 1, starts[t], starts[end], kb, std::min(kb_, kb + kb_per)});
          if (end == pieces) break;
        }
    } else if (passes == 1) {
      for (int64_t kb = 0; kb < kb_; kb += kb_per)
        for (int64_t j = 0; j < rows; j += band) add(0, j, kb);
    } else {
      const double row_bytes = double(p.stride_h) * double(pr_.out_w) * double(p.out_channels) * 4;
      if (p.layout == Layout::nchw || weights_.size() <= pr_.src().size() / p.batch) {
        band = std::clamp(int64_t(double(topology().l2_bytes) / 2 / row_bytes), int64_t{1}, band);
      }
      for (int64_t j = 0; j < rows; j += band)
        for (int64_t q = 0; q < passes; ++q)
          for (int64_t kb = 0; kb < kb_; kb += kb_per) add(q, j, kb);
    }
  }

  // The register block for the packed (border) pixels: same NR, so the same B panels, and the
  // MR that pads the items' packed pixels least, counting 2 B loads per MR broadcasts. Narrow
  // images are all border (DCGAN's 4x4 phases: 16 pixels, two 8-row tiles, not 14 + 2).
  const Brgemm& packed_kernel() const {
    const Brgemm* best = nullptr;
    double best_cost = 0;
    for (const Brgemm& k : table_.gemm) {
      if (k.nr != gemm_.nr) continue;
      double cost = 0;
      for (const Item& item : items_) {
        const Pass& pass = passes_[item.pass];
        const int64_t border = pass.packed ? (item.j1 - item.j0) * pass.cols : 0;
        cost += double(round_up(border, k.mr)) * (1.0 + 2.0 / k.mr);
      }
      if (!best || cost < best_cost) best = &k, best_cost = cost;
    }
    return *best;
  }

  // Per pass, [G][Kg/NR][taps][Cgp][NR]: the B panel of each tap for an NR block of output
  // channels, reduction over the group's input channels. Weights are PyTorch's: conv
  // [K][C/G][R][S], transposed [C][K/G][R][S].
  void pack_weights(const float* w) {
    const ConvParams& p = pr_.p;
    const int64_t nr = gemm_.nr, taps = p.kernel_h * p.kernel_w;
    int64_t total = 0;
    for (Pass& pass : passes_) {
      pass.weights = total;
      total += p.groups * kb_ * int64_t(pass.taps.size()) * cgp_ * nr;
    }
    weights_ = AlignedBuffer(std::max<int64_t>(total, 1));
    for (const Pass& pass : passes_) {
      const int64_t n_taps = int64_t(pass.taps.size());
      for (int64_t g = 0; g < p.groups; ++g)
        for (int64_t k = 0; k < kg_; ++k)
          for (int64_t c = 0; c < cg_; ++c)
            for (int64_t t = 0; t < n_taps; ++t) {
              const int64_t tap = pass.taps[t].r * p.kernel_w + pass.taps[t].s;
              const int64_t from = pr_.op == Op::conv2d ? ((g * kg_ + k) * cg_ + c) * taps + tap
                                                        : ((g * cg_ + c) * kg_ + k) * taps + tap;
              weights_.data()[pass.weights + (((g * kb_ + k / nr) * n_taps + t) * cgp_ + c) * nr +
                              k % nr] = w[from];
            }
    }
  }

  // Columns [x0, x1) of one input row of one image and group into channel blocks
  // [Cgp/U][W][U] (the image is [H][Cgp/U][W][U]: a tile's channel blocks lie one row apart, a
  // filter row's input rows stay together in cache), zero-padded channels.
  void reorder_row(const float* src, int64_t row, int64_t x0, int64_t x1, float* blocked) const {
    const ConvParams& p = pr_.p;
    const int64_t iy = row % p.in_height, g = row / p.in_height % p.groups;
    const int64_t n = row / p.in_height / p.groups;
    const int64_t plane = p.in_height * p.in_width, w = p.in_width;
    float* out = blocked + (n * p.groups + g) * image_ + iy * cgp_ * w;
    if (p.layout == Layout::nhwc) {
      const float* in = src + ((n * p.in_height + iy) * w) * p.in_channels + g * cg_;
      const int64_t whole = cg_ / U, rest = cg_ % U;
      for (int64_t x = x0; x < x1; ++x) {
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
      int64_t x = x0;  // a whole block's columns 8 at a time through 8x8 transposes (which read
                       // 8 rows and 8 columns), the rest one element at a time
      if ((cb + 1) * U <= cg_) {
        const int64_t n8 = (x1 - x0) / 8 * 8;
        table_.transpose_tile(in + cb * U * plane + x0, plane, U, n8, to + x0 * U, U, 1);
        x += n8;
      }
      for (int64_t u = 0; u < U; ++u) {
        const int64_t c = cb * U + u;
        if (c < cg_) {
          const float* from = in + c * plane;
          for (int64_t i = x; i < x1; ++i) to[i * U + u] = from[i];
        } else {
          for (int64_t i = x; i < x1; ++i) to[i * U + u] = 0.0f;
        }
      }
    }
  }

  // Stores the MR x NR tile t (pixels x the channels of NR block kb) for its first m pixels,
  // in the user's layout. Overlapping tiles store equal values.
  template <class PixelAt>
  void store(const float* t, int64_t m, PixelAt pixel, int64_t n, int64_t g, int64_t kb,
             float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t nr = gemm_.nr, k0 = g * kg_ + kb * nr;
    const int64_t cols = std::min(nr, kg_ - kb * nr);
    if (p.layout == Layout::nhwc) {
      for (int64_t i = 0; i < m; ++i) {
        const Pixel px = pixel(i);
        float* c = dst + ((n * pr_.out_h + px.oy) * pr_.out_w + px.ox) * p.out_channels + k0;
        table_.copy_floats(t + i * nr, cols, c);
      }
      return;
    }
    // NCHW: plane by plane, so that consecutive stores stay in one plane's lines and pages.
    int64_t at[64];
    for (int64_t i = 0; i < m; ++i) {
      const Pixel px = pixel(i);
      at[i] = px.oy * pr_.out_w + px.ox;
    }
    const int64_t plane = pr_.out_h * pr_.out_w;
    // Pixels equally apart (a row of a convolution or of a phase): transposed in registers.
    const int64_t step = m > 1 ? at[1] - at[0] : 1;
    bool even = step >= 1;
    for (int64_t i = 1; i < m && even; ++i) even = at[i] - at[i - 1] == step;
    if (even) {
      table_.transpose_tile(t, nr, m, cols, dst + (n * p.out_channels + k0) * plane + at[0], plane,
                            step);
      return;
    }
    for (int64_t j = 0; j < cols; ++j) {
      float* c = dst + (n * p.out_channels + k0 + j) * plane;
      for (int64_t i = 0; i < m; ++i) c[at[i]] = t[i * nr + j];
    }
  }

  Pixel output(const Pass& pass, int64_t j, int64_t i) const {
    return {pass.oy0 + j * pass.out_step_y, pass.ox0 + i * pass.out_step_x};
  }

  void run(int64_t n, int64_t g, const Item& item, const float* image, float* dst) const {
    const Pass& pass = passes_[item.pass];
    if (pass.taps.empty()) {  // no tap lands on real input: bias only
      alignas(64) float t[32 * 64];
      for (int64_t kb = item.kb0; kb < item.kb1; ++kb) {
        for (int64_t i = 0; i < gemm_.nr; ++i) t[i] = bias_[g * kg_ + kb * gemm_.nr + i];
        for (int64_t j = item.j0; j < item.j1; ++j)
          for (int64_t i = item.c0; i < item.c1; ++i) {
            store(t, 1, [&](int64_t) { return output(pass, j, i); }, n, g, kb, dst);
          }
      }
      return;
    }
    if (!pass.packed) {
      interior(n, g, pass, item, image, dst);
      return;
    }
    float* ws = thread_workspace(packed_floats(pass));
    for (Packed tiles = pack(pass, item, {item.j0, item.c0}, image, ws); tiles.count > 0;
         tiles = pack(pass, item, tiles.next, image, ws)) {
      multiply(n, g, pass, item, tiles, ws, dst);
    }
  }

  // In-place tiles, row by row, each row through as many channel blocks as have their weights
  // in half of L2: the input under a row is read from memory once per such group of blocks,
  // and the weights of the group stay in L2 across the rows.
  void interior(int64_t n, int64_t g, const Pass& pass, const Item& item, const float* image,
                float* dst) const {
    const ConvParams& p = pr_.p;
    const double in_bytes = double(pass.in_step_x * pixel_stride_ *
                                   std::min(p.kernel_h, p.in_height) * int64_t{sizeof(float)});
    for (int64_t kb0 = item.kb0; kb0 < item.kb1; kb0 += kb_per_pass_) {
      const int64_t kb1 = std::min(item.kb1, kb0 + kb_per_pass_);
      // A long row (a pointwise layer's H·W pixels) goes in chunks whose input, and the output
      // the group writes, stay in a quarter of L2 across the group's blocks: the input is read
      // from memory once, not once per block (res2_1x1b: 124 -> 141 GFLOP/s).
      const double column_bytes =
          in_bytes + double((kb1 - kb0) * gemm_.nr * int64_t{sizeof(float)});
      const int64_t chunk =
          std::max<int64_t>(1, int64_t(double(topology().l2_bytes) / 4 / column_bytes) / gemm_.mr) *
          gemm_.mr;
      for (int64_t c = item.c0; c < item.c1; c += chunk) {
        Item part = item;  // the last chunk takes the rest (tiles go by their first pixel)
        part.c0 = c;
        part.c1 = c + 2 * chunk > item.c1 ? item.c1 : c + chunk;
        for (int64_t j = item.j0; j < item.j1; ++j)
          for (int64_t kb = kb0; kb < kb1; ++kb) row_tiles(n, g, pass, part, j, kb, image, dst);
        if (part.c1 == item.c1) break;
      }
    }
  }

  // `tiles` tiles of m pixels, `pitch` pixels apart (contract.hpp: BrgemmStripFn), through the
  // compiled kernel of that height and row stride where the table has one.
  void strip(int64_t m, int64_t tiles, int64_t pitch, int64_t batch, const float* const* a,
             const float* const* b, float* c, int64_t ldc, Init init, const float* bias) const {
    if (const Brgemm* k = fixed_[m]) {
      k->strip(tiles, pitch * row_, pitch * ldc, batch, a, b, cgp_, block_stride_, c, ldc, init,
               bias);
    } else {
      gemm_.rows(m, row_, tiles, pitch * row_, pitch * ldc, batch, a, b, cgp_, block_stride_, c,
                 ldc, init, bias);
    }
  }

  // The tiles of pass row j for channel block kb that start in the item's columns, read in
  // place, each tap over the pixels where it and its input row lie inside the image.
  void row_tiles(int64_t n, int64_t g, const Pass& pass, const Item& item, int64_t j, int64_t kb,
                 const float* image, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t nr = gemm_.nr, n_taps = int64_t(pass.taps.size());
    const float* w = weights_.data() + pass.weights + (g * kb_ + kb) * n_taps * cgp_ * nr;
    const float* bias = bias_.data() + g * kg_ + kb * nr;
    // NHWC blocks of whole channels are written in place; NCHW rows (a phase's too, its pixels
    // `stride` apart) go to a row buffer [pixel][NR], then into the planes a row at a time; the
    // others through a scratch tile. (FCN's stride-4 layer, NCHW, Zen 3: tiles through scratch
    // and scalar stores 1.97 ms, one row's strip and its transposes 1.04; U-Net's 2x2 layers
    // forced to direct 8-9% faster in the suite's medians.)
    const bool in_place = nr <= kg_ - kb * nr && p.layout == Layout::nhwc;
    const bool rowwise = p.layout == Layout::nchw;
    // A run's tiles [k0, k1): those that start in the item's columns.
    const auto tiles_of = [&](const Run& run) {
      const int64_t k0 = std::clamp(ceil_div(item.c0 - run.x0, run.m), int64_t{0}, run.tiles);
      return std::pair{k0, std::clamp(ceil_div(item.c1 - run.x0, run.m), k0, run.tiles)};
    };
    int64_t x_begin = pass.cols, x_end = 0;  // rowwise: the tiles' pixels
    for (const Run& run : pass.runs) {
      if (const auto [k0, k1] = tiles_of(run); rowwise && k1 > k0) {
        x_begin = std::min(x_begin, run.x0 + k0 * run.m);
        x_end = std::max(x_end, run.x0 + k1 * run.m);
      }
    }
    // (transpose_tile reads the buffer up to 8 pixels past its last; streamed rows take a
    // channel-major copy after it)
    const int64_t span = std::max<int64_t>(0, x_end - x_begin);
    float* row = rowwise ? thread_workspace((span + 8 + (stream_ ? span : 0)) * nr) : nullptr;
    const uint64_t rows = pass.row_taps(j, p.in_height);
    const float* in = image + j * pass.in_step_y * row_stride_;
    const int64_t ldc = pass.out_step_x * p.out_channels;
    const float* a[kMaxTaps];
    const float* b[kMaxTaps];
    alignas(64) float t[32 * 64];
    for (const Run& run : pass.runs) {
      const auto [k0, k1] = tiles_of(run);
      // `tiles` tiles from column x, C at c: group 0 starts them from the bias, the others add.
      const auto multiply = [&](int64_t x, int64_t tiles, float* c, int64_t ldc_c) {
        for (size_t q = 0; q < run.groups.size(); ++q) {
          const Group& group = run.groups[q];
          int64_t batch = 0;
          for (int64_t ti = 0; ti < n_taps; ++ti) {
            if (!(rows & group.taps & (uint64_t{1} << ti))) continue;
            const Tap& tap = pass.taps[ti];
            a[batch] = in + tap.dy * row_stride_ +
                       ((x + group.lo) * pass.in_step_x + tap.dx) * pixel_stride_;
            b[batch++] = w + ti * cgp_ * nr;
          }
          if (q > 0 && batch == 0) continue;
          strip(group.hi - group.lo, tiles, run.m, batch, a, b, c + group.lo * ldc_c, ldc_c,
                q == 0 ? Init::bias_cols : Init::accumulate, bias);
        }
      };
      if (in_place && k1 > k0) {
        const int64_t x = run.x0 + k0 * run.m;
        const Pixel at = output(pass, j, x);
        multiply(x, k1 - k0,
                 dst + ((n * pr_.out_h + at.oy) * pr_.out_w + at.ox) * p.out_channels + g * kg_ +
                     kb * nr,
                 ldc);
        continue;
      }
      if (rowwise && k1 > k0) {
        const int64_t x = run.x0 + k0 * run.m;
        multiply(x, k1 - k0, row + (x - x_begin) * nr, nr);
        continue;
      }
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t x = run.x0 + k * run.m;
        multiply(x, 1, t, nr);
        store(t, run.m, [&](int64_t i) { return output(pass, j, x + i); }, n, g, kb, dst);
      }
    }
    if (rowwise && span > 0) {
      store_row(row, span, output(pass, j, x_begin), pass.out_step_x, n, g, kb, dst);
    }
  }

  // NCHW: `pixels` pixels of a row buffer [pixel][NR] (channel block kb) into the output
  // planes from pixel `first` of a row on, `step` apart, transposed in registers, or through a
  // channel-major copy after the buffer into rows streamed past the caches (then step is 1:
  // stream_ requires it of every pass).
  void store_row(float* row, int64_t pixels, Pixel first, int64_t step, int64_t n, int64_t g,
                 int64_t kb, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t nr = gemm_.nr, k0 = g * kg_ + kb * nr, cols = std::min(nr, kg_ - kb * nr);
    const int64_t plane = pr_.out_h * pr_.out_w;
    float* to = dst + (n * p.out_channels + k0) * plane + first.oy * pr_.out_w + first.ox;
    if (!stream_) {
      table_.transpose_tile(row, nr, pixels, cols, to, plane, step);
      return;
    }
    float* planar = row + (pixels + 8) * nr;
    table_.transpose_tile(row, nr, pixels, cols, planar, pixels, 1);
    table_.copy_rows(planar, pixels, cols, pixels, to, plane, true);
  }

  // The item's pixel after (j, i) in row order; row j1 when none is left.
  static Pixel next_pixel(const Item& item, Pixel px) {  // {j, i}: pass's
    return ++px.ox < item.c1 ? px : Pixel{px.oy + 1, item.c0};
  }

  // The pixels of a packed pass (rows too narrow for tiles that keep the FMAs busy: DCGAN's
  // phases of 4x4 pixels), gathered MR at a time, from several rows, into packed A panels with
  // zeros for taps outside the image, through the GEMM kernel with kc = taps·Cgp: the weights
  // of an NR block are that B panel already. A group of tiles is packed at a time, up to
  // kPackedBytes of panels.
  struct Packed {
    Pixel first[64];     // each tile's first pixel
    int64_t pixels[64];  // each tile's pixels: MR, or fewer in the last
    int64_t count = 0;   // tiles
    Pixel next;          // the first pixel after the group
  };

  int64_t panel_floats(const Pass& pass) const {
    return int64_t(pass.taps.size()) * cgp_ * packed_->mr;
  }
  int64_t packed_floats(const Pass& pass) const {
    const int64_t panel = panel_floats(pass);
    return std::clamp<int64_t>(kPackedBytes / (panel * int64_t{sizeof(float)}), 1, 64) * panel;
  }

  Packed pack(const Pass& pass, const Item& item, Pixel px, const float* image, float* ws) const {
    const ConvParams& p = pr_.p;
    const int64_t mr = packed_->mr, cb_count = cgp_ / U, n_taps = int64_t(pass.taps.size());
    const int64_t panel = panel_floats(pass), per_group = packed_floats(pass) / panel;
    Packed group;
    for (; group.count < per_group && px.oy < item.j1; ++group.count) {
      group.first[group.count] = px;
      float* a = ws + group.count * panel;
      int64_t i = 0;
      for (; i < mr && px.oy < item.j1; ++i, px = next_pixel(item, px)) {
        for (int64_t ti = 0; ti < n_taps; ++ti) {
          const Tap& tap = pass.taps[ti];
          const int64_t iy = px.oy * pass.in_step_y + tap.dy;
          const int64_t ix = px.ox * pass.in_step_x + tap.dx;
          const bool inside = iy >= 0 && iy < p.in_height && ix >= 0 && ix < p.in_width;
          table_.copy_chunks(inside ? image + iy * row_stride_ + ix * pixel_stride_ : zeros_,
                             inside ? block_stride_ : 0, cb_count,
                             a + ti * cb_count * mr * U + i * U, mr * U);
        }
      }
      for (int64_t x = i; x < mr; ++x) {
        table_.copy_chunks(zeros_, 0, n_taps * cb_count, a + x * U, mr * U);
      }
      group.pixels[group.count] = i;
    }
    group.next = px;
    return group;
  }

  // The packed tiles of `group` times the item's blocks of output channels.
  void multiply(int64_t n, int64_t g, const Pass& pass, const Item& item, const Packed& group,
                const float* ws, float* dst) const {
    const Brgemm& kernel = *packed_;
    const int64_t mr = kernel.mr, nr = kernel.nr, n_taps = int64_t(pass.taps.size());
    const int64_t panel = panel_floats(pass);
    alignas(64) float t[32 * 64];
    for (int64_t kb = item.kb0; kb < item.kb1; ++kb) {
      const float* w = weights_.data() + pass.weights + (g * kb_ + kb) * n_taps * cgp_ * nr;
      for (int64_t x = 0; x < group.count; ++x) {
        const float* a = ws + x * panel;
        kernel.run(1, &a, &w, n_taps * cgp_, mr * U, t, nr, Init::bias_cols,
                   bias_.data() + g * kg_ + kb * nr);
        Pixel list[32];
        Pixel at = group.first[x];
        for (int64_t i = 0; i < group.pixels[x]; ++i) {
          list[i] = output(pass, at.oy, at.ox);
          at = next_pixel(item, at);
        }
        store(t, group.pixels[x], [&](int64_t i) { return list[i]; }, n, g, kb, dst);
      }
    }
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  const Brgemm& gemm_;              // row = U: the register block chosen for the problem
  const Brgemm* packed_ = nullptr;  // row = U: packed panels of narrow passes
  bool in_place_;                   // NHWC, one group, whole channel blocks: no reorder
  bool stream_ = false;             // NCHW rows stored past the caches (blocking.hpp)
  std::vector<Pass> passes_;
  int64_t row_ = 0;  // floats between pass pixels' inputs: pixel stride x input step
  std::vector<const Brgemm*> fixed_;  // per tile height m: compiled for row_, or null
  std::vector<Item> items_;
  int64_t cg_ = 0, kg_ = 0, cgp_ = 0, kb_ = 0;
  int64_t kb_per_pass_ = 1;  // channel blocks whose weights share L2 across the rows
  int64_t want_ = 1;         // work items wanted for the threads
  int64_t pixel_stride_ = 0, block_stride_ = 0, row_stride_ = 0, image_ = 0;  // input addressing
  AlignedBuffer weights_;
  std::vector<float> bias_;
  float zeros_[kInterleave] = {};
};

}  // namespace

constinit const Implementation direct_implementation{
    "direct", why_not, estimate,
    [](const Problem& pr, const Context& ctx, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<Direct>(pr, ctx, w, b);
    }};

}  // namespace svertka
