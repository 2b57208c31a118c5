// The microkernel contract, after BLIS's "kernels how-to". Microkernels are the only ISA code:
// templates written once with xsimd in this directory, instantiated per ISA in dispatch/, and
// reached by algorithms only through a KernelTable.
//
// Batch-reduce GEMM microkernel (brgemm, after oneDNN):  C[MR x NR] (=|+=) Σ_t A_t·B_t
//  - A_t (batch element t): MR rows over kc reduction steps, read at
//    a[t][kb·a_block + i·ROW + u] for step k = kb·U + u (U = kInterleave): blocks of U steps,
//    rows ROW floats apart, ROW a compile-time multiple of U. Packed GEMM panels are
//    [kc/U][MR][U]: ROW = U, a_block = MR·U; for packing the input this way is a straight copy
//    of U contiguous channels per pixel, and the kernel reads A with constant offsets. Direct
//    convolution reads the channel-blocked input [H][C/U][W][U] in place: output pixel i of the
//    tile is input column i·stride, so ROW = U·stride and a_block = W·U.
//  - B_t: [kc][NR] panel, 64-byte aligned (packed weights).
//  - kc is a multiple of U. Packing pads kc, MR and NR with zeros: the kernel never sees a
//    ragged edge and always computes the full MR x NR tile.
//  - c: row-major, row stride ldc; the full tile is stored (unaligned). For a partial tile the
//    caller passes a scratch tile and copies the valid part (algorithms/gemm_driver).
//  - init: Init::bias_rows starts each row i from bias[i] (MR values readable), Init::bias_cols
//    each column j from bias[j] (NR values readable), Init::accumulate from C itself.
//    Accumulators stay in registers across the whole batch.
//  - Interleaved groups (grouped convolution with L/BCAST output channels per group, ResNeXt):
//    with bcast = BCAST > 1 the tile is one vector wide and its lanes hold BCAST groups
//    interleaved, lane l computing column (l mod BCAST)·(L/BCAST) + l/BCAST. A step of A is then
//    BCAST consecutive floats, one per group, at a[t][kb·a_block + i·ROW + u·BCAST], broadcast
//    as one 64-bit element; B's columns are in that lane order. C and bias are in column order
//    (the kernel permutes lanes on load and store).
//  - The row form (kw = KW, stride 1, no dilation): batch element t is one filter row: A_t
//    holds MR + KW - 1 pixels ROW floats apart and B_t the KW taps' [kc][NR] panels one after
//    another; pixel i of the tile reads pixels i..i+KW-1 (brgemm.hpp: brgemm_row).
#pragma once

#include <cstdint>
#include <span>

