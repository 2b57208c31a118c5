// The AVX-512 instantiations of src/kernels/ (compiled with -mavx512f -mavx2 -mfma).
#include "kernel_tables.hpp"
#include "kernels/copy.hpp"
#include "kernels/gemm.hpp"

namespace svertka::avx512 {
namespace {

using Arch = xsimd::avx512f;

constexpr GemmKernelInfo kGemm[] = {
    {"gemm_f32_14x32__avx512f", 14, 32, kernels::gemm<Arch, 14, 2>},
    {"gemm_f32_8x32__avx512f", 8, 32, kernels::gemm<Arch, 8, 2>},
    {"gemm_f32_6x64__avx512f", 6, 64, kernels::gemm<Arch, 6, 4>},
    {"gemm_f32_12x32__avx512f", 12, 32, kernels::gemm<Arch, 12, 2>},
};

}  // namespace

const KernelTable table{"avx512",
                        16,
                        kGemm,
                        kernels::copy_floats<Arch>,
                        kernels::zero_floats<Arch>,
                        kernels::copy_chunks<Arch>,
                        kernels::fma_peak<Arch>};

}  // namespace svertka::avx512
