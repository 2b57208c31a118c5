// The AVX2 + FMA instantiations of src/kernels/ (compiled with -mavx2 -mfma).
#include "kernel_tables.hpp"
#include "kernels/copy.hpp"
#include "kernels/depthwise.hpp"
#include "kernels/brgemm.hpp"

namespace svertka::avx2 {
namespace {

using Arch = xsimd::fma3<xsimd::avx2>;

constexpr int U = kInterleave;

constexpr Brgemm kGemm[] = {
    kernels::gemm_block<Arch, 6, 2>("brgemm_f32_6x16_row8__avx2_fma"),
    kernels::gemm_block<Arch, 4, 3>("brgemm_f32_4x24_row8__avx2_fma"),
    kernels::gemm_block<Arch, 4, 2>("brgemm_f32_4x16_row8__avx2_fma"),
};

// Compiled row strides for direct's tiles (other strides and heights take a block's rows form,
// on Zen 5 up to 5% slower than compiled 6x16 ones): rows 16 apart, stride 2 over channel
// blocks; rows C·stride apart, NHWC input read in place (24..48: 24 to 48 channels at stride 1,
// 16 or 24 at stride 2, as in MobileNets). 4x24 too, for stride 2 and the channel counts
// networks have (ResNet's last layers). 5x16 for the shorter of the near-equal tiles that 6x16
// rows leave (49 = 4·6 + 5·5).
constexpr Brgemm kDirect[] = {
    kernels::block<Arch, 6, 2, 2 * U>("brgemm_f32_6x16_row16__avx2_fma"),
    kernels::block<Arch, 6, 2, 24>("brgemm_f32_6x16_row24__avx2_fma"),
    kernels::block<Arch, 6, 2, 32>("brgemm_f32_6x16_row32__avx2_fma"),
    kernels::block<Arch, 6, 2, 40>("brgemm_f32_6x16_row40__avx2_fma"),
    kernels::block<Arch, 6, 2, 48>("brgemm_f32_6x16_row48__avx2_fma"),
    kernels::block<Arch, 6, 2, 64>("brgemm_f32_6x16_row64__avx2_fma"),
    kernels::block<Arch, 6, 2, 128>("brgemm_f32_6x16_row128__avx2_fma"),
    kernels::block<Arch, 6, 2, 256>("brgemm_f32_6x16_row256__avx2_fma"),
    kernels::block<Arch, 6, 2, 512>("brgemm_f32_6x16_row512__avx2_fma"),
    kernels::block<Arch, 6, 2, 1024>("brgemm_f32_6x16_row1024__avx2_fma"),
    kernels::block<Arch, 6, 2, 2048>("brgemm_f32_6x16_row2048__avx2_fma"),
    kernels::block<Arch, 4, 3, 16>("brgemm_f32_4x24_row16__avx2_fma"),
    kernels::block<Arch, 4, 3, 64>("brgemm_f32_4x24_row64__avx2_fma"),
    kernels::block<Arch, 4, 3, 128>("brgemm_f32_4x24_row128__avx2_fma"),
    kernels::block<Arch, 4, 3, 256>("brgemm_f32_4x24_row256__avx2_fma"),
    kernels::block<Arch, 4, 3, 512>("brgemm_f32_4x24_row512__avx2_fma"),
    kernels::block<Arch, 4, 3, 1024>("brgemm_f32_4x24_row1024__avx2_fma"),
    kernels::block<Arch, 4, 3, 2048>("brgemm_f32_4x24_row2048__avx2_fma"),
    kernels::block<Arch, 5, 2, U>("brgemm_f32_5x16_row8__avx2_fma"),
    kernels::block<Arch, 5, 2, 2 * U>("brgemm_f32_5x16_row16__avx2_fma"),
    kernels::block<Arch, 5, 2, 24>("brgemm_f32_5x16_row24__avx2_fma"),
    kernels::block<Arch, 5, 2, 32>("brgemm_f32_5x16_row32__avx2_fma"),
    kernels::block<Arch, 5, 2, 40>("brgemm_f32_5x16_row40__avx2_fma"),
    kernels::block<Arch, 5, 2, 48>("brgemm_f32_5x16_row48__avx2_fma"),
    kernels::block<Arch, 5, 2, 64>("brgemm_f32_5x16_row64__avx2_fma"),
    kernels::block<Arch, 5, 2, 128>("brgemm_f32_5x16_row128__avx2_fma"),
    kernels::block<Arch, 5, 2, 256>("brgemm_f32_5x16_row256__avx2_fma"),
    kernels::block<Arch, 5, 2, 512>("brgemm_f32_5x16_row512__avx2_fma"),
    kernels::block<Arch, 5, 2, 1024>("brgemm_f32_5x16_row1024__avx2_fma"),
    kernels::block<Arch, 5, 2, 2048>("brgemm_f32_5x16_row2048__avx2_fma"),
};

// One vector wide, for grouped convolution: rows one pixel's chunk of channels x the stride
// apart, with one group (bcast 1) or two interleaved groups per vector (bcast 2); the row form
// for 3-wide filters at stride 1.
constexpr Brgemm kGrouped[] = {
    kernels::block<Arch, 12, 1, 8>("brgemm_f32_12x8_row8__avx2_fma"),
    kernels::block<Arch, 12, 1, 16>("brgemm_f32_12x8_row16__avx2_fma"),
    kernels::block<Arch, 12, 1, 32>("brgemm_f32_12x8_row32__avx2_fma"),
    kernels::block<Arch, 12, 1, 64>("brgemm_f32_12x8_row64__avx2_fma"),
    {"brgemm_f32_12x8_row16_bcast2__avx2_fma", 12, 8, 16, kernels::brgemm<Arch, 12, 1, 16, 2>, 2},
    {"brgemm_f32_12x8_row32_bcast2__avx2_fma", 12, 8, 32, kernels::brgemm<Arch, 12, 1, 32, 2>, 2},
    {"brgemm_f32_12x8_row64_bcast2__avx2_fma", 12, 8, 64, kernels::brgemm<Arch, 12, 1, 64, 2>, 2},
    {"brgemm_row3_f32_10x8_row8__avx2_fma", 10, 8, 8, kernels::brgemm_row<Arch, 10, 3, 8, 1>, 1, 3},
    {"brgemm_row3_f32_10x8_row16__avx2_fma", 10, 8, 16, kernels::brgemm_row<Arch, 10, 3, 16, 1>, 1,
     3},
    {"brgemm_row3_f32_10x8_row32__avx2_fma", 10, 8, 32, kernels::brgemm_row<Arch, 10, 3, 32, 1>, 1,
     3},
    {"brgemm_row3_f32_10x8_row16_bcast2__avx2_fma", 10, 8, 16,
     kernels::brgemm_row<Arch, 10, 3, 16, 2>, 2, 3},
    {"brgemm_row3_f32_10x8_row32_bcast2__avx2_fma", 10, 8, 32,
     kernels::brgemm_row<Arch, 10, 3, 32, 2>, 2, 3},
};

}  // namespace

const KernelTable table{"avx2",
                        8,
                        kGemm,
                        kDirect,
                        kGrouped,
                        kernels::brgemm_strided_b<Arch, 6, 2>,
                        kernels::brgemm_strided_a<Arch, 6, 2>,
                        {6, 16, kernels::brgemm_gather_b<Arch, 6, 2>},
                        {"dwconv_f32_4x16__avx2_fma", 4, 16, kernels::depthwise_row<Arch, 4, 2>,
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

}  // namespace svertka::avx2