namespace svertka {

inline constexpr int kInterleave = 8;  // U: keeps every A offset of a 14-row tile in disp8

enum class Init : int { accumulate, bias_rows, bias_cols };

using BrgemmFn = void (*)(int64_t batch, const float* const* a, const float* const* b, int64_t kc,
                          int64_t a_block, float* c, int64_t ldc, Init init, const float* bias);

// brgemm over a strip of `tiles` tiles that share B: the block of tiles·MR rows whose tile m
// reads A at a[t] + m·a_step and writes C at c + m·c_step (Init::bias_rows: bias + m·MR; the
// other inits as brgemm's for every tile). A row of output pixels read and written in place, a
// column of GEMM tiles. One call a strip, not a tile: a pointwise layer's reduction is 64
// channels, about 400 cycles a tile on AVX2, and the caller's loop around brgemm calls took 8%
// of its time (Zen 3). While a tile computes, the next tile's C lines are fetched: its stores
// would otherwise wait for lines from memory (layers larger than the caches).
using BrgemmStripFn = void (*)(int64_t tiles, int64_t a_step, int64_t c_step, int64_t batch,
                               const float* const* a, const float* const* b, int64_t kc,
                               int64_t a_block, float* c, int64_t ldc, Init init,
                               const float* bias);

// The GEMM microkernel with B read in place, for NCHW pointwise layers (B is then the input
// itself, kc channel rows of H·W pixels): C[MR x NR] (=|+=) A·B, A one micro-panel packed as
// for gemm[0] ([kc/U][MR][U]), B kc rows ldb floats apart of which NR floats each are read
// (unaligned); c, ldc, init and bias as brgemm's. gemm[0]'s register block. A strip of tiles
// as BrgemmStripFn's, tile m's A micro-panel at a + m·a_step.
using BrgemmStridedBFn = void (*)(int64_t tiles, int64_t a_step, int64_t c_step, const float* a,
                                  const float* b, int64_t ldb, int64_t kc, float* c, int64_t ldc,
                                  Init init, const float* bias);

// The microkernel with A read in place, for layers with few input channels (column_fold):
// C[MR x NR] (=|+=) Σ_t A_t·B_t, row i of A_t being kc consecutive floats at a[t] + i·lda (any
// kc, any lda: a filter row's S·C taps are one run of an NHWC input row, and the tile's pixels
// stride·C floats apart), B_t a [kc][NR] panel at b[t], 64-byte aligned; c, ldc, init and bias
// as brgemm's. gemm[0]'s register block. A strip of tiles as BrgemmStripFn's: tile m's rows
// at a[t] + m·a_step + i·lda (a row of output pixels).
using BrgemmStridedAFn = void (*)(int64_t tiles, int64_t a_step, int64_t c_step, int64_t batch,
                                  const float* const* a, int64_t lda, int64_t kc,
                                  const float* const* b, float* c, int64_t ldc, Init init,
                                  const float* bias);

// The microkernel with B's rows gathered, for layers with few input channels in NCHW
// (column_fold): C[MR x NR] (=|+=) A·B over kc steps, A packed [kc][MR] (step k's MR floats
// together, any kc), row k of B the NR floats at rows[k] + offset (unaligned): the input row,
// channel and stride phase that tap k reads, so that output pixel x of the tile is float x of
// it. c, ldc, init and bias as brgemm's; the tile is output channels x pixels (bias_rows). A
// strip of `tiles` tiles side by side: tile m reads B at rows[k] + offset + m·NR and writes C
// at c + m·NR (bias_cols: bias + m·NR), the next tile's C lines fetched meanwhile.
using BrgemmGatherBFn = void (*)(int64_t tiles, int64_t kc, const float* a,
                                 const float* const* rows, int64_t offset, float* c, int64_t ldc,
                                 Init init, const float* bias);

// brgemm over a strip of tiles of m rows (1 <= m <= MR), A's rows `row` floats apart instead of
// ROW, the other arguments as BrgemmStripFn's: tiles of any width and any row stride, such as
// the part of a row of output pixels that a filter tap reads inside the image.
using BrgemmRowsFn = void (*)(int64_t m, int64_t row, int64_t tiles, int64_t a_step,
                              int64_t c_step, int64_t batch, const float* const* a,
                              const float* const* b, int64_t kc, int64_t a_block, float* c,
                              int64_t ldc, Init init, const float* bias);

struct Brgemm {
  const char* name;  // XNNPACK style: brgemm_f32_14x32_row8__avx512f
  int mr, nr, row;   // register block and A row stride (floats)
  BrgemmFn run;
  int bcast = 1;     // floats per A step: interleaved groups per vector
  int kw = 0;        // 0: batch over taps; KW: the row form, batch over filter rows KW wide
  BrgemmStripFn strip = nullptr;  // blocks of one group a vector, tap form (block())
  BrgemmRowsFn rows = nullptr;    // the same, any m <= MR rows, any row stride
};

// Depthwise microkernel: one output row, `blocks` blocks of `width` channels (groups =
// channels, one output channel per input channel), NHWC, vectorised over channels:
//   out[ox·out_pixel_stride + c] = bias[c] + Σ in_rows[r][ix·in_pixel_stride + c]·weights[.]
// over the filter rows r whose input row is inside the image (in_rows[r] != nullptr) and the
// columns s with ix = ox·stride_w - pad_left + s·dilation_w inside [0, in_width). weights are
// [blocks][R·S][width], 64-byte aligned. Pixels go MR at a time where they can (pixels in
// [interior_begin, interior_end) have every column inside), through all blocks before the
// next MR.
struct DepthwiseRow {
  const float* const* in_rows;
  const float* weights;
  const float* bias;
  float* out;
  int64_t blocks, width;
  int64_t ox_begin, ox_end, interior_begin, interior_end;
  int64_t in_pixel_stride, out_pixel_stride, in_width;
  int64_t kernel_h, kernel_w, stride_w, dilation_w, pad_left;
};

// The NCHW depthwise microkernel: one pass of one channel's plane, vectorised along rows:
//   out[j·out_stride + ox] = bias + Σ weights[r·S + s]·row(j, r)[columns[s] + ox]
// for j < rows, ox < out_w, row(j, r) input row iy = j·stride_h - pad_top + r·dil_h at
// in + iy·row_len, or `zero` where iy is outside [0, in_height). The caller lays out each
// input row (zero-padded, split into stride phases: depthwise.cpp) so that every filter column
// s reads a contiguous run of out_w floats from columns[s]; rows, and the zero row, are
// readable for kPlaneSlack floats past the last one read, so that whole vectors can be
// computed. out_w is at least one vector: a narrower row goes to a scratch row. Nothing past
// the ends of rows or of the pass is written (the last vectors and rows overlap their
// neighbours instead).
inline constexpr int64_t kPlaneSlack = 16;  // the widest vector
struct DepthwisePlane {
  const float* in;
  const float* zero;
  const int64_t* columns;
  const float* weights;
  float bias;
  float* out;
  int64_t rows, out_w, out_stride, in_height, row_len;
  int64_t kernel_h, kernel_w, stride_h, dil_h, pad_top;
};

struct Depthwise {
  const char* name;  // dwconv_f32_8x32__avx512f
  int mr, width;     // pixels per interior tile, channels per block
  void (*run)(const DepthwiseRow& row);
  void (*run_plane)(const DepthwisePlane& plane);
};

// Everything one ISA provides. gemm[0] is the default register block for packed panels
// (row = U); the others are variants the autotuner may pick. direct holds the kernels for
// strided rows (row = U·stride) and the one-row kernels of the border path; grouped those of
// the grouped algorithm.
struct KernelTable {
  const char* isa;
  int vector_floats;  // floats per vector register
  std::span<const Brgemm> gemm;
  std::span<const Brgemm> direct;
  std::span<const Brgemm> grouped;  // one vector wide, bcast 1 and 2, rows per chunk and stride
  BrgemmStridedBFn gemm_strided_b;  // gemm[0]'s block, B rows in place
  BrgemmStridedAFn gemm_strided_a;  // gemm[0]'s block, A rows in place
  struct {
    int mr, nr;
    BrgemmGatherBFn run;
  } gemm_gather_b;  // B rows gathered: MR output channels x NR pixels
  Depthwise depthwise;
  // Packing microkernels: to[i] = from[i] for i < n; to[i] = 0; and chunks of kInterleave
  // floats from from + j·from_stride to to + j·to_stride (one pixel's channels into a
  // k-interleaved A micro-panel; from_stride 0 repeats one chunk, e.g. of zeros).
  void (*copy_floats)(const float* from, int64_t n, float* to);  // not overlapping
  void (*zero_floats)(float* to, int64_t n);
  void (*add_floats)(const float* from, int64_t n, float* to);  // to[i] += from[i]
  void (*copy_chunks)(const float* from, int64_t from_stride, int64_t chunks, float* to,
                      int64_t to_stride);
  // Per pixel, to[2i + q] = from[q·n + i] (q < 2, i < n): two groups' channels interleaved.
  void (*interleave_pairs)(const float* from, int64_t from_stride, int64_t n, int64_t count,
                           float* to, int64_t to_stride);
  // to[j·rows + s] = from[s·from_stride + j] (s < rows, j < n): rows interleaved; `stream`:
  // where it can, with non-temporal stores, which the caller orders with _mm_sfence().
  void (*interleave_rows)(const float* from, int64_t from_stride, int64_t rows, int64_t n,
                          float* to, bool stream);
  // Per row i < rows, its n floats' even columns to even + i·to_stride, odd ones to odd + ...
  void (*split_columns)(const float* from, int64_t from_stride, int64_t rows, int64_t n,
                        float* even, float* odd, int64_t to_stride);
  // out[j·out_stride + i·step] = t[i·ldt + j] (i < m, j < cols, step >= 1): a tile into
  // NCHW planes; reads t up to round_up(m, 8) rows and round_up(cols, 8) columns.
  void (*transpose_tile)(const float* t, int64_t ldt, int64_t m, int64_t cols, float* out,
                         int64_t out_stride, int64_t step);
  // rows rows of len floats: to + i·to_stride <- from + i·from_stride; `stream`: the whole
  // vectors of each row with non-temporal stores, which the caller orders with _mm_sfence().
  void (*copy_rows)(const float* from, int64_t from_stride, int64_t rows, int64_t len, float* to,
                    int64_t to_stride, bool stream);
  // Runs `iterations` of independent FMA chains in registers; returns the FLOPs done. The
  // benchmark's measure of the machine's FMA peak for this ISA.
  double (*fma_peak)(int64_t iterations);
};

}  // namespace svertka
