// The machine's FMA peak for an ISA on a number of threads, measured (not assumed) by running
// the ISA's register-resident FMA loop on that many threads at once. Measured once per run.
#pragma once

#include "kernels/contract.hpp"

namespace svertka::bench {

double peak_gflops(const KernelTable& table, int threads);

}  // namespace svertka::bench
