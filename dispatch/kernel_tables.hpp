// The kernel table of each ISA, and the choice of ISA: the best the CPU runs, capped by
// SVERTKA_ISA.
#pragma once

#include <string>

#include "cpu_features.hpp"
#include "kernels/contract.hpp"

namespace svertka {

namespace avx512 {
extern const KernelTable table;
}
namespace avx2 {
extern const KernelTable table;
}

// nullptr for Isa::reference: only the reference algorithm runs there.
const KernelTable* kernel_table(Isa isa);

// The ISA to use under the cap given by SVERTKA_ISA ("" = none): the lower of the cap and what
// the CPU and OS support. Throws std::invalid_argument for an unknown cap.
Isa select_isa(const std::string& cap);

}  // namespace svertka
