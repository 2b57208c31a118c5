#include "phase_gemm.hpp"

#include <algorithm>
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

// The register block: the tuned one, else the table's first whose MR holds whole filter rows
// (S rows of C that interleave into one output row), else the default.
const Brgemm& choose_kernel(const Problem& pr, const Context& ctx) {
  const KernelTable& t = *ctx.kernels;
  if (!ctx.tuning.kernel.empty()) return tuned_gemm(t, ctx.tuning.kernel);
  for (const Brgemm& k : t.gemm) {
    if (k.mr % pr.p.kernel_w == 0) return k;
  }
  return t.gemm[0];
}

// The S columns of a filter row fill S neighbouring output columns: stored by interleaving.
bool interleaves(const Problem& pr, const Brgemm& k) {
  return pr.p.kernel_w == pr.p.stride_w && k.mr % pr.p.kernel_w == 0;
}

// Output rows (or columns) that some tap reaches from inside the input: the others hold the
// bias alone (a filter smaller than the stride, padding, output padding).
std::vector<bool> reached(int64_t out, int64_t in, int64_t taps, int64_t stride, int64_t dilation,
                          int64_t pad) {
  std::vector<bool> hit(out, false);
  for (int64_t i = 0; i < in; ++i)
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t o = i * stride - pad + t * dilation;
      if (o >= 0 && o < out) hit[o] = true;
    }
  return hit;
}

// Pixels of one input row inside one NR-wide panel of a pixel block: where C's rows are cut
// when stored.
struct Run {
  int64_t column;   // in the panel
  int64_t iy, len;  // input row, pixels
  int64_t ox;       // output column of its first pixel's tap s = 0
  int64_t lo, hi;   // its pixels whose S output columns all lie inside (when S = stride_w)
};

class PhaseGemm final : public Algorithm {
 public:
  PhaseGemm(const Problem& pr, const Context& ctx, const float* weights, const float* bias)
      : pr_(pr), table_(*ctx.kernels), threads_(ctx.threads), kernel_(choose_kernel(pr, ctx)) {
    const ConvParams& p = pr.p;
    cg_ = pr.in_per_group();
    kg_ = pr.out_per_group();
    cgp_ = round_up(cg_, U);
    rows_ = kg_ * p.kernel_h * p.kernel_w;
    rows_padded_ = round_up(rows_, kernel_.mr);
    interleave_ = interleaves(pr, kernel_);
    stream_ = interleave_ && streams_output(pr, threads_, topology());
    // A: [G][M/MR][Cgp/U][MR][U], row m = (k, r, s) of group g is weights[g·Cg + c][k][r][s]
    // (PyTorch's transposed layout [C][K/G][R][S]: a channel's M weights are contiguous).
    weights_ = AlignedBuffer(p.groups * rows_padded_ * cgp_);
    const int64_t mr = kernel_.mr;
    for (int64_t g = 0; g < p.groups; ++g)
      for (int64_t c = 0; c < cg_; ++c)
        for (int64_t m = 0; m < rows_; ++m) {
          float* panel = weights_.data() + (g * rows_padded_ + m / mr * mr) * cgp_;
          panel[(c / U * mr + m % mr) * U + c % U] = weights[(g * cg_ + c) * rows_ + m];
        }
    out_bias_.assign(p.out_channels, 0.0f);
    if (bias) std::copy(bias, bias + p.out_channels, out_bias_.begin());
    bias_.assign(p.groups * rows_padded_, 0.0f);
    for (int64_t g = 0; g < p.groups; ++g)
      for (int64_t m = 0; m < rows_; ++m) {
        bias_[g * rows_padded_ + m] = out_bias_[g * kg_ + m / (p.kernel_h * p.kernel_w)];
      }
    rows_reached_ = reached(pr.out_h, p.in_height, p.kernel_h, p.stride_h, p.dilation_h, p.pad_top);
    const std::vector<bool> cols =
        reached(pr.out_w, p.in_width, p.kernel_w, p.stride_w, p.dilation_w, p.pad_left);
    for (int64_t ox = 0; ox < pr.out_w; ++ox) {
      if (!cols[ox]) bias_cols_.push_back(ox);
    }
    bias_only_ = !bias_cols_.empty() || std::find(rows_reached_.begin(), rows_reached_.end(),
                                                  false) != rows_reached_.end();
    plan_tasks(wanted_tasks(ctx.tuning, threads_), cost::fma_rate(ctx));
  }

