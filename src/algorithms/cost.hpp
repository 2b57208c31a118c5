// The cost model's common terms: cycles on one core. Each algorithm adds what its own loops
// cost; the coefficients were fitted on bench/layers.csv (see the README), and the autotuner's
// database overrides the model where it has a measurement.
#pragma once

#include <cstdint>

#include "../algorithm.hpp"
#include "../runtime/topology.hpp"
#include "gemm_driver.hpp"

namespace svertka::cost {

// Multiply-adds per cycle at the FMA peak: two FMA ports, one vector each.
inline double fma_rate(const Context& ctx) { return 2.0 * ctx.kernels->vector_floats; }

// The rate register block k sustains: two ports times an FMA latency of 4 to 5 cycles want
// about ten independent accumulators in flight; a block with fewer (AVX2's 4x16 has 8) leaves
// the ports idle part of the time (measured on Zen 3: 4x24 and 6x16 beat it by 5-12%).
inline constexpr double kChainsInFlight = 10.0;
inline double fma_rate(const Context& ctx, int mr, int nr) {
  const double chains = double(mr) * nr / ctx.kernels->vector_floats;
  return fma_rate(ctx) * (chains < kChainsInFlight ? chains / kChainsInFlight : 1.0);
}
inline double fma_rate(const Context& ctx, const Brgemm& k) {
  return fma_rate(ctx, k.mr, k.nr);
}

inline double macs(const Problem& pr) { return flops(pr) / 2; }

// Work done on n things in blocks of `granule`, relative to n: the padding waste.
inline double padded(int64_t n, int64_t granule) {
  return double((n + granule - 1) / granule * granule) / double(n);
}

// Relative time of a GEMM of rows x cols in tiles of register block k: its padding waste at
// k's FMA rate.
inline double tile_time(const Context& ctx, const Brgemm& k, int64_t rows, int64_t cols) {
  return padded(rows, k.mr) * padded(cols, k.nr) / fma_rate(ctx, k);
}

// The register block for such a GEMM: the tuned one, else the table's first unless another
// saves over 5% (ResNet's 7x7 images: 49 pixels in 7 rows of 7, not 4 of 14; DCGAN's rows of
// 4 pixels).
inline const Brgemm& gemm_for(const Context& ctx, int64_t rows, int64_t cols) {
  const KernelTable& t = *ctx.kernels;
  if (!ctx.tuning.kernel.empty()) return tuned_gemm(t, ctx.tuning.kernel);
  const Brgemm* best = &t.gemm[0];
  for (const Brgemm& k : t.gemm) {
    if (tile_time(ctx, k, rows, cols) < 0.95 * tile_time(ctx, *best, rows, cols)) best = &k;
  }
  return *best;
}

// The slowdown of a register block whose broadcast operand over one call (MR rows of the
// reduction's floats) is larger than L1, its broadcasts then coming from L2 (Zen 5, U-Net's
// 1024 -> 512 layer: direct's 14-pixel NHWC tiles, 57 KB, 16.2 ms, its 7-pixel ones, 28 KB,
// 14.9 ms; in NCHW phase_gemm's 14 rows of 1024 channels 7% behind direct's 8-pixel tiles; with
// the bound at half of L1, 512-channel 3x3 layers in 8-pixel tiles were 2-4% slower than in 14).
inline double broadcasts_from_l2(int64_t mr, int64_t reduction) {
  return double(mr * reduction) * sizeof(float) > double(topology().l1d_bytes) ? 1.08 : 1.0;
}

// Bytes per cycle one core streams from L3 (about 16 GB/s here: weights that do not fit L2).
inline constexpr double kL3Bytes = 6.0;

// The bytes of weights that come from L3 on every pass over them: all of them beyond half of
// L2, none when they stay there.
inline double streamed_from_l3(double weight_bytes) {
  return weight_bytes > double(topology().l2_bytes) / 2 ? weight_bytes : 0.0;
}

// Cycles per element moved by a packing or reorder loop.
inline constexpr double kCopy = 0.25;         // whole vectors, contiguous
inline constexpr double kCopyStrided = 1.0;   // a transpose, one element at a time
inline constexpr double kCopyScalar = 1.5;    // element by element, inline

}  // namespace svertka::cost
