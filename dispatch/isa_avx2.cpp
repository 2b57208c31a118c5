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
    {"brgemm_f32_6x16_row8__avx2_fma", 6, 16, U, kernels::brgemm<Arch, 6, 2, U>},
    {"brgemm_f32_4x24_row8__avx2_fma", 4, 24, U, kernels::brgemm<Arch, 4, 3, U>},
    {"brgemm_f32_4x16_row8__avx2_fma", 4, 16, U, kernels::brgemm<Arch, 4, 2, U>},
};

// Rows 16 apart: stride 2 over channel blocks; rows C·stride apart: NHWC input read in place.
constexpr Brgemm kDirect[] = {
    {"brgemm_f32_6x16_row16__avx2_fma", 6, 16, 2 * U, kernels::brgemm<Arch, 6, 2, 2 * U>},
    {"brgemm_f32_6x16_row64__avx2_fma", 6, 16, 64, kernels::brgemm<Arch, 6, 2, 64>},
    {"brgemm_f32_6x16_row128__avx2_fma", 6, 16, 128, kernels::brgemm<Arch, 6, 2, 128>},
    {"brgemm_f32_6x16_row256__avx2_fma", 6, 16, 256, kernels::brgemm<Arch, 6, 2, 256>},
    {"brgemm_f32_6x16_row512__avx2_fma", 6, 16, 512, kernels::brgemm<Arch, 6, 2, 512>},
    {"brgemm_f32_6x16_row1024__avx2_fma", 6, 16, 1024, kernels::brgemm<Arch, 6, 2, 1024>},
    {"brgemm_f32_6x16_row2048__avx2_fma", 6, 16, 2048, kernels::brgemm<Arch, 6, 2, 2048>},
};

}  // namespace

const KernelTable table{"avx2",
                        8,
                        kGemm,
                        kDirect,
                        {"dwconv_f32_4x16__avx2_fma", 4, 16, kernels::depthwise_row<Arch, 4, 2>,
                         kernels::depthwise_plane_row<Arch>},
                        kernels::copy_floats<Arch>,
                        kernels::zero_floats<Arch>,
                        kernels::add_floats<Arch>,
                        kernels::copy_chunks<Arch>,
                        kernels::copy_rows<Arch>,
                        kernels::fma_peak<Arch>};

}  // namespace svertka::avx2