  // A block split among tasks by rows of C is packed once, before them, into a buffer they
  // share, not once by each: packing reads the input a channel row at a time, at memory's
  // latency (U-Net's 1024 -> 512 layer at two threads, 4 blocks of 224 pixels in 4 splits
  // each: 24.1 -> 21.6 ms on Zen 3).
  void execute(const float* src, float* dst) const override {
    const ConvParams& p = pr_.p;
    if (bias_only_) {
      parallel_for(threads_, p.batch * p.out_channels, [&](int64_t plane) {
        fill_bias_only(plane, dst + plane * pr_.out_h * pr_.out_w);
      });
    }
    float* packed = nullptr;
    if (splits_ > 1) {
      const int64_t blocks = p.batch * p.groups * blocks_;
      packed = thread_workspace(blocks * block_floats(), Workspace::execution);
      parallel_for(threads_, blocks, [&](int64_t b) {
        pack(b / blocks_ / p.groups, b / blocks_ % p.groups, b % blocks_, src,
             packed + b * block_floats());
      });
    }
    parallel_for(threads_, tasks_, [&](int64_t t) { run(t, src, packed, dst); });
  }

  std::string describe() const override {
    return "phase_gemm " + std::string(table_.isa) + " " + std::to_string(kernel_.mr) + "x" +
           std::to_string(kernel_.nr) + " phases=" + std::to_string(pr_.p.stride_h) + "x" +
           std::to_string(pr_.p.stride_w) +
           " (1x1 phases: GEMM)" + (stream_ ? " output streamed" : "") +
           " threads=" + std::to_string(threads_);
  }

 private:
  // Tasks: image x group x block of pixels x block of rows of C. A block's packed pixels
  // (Cgp x block) keep half of L2 while every row of C passes over them; blocks shrink, then
  // rows split, until every thread has several tasks. Every block streams the weights once:
  // beyond half of L2 they come from L3, and blocks are no smaller than the pixels whose
  // multiplications take 20 times as long (U-Net's 1024 -> 512 layer, 8 MB of weights: blocks
  // of 224 pixels rather than 64, 57 -> 50 ms at one thread, 30 -> 27 at two, Zen 3; its
  // 256 -> 128 layer, 0.5 MB: 256 pixels, as fit L2, where larger blocks measured slower).
  void plan_tasks(int64_t want, double fma_rate) {
    const ConvParams& p = pr_.p;
    const int64_t nr = kernel_.nr, pixels = p.in_height * p.in_width;
    const int64_t images = p.batch * p.groups;
    const int64_t fits = topology().l2_bytes / 2 / (cgp_ * int64_t{sizeof(float)});
    const double streamed = cost::streamed_from_l3(double(rows_padded_ * cgp_) * sizeof(float));
    const int64_t amortized = round_up(
        int64_t(20 * streamed / cost::kL3Bytes * fma_rate / double(rows_padded_ * cgp_)), nr);
    block_ = std::clamp(std::max(fits / nr * nr, amortized), nr, round_up(pixels, nr));
    if (images * ceil_div(pixels, block_) < want) {
      const int64_t shared = round_up(ceil_div(pixels, ceil_div(want, images)), nr);
      block_ = std::max({nr, shared, std::min(block_, amortized)});
    }
    blocks_ = ceil_div(pixels, block_);
    const int64_t panels = rows_padded_ / kernel_.mr;
    splits_ = std::clamp(ceil_div(want, images * blocks_), int64_t{1}, panels);
    split_rows_ = ceil_div(panels, splits_) * kernel_.mr;
    splits_ = ceil_div(rows_padded_, split_rows_);
    tasks_ = images * blocks_ * splits_;
    runs_.resize(blocks_);
    for (int64_t block = 0; block < blocks_; ++block) {
      const int64_t q0 = block * block_, q1 = std::min(pixels, q0 + block_);
      for (int64_t j = 0; q0 + j * nr < q1; ++j) {
        std::vector<Run>& panel = runs_[block].emplace_back();
        for (int64_t q = q0 + j * nr; q < std::min(q1, q0 + (j + 1) * nr);) {
          const int64_t iy = q / p.in_width, ix = q % p.in_width;
          const int64_t len = std::min({p.in_width - ix, q1 - q, q0 + (j + 1) * nr - q});
          const int64_t ox = ix * p.stride_w - p.pad_left;
          const int64_t lo = std::clamp(ceil_div(-ox, p.stride_w), int64_t{0}, len);
          const int64_t hi =
              std::clamp(floor_div(pr_.out_w - p.stride_w - ox, p.stride_w) + 1, lo, len);
          panel.push_back({q - q0 - j * nr, iy, len, ox, lo, hi});
          q += len;
        }
      }
    }
  }

