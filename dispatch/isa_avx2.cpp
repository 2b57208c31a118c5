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

constexpr Brgemm kDirect[] = {
    {"brgemm_f32_6x16_row16__avx2_fma", 6, 16, 2 * U, kernels::brgemm<Arch, 6, 2, 2 * U>},
    {"brgemm_f32_1x16_row8__avx2_fma", 1, 16, U, kernels::brgemm<Arch, 1, 2, U>},
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
