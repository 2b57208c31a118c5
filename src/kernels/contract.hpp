// The microkernel contract, after BLIS's "kernels how-to". Microkernels are the only ISA code:
// templates written once with xsimd in this directory, instantiated per ISA in dispatch/, and
// reached by algorithms only through a KernelTable.
//
// GEMM microkernel  C[MR x NR] (=|+=) A·B  over kc steps of the reduction:
//  - a: packed A micro-panel, MR rows, stored k-interleaved: [kc/U][MR][U] (U = kInterleave),
//    i.e. for each group of U reduction steps, each row's U values are contiguous. Packing the
//    input this way is a straight copy of U contiguous channels per pixel (NHWC), and the
//    kernel still reads A with constant offsets.
//  - b: packed B micro-panel, NR columns: [kc][NR], 64-byte aligned.
//  - kc is a multiple of U. Packing pads kc, MR and NR with zeros: the kernel never sees a
//    ragged edge and always computes the full MR x NR tile.
//  - c: row-major, row stride ldc; the full tile is stored (unaligned). For a partial tile the
//    caller passes a scratch tile and copies the valid part (algorithms/gemm_driver).
//  - init: Init::bias_rows starts each row i from bias[i] (MR values readable), Init::bias_cols
//    each column j from bias[j] (NR values readable), Init::accumulate from C itself. The first
//    block of the reduction overwrites with the bias, later blocks accumulate.
#pragma once

#include <cstdint>
#include <span>

namespace svertka {

inline constexpr int kInterleave = 8;  // U: keeps every A offset of a 14-row tile in disp8

enum class Init : int { accumulate, bias_rows, bias_cols };

using GemmKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                            Init init, const float* bias);

struct GemmKernelInfo {
  const char* name;  // XNNPACK style: gemm_f32_14x32__avx512f
  int mr, nr;
  GemmKernel run;
};

// Everything one ISA provides. gemm[0] is the default register block; the others are the
// variants the autotuner may pick.
struct KernelTable {
  const char* isa;
  int vector_floats;  // floats per vector register
  std::span<const GemmKernelInfo> gemm;
  // Packing microkernels: to[i] = from[i] for i < n; to[i] = 0; and chunk j of kInterleave
  // floats to to + j·to_stride (one pixel's channels into a k-interleaved A micro-panel).
  void (*copy_floats)(const float* from, int64_t n, float* to);
  void (*zero_floats)(float* to, int64_t n);
  void (*copy_chunks)(const float* from, int64_t chunks, float* to, int64_t to_stride);
  // Runs `iterations` of independent FMA chains in registers; returns the FLOPs done. The
  // benchmark's measure of the machine's FMA peak for this ISA.
  double (*fma_peak)(int64_t iterations);
};

}  // namespace svertka