  void fill_bias_only(int64_t plane, float* out) const {
    const float b = out_bias_[plane % pr_.p.out_channels];
    for (int64_t oy = 0; oy < pr_.out_h; ++oy) {
      float* row = out + oy * pr_.out_w;
      if (!rows_reached_[oy]) {
        std::fill(row, row + pr_.out_w, b);
      } else {
        for (int64_t ox : bias_cols_) row[ox] = b;
      }
    }
  }

  // The floats of a block's B micro-panels.
  int64_t block_floats() const { return ceil_div(block_, kernel_.nr) * cgp_ * kernel_.nr; }

  // B micro-panels [panels][Cgp][NR] of a block of image n, group g: NR pixels of each channel
  // row, zero-padded; channel by channel, so that each reads one run of memory (one prefetch
  // stream, not Cg).
  void pack(int64_t n, int64_t g, int64_t block, const float* src, float* b) const {
    const ConvParams& p = pr_.p;
    const int64_t nr = kernel_.nr, pixels = p.in_height * p.in_width;
    const int64_t q0 = block * block_, count = std::min(block_, pixels - q0);
    const int64_t panels = ceil_div(count, nr);
    const float* image = src + (n * p.in_channels + g * cg_) * pixels + q0;
    const int64_t whole = count / nr, rest = count % nr;
    for (int64_t c = 0; c < cg_; ++c) {
      table_.copy_rows(image + c * pixels, nr, whole, nr, b + c * nr, cgp_ * nr, false);
      if (rest) {
        float* last = b + (whole * cgp_ + c) * nr;
        table_.copy_floats(image + c * pixels + whole * nr, rest, last);
        table_.zero_floats(last + rest, nr - rest);
      }
    }
    for (int64_t j = 0; j < panels; ++j)
      table_.zero_floats(b + (j * cgp_ + cg_) * nr, (cgp_ - cg_) * nr);
  }

  // One task: its block packed here unless `packed` holds every block already.
  void run(int64_t task, const float* src, const float* packed, float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t split = task % splits_, block = task / splits_ % blocks_;
    const int64_t g = task / splits_ / blocks_ % p.groups, n = task / splits_ / blocks_ / p.groups;
    const int64_t mr = kernel_.mr, nr = kernel_.nr, pixels = p.in_height * p.in_width;
    const int64_t panels = ceil_div(std::min(block_, pixels - block * block_), nr);
    float* tile = thread_workspace((packed ? 0 : block_floats()) + mr * nr);
    const float* b = packed ? packed + task / splits_ * block_floats() : tile + mr * nr;
    if (!packed) pack(n, g, block, src, tile + mr * nr);
    const int64_t m_end = std::min(rows_padded_, (split + 1) * split_rows_);
    for (int64_t m0 = split * split_rows_; m0 < m_end; m0 += mr) {
      const float* a = weights_.data() + (g * rows_padded_ + m0) * cgp_;
      for (int64_t j = 0; j < panels; ++j) {
        const float* bj = b + j * cgp_ * nr;
        kernel_.run(1, &a, &bj, cgp_, mr * U, tile, nr, Init::bias_rows,
                    bias_.data() + g * rows_padded_ + m0);
        store(tile, n, g, m0, runs_[block][j], dst);
      }
    }
    if (stream_) _mm_sfence();  // the task's streamed stores before its end is signalled
  }

