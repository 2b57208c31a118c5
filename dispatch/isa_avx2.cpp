// The AVX2 + FMA instantiations of src/kernels/ (compiled with -mavx2 -mfma).
#include "kernel_tables.hpp"
#include "kernels/copy.hpp"
#include "kernels/gemm.hpp"

namespace svertka::avx2 {
namespace {

using Arch = xsimd::fma3<xsimd::avx2>;

constexpr GemmKernelInfo kGemm[] = {
    {"gemm_f32_6x16__avx2_fma", 6, 16, kernels::gemm<Arch, 6, 2>},
    {"gemm_f32_4x24__avx2_fma", 4, 24, kernels::gemm<Arch, 4, 3>},
    {"gemm_f32_4x16__avx2_fma", 4, 16, kernels::gemm<Arch, 4, 2>},
};

}  // namespace

const KernelTable table{"avx2",
                        8,
                        kGemm,
                        kernels::copy_floats<Arch>,
                        kernels::zero_floats<Arch>,
                        kernels::copy_chunks<Arch>,
                        kernels::fma_peak<Arch>};

}  // namespace svertka::avx2
