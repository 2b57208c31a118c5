// The AVX-512 instantiations of src/kernels/ (compiled with -mavx512f -mavx2 -mfma).
#include "kernel_tables.hpp"
#include "kernels/copy.hpp"
#include "kernels/depthwise.hpp"
#include "kernels/brgemm.hpp"

namespace svertka::avx512 {
namespace {

using Arch = xsimd::avx512f;

constexpr int U = kInterleave;

// 16x16 is the block for weights streamed from L3 (direct.cpp: one tile per panel), which it
// prefetches 8 KiB ahead; 7x48 the one for images 7 pixels wide (ResNet's last stage: 49
// pixels are 7 tiles, not 4 of 14 with 7 rows empty).
constexpr Brgemm kGemm[] = {
    kernels::gemm_block<Arch, 14, 2>("brgemm_f32_14x32_row8__avx512f"),
    kernels::gemm_block<Arch, 8, 2>("brgemm_f32_8x32_row8__avx512f"),
    kernels::gemm_block<Arch, 6, 4>("brgemm_f32_6x64_row8__avx512f"),
    kernels::gemm_block<Arch, 12, 2>("brgemm_f32_12x32_row8__avx512f"),
    kernels::gemm_block<Arch, 16, 1, 2048>("brgemm_f32_16x16_row8__avx512f"),
    kernels::gemm_block<Arch, 7, 3>("brgemm_f32_7x48_row8__avx512f"),
};

// Compiled row strides for direct's tiles (other strides and heights take a block's rows form):
// rows 16 apart, stride 2 over channel blocks; rows C·stride apart, NHWC input read in place
// (24..48: 24 to 48 channels at stride 1, 16 or 24 at stride 2, as in MobileNets). 7x32 for
// rows 7 pixels wide (ResNet's last stage), 2-3% faster there than the rows form on Zen 5.
constexpr Brgemm kDirect[] = {
    kernels::block<Arch, 14, 2, 2 * U>("brgemm_f32_14x32_row16__avx512f"),
    kernels::block<Arch, 14, 2, 24>("brgemm_f32_14x32_row24__avx512f"),
    kernels::block<Arch, 14, 2, 32>("brgemm_f32_14x32_row32__avx512f"),
    kernels::block<Arch, 14, 2, 40>("brgemm_f32_14x32_row40__avx512f"),
    kernels::block<Arch, 14, 2, 48>("brgemm_f32_14x32_row48__avx512f"),
    kernels::block<Arch, 14, 2, 64>("brgemm_f32_14x32_row64__avx512f"),
    kernels::block<Arch, 14, 2, 128>("brgemm_f32_14x32_row128__avx512f"),
    kernels::block<Arch, 14, 2, 256>("brgemm_f32_14x32_row256__avx512f"),
    kernels::block<Arch, 14, 2, 512>("brgemm_f32_14x32_row512__avx512f"),
    kernels::block<Arch, 14, 2, 1024>("brgemm_f32_14x32_row1024__avx512f"),
    kernels::block<Arch, 14, 2, 2048>("brgemm_f32_14x32_row2048__avx512f"),
    kernels::block<Arch, 7, 2, U>("brgemm_f32_7x32_row8__avx512f"),
    kernels::block<Arch, 7, 2, 2 * U>("brgemm_f32_7x32_row16__avx512f"),
    kernels::block<Arch, 7, 2, 24>("brgemm_f32_7x32_row24__avx512f"),
    kernels::block<Arch, 7, 2, 32>("brgemm_f32_7x32_row32__avx512f"),
    kernels::block<Arch, 7, 2, 40>("brgemm_f32_7x32_row40__avx512f"),
    kernels::block<Arch, 7, 2, 48>("brgemm_f32_7x32_row48__avx512f"),
    kernels::block<Arch, 7, 2, 64>("brgemm_f32_7x32_row64__avx512f"),
    kernels::block<Arch, 7, 2, 128>("brgemm_f32_7x32_row128__avx512f"),
    kernels::block<Arch, 7, 2, 256>("brgemm_f32_7x32_row256__avx512f"),
    kernels::block<Arch, 7, 2, 512>("brgemm_f32_7x32_row512__avx512f"),
    kernels::block<Arch, 7, 2, 1024>("brgemm_f32_7x32_row1024__avx512f"),
    kernels::block<Arch, 7, 2, 2048>("brgemm_f32_7x32_row2048__avx512f"),
};

// One vector wide, for grouped convolution: rows one pixel's chunk of channels x the stride
// apart, with one group (bcast 1) or two interleaved groups per vector (bcast 2); the row form
// for 3-wide filters at stride 1.
constexpr Brgemm kGrouped[] = {
    kernels::block<Arch, 14, 1, 8>("brgemm_f32_14x16_row8__avx512f"),
    kernels::block<Arch, 14, 1, 16>("brgemm_f32_14x16_row16__avx512f"),
    kernels::block<Arch, 14, 1, 32>("brgemm_f32_14x16_row32__avx512f"),
    kernels::block<Arch, 14, 1, 64>("brgemm_f32_14x16_row64__avx512f"),
    {"brgemm_f32_14x16_row16_bcast2__avx512f", 14, 16, 16, kernels::brgemm<Arch, 14, 1, 16, 2>, 2},
    {"brgemm_f32_14x16_row32_bcast2__avx512f", 14, 16, 32, kernels::brgemm<Arch, 14, 1, 32, 2>, 2},
    {"brgemm_f32_14x16_row64_bcast2__avx512f", 14, 16, 64, kernels::brgemm<Arch, 14, 1, 64, 2>, 2},
    {"brgemm_row3_f32_14x16_row8__avx512f", 14, 16, 8, kernels::brgemm_row<Arch, 14, 3, 8, 1>, 1,
     3},
    {"brgemm_row3_f32_14x16_row16__avx512f", 14, 16, 16, kernels::brgemm_row<Arch, 14, 3, 16, 1>, 1,
     3},
    {"brgemm_row3_f32_14x16_row32__avx512f", 14, 16, 32, kernels::brgemm_row<Arch, 14, 3, 32, 1>, 1,
     3},
    {"brgemm_row3_f32_14x16_row16_bcast2__avx512f", 14, 16, 16,
     kernels::brgemm_row<Arch, 14, 3, 16, 2>, 2, 3},
    {"brgemm_row3_f32_14x16_row32_bcast2__avx512f", 14, 16, 32,
     kernels::brgemm_row<Arch, 14, 3, 32, 2>, 2, 3},
};

}  // namespace

const KernelTable table{"avx512",
                        16,
                        kGemm,
                        kDirect,
                        kGrouped,
                        kernels::brgemm_strided_b<Arch, 14, 2>,
                        kernels::brgemm_strided_a<Arch, 14, 2>,
                        {8, 32, kernels::brgemm_gather_b<Arch, 8, 2>},
                        {"dwconv_f32_8x32__avx512f", 8, 32, kernels::depthwise_row<Arch, 8, 2>,
                         kernels::depthwise_plane<Arch>},
                        kernels::copy_floats<Arch>,
                        kernels::zero_floats<Arch>,
                        kernels::add_floats<Arch>,
                        kernels::copy_chunks<Arch>,
                        kernels::interleave_pairs<Arch>,
                        kernels::interleave_rows<Arch>,
                        kernels::split_columns<Arch>,
                        kernels::transpose_tile<Arch>,
                        kernels::copy_rows<Arch>,
                        kernels::fma_peak<Arch>};

}  // namespace svertka::avx512