  // Rows m0.. of a tile of C (NR columns: the input pixels of `runs`) into the output pixels
  // their taps reach: row m = (k, r, s), input pixel (iy, ix) -> output (iy·sh - pt + r·dh,
  // ix·sw - pl + s·dw), outside the output dropped.
  void store(const float* tile, int64_t n, int64_t g, int64_t m0, const std::vector<Run>& runs,
             float* dst) const {
    const ConvParams& p = pr_.p;
    const int64_t nr = kernel_.nr, ow = pr_.out_w, sw = p.stride_w;
    const int64_t step = interleave_ ? p.kernel_w : 1;
    // (k, r, s) of row m, advanced incrementally: no division per row.
    int64_t k = m0 / (p.kernel_h * p.kernel_w), r = m0 / p.kernel_w % p.kernel_h,
            s = m0 % p.kernel_w;
    for (int64_t i = 0; i < kernel_.mr && m0 + i < rows_; i += step) {
      float* plane = dst + (n * p.out_channels + g * kg_ + k) * pr_.out_h * ow;
      for (const Run& run : runs) {
        const int64_t oy = run.iy * p.stride_h - p.pad_top + r * p.dilation_h;
        if (oy < 0 || oy >= pr_.out_h) continue;
        const float* t = tile + i * nr + run.column;
        float* row = plane + oy * ow;
        const int64_t ox0 = run.ox + s * p.dilation_w;  // of t[0]
        auto one_by_one = [&](int64_t x0, int64_t x1) {
          for (int64_t x = x0; x < x1; ++x)
            for (int64_t e = 0; e < step; ++e) {
              const int64_t ox = ox0 + x * sw + e;
              if (ox >= 0 && ox < ow) row[ox] = t[e * nr + x];
            }
        };
        if (!interleave_) {
          one_by_one(0, run.len);
          continue;
        }
        table_.interleave_rows(t + run.lo, nr, sw, run.hi - run.lo, row + ox0 + run.lo * sw,
                               stream_);
        one_by_one(0, run.lo);
        one_by_one(run.hi, run.len);
      }
      if ((s += step) == p.kernel_w) {
        s = 0;
        if (++r == p.kernel_h) r = 0, ++k;
      }
    }
  }

  Problem pr_;
  const KernelTable& table_;
  int threads_;
  const Brgemm& kernel_;
  bool interleave_ = false;  // S == stride_w and MR holds whole filter rows
  bool stream_ = false;      // interleaved stores non-temporal (blocking.hpp)
  int64_t cg_ = 0, kg_ = 0, cgp_ = 0, rows_ = 0, rows_padded_ = 0;  // rows: of C, Kg·R·S
  int64_t block_ = 1, blocks_ = 1, splits_ = 1, split_rows_ = 0, tasks_ = 0;
  AlignedBuffer weights_;
  std::vector<float> bias_;      // per row of C
  std::vector<float> out_bias_;  // per output channel
  std::vector<bool> rows_reached_;
  std::vector<int64_t> bias_cols_;                   // output columns no tap reaches
  std::vector<std::vector<std::vector<Run>>> runs_;  // per pixel block and panel
  bool bias_only_ = false;                           // some output pixels hold the bias alone
};

std::string why_not(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  if (!ctx.kernels) return "needs AVX2 or AVX-512 (SVERTKA_ISA=reference)";
  if (std::string r = beyond_fast_paths(pr); !r.empty()) return r;
  if (pr.op != Op::conv_transpose2d) return "conv_transpose2d only";
  if (p.layout != Layout::nchw) return "NCHW only (NHWC: direct reads the input in place)";
  if ((p.kernel_h - 1) * p.dilation_h >= p.stride_h ||
      (p.kernel_w - 1) * p.dilation_w >= p.stride_w) {
    return "filter wider than the stride (phases of several taps)";
  }
  return {};
}

// The GEMM over useful work with the padding of the register block and of the reduction, at
// direct's efficiency (the same kernel, the whole reduction per call: MR rows of weights
// broadcast), plus packing the input in whole vectors and storing C: interleaved vectors, or
// one element at a time.
double estimate(const Problem& pr, const Context& ctx) {
  const ConvParams& p = pr.p;
  const Brgemm& k = choose_kernel(pr, ctx);
  const int64_t reduction = round_up(pr.in_per_group(), U);
  const double kernel = cost::macs(pr) *
                        cost::padded(pr.out_per_group() * p.kernel_h * p.kernel_w, k.mr) *
                        cost::padded(pr.in_per_group(), U) / cost::fma_rate(ctx, k) / 0.9 *
                        cost::broadcasts_from_l2(k.mr, reduction);
  const double store = interleaves(pr, k) ? cost::kCopy : cost::kCopyStrided;
  return kernel + double(pr.src().size()) * cost::kCopy + double(pr.dst().size()) * store;
}

}  // namespace

constinit const Implementation phase_gemm_implementation{
    "phase_gemm", why_not, estimate,
    [](const Problem& pr, const Context& ctx, const float* w, const float* b)
        -> std::unique_ptr<Algorithm> { return std::make_unique<PhaseGemm>(pr, ctx, w, b); }};

}  // namespace svertka
