// Baseline code: picks a table, never calls into one the CPU cannot run.
#include "kernel_tables.hpp"

#include <algorithm>
#include <stdexcept>

namespace svertka {

const KernelTable* kernel_table(Isa isa) {
  switch (isa) {
    case Isa::avx512: return &avx512::table;
    case Isa::avx2: return &avx2::table;
    case Isa::reference: break;
  }
  return nullptr;
}

Isa select_isa(const std::string& cap) {
  Isa limit = Isa::avx512;
  if (cap == "avx2") {
    limit = Isa::avx2;
  } else if (cap == "reference") {
    limit = Isa::reference;
  } else if (!cap.empty() && cap != "avx512") {
    throw std::invalid_argument("svertka: SVERTKA_ISA=" + cap +
                                " is not one of avx512, avx2, reference");
  }
  return std::min(limit, detected_isa());
}

}  // namespace svertka
