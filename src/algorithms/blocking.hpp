// Cache blocks for the GEMM loops around a microkernel: data, from an analytical model.
#pragma once

#include <cstdint>

#include "../runtime/topology.hpp"

namespace svertka {

struct GemmBlocking {
  int64_t mc = 0, kc = 0, nc = 0;
};

// After Low et al., "Analytical modeling is enough for high-performance BLIS" (TOMS 2016):
// kc so that the B micro-panel (kc x nr), reused by every A micro-panel, keeps half of L1;
// mc so that the A block (mc x kc) keeps half of L2; nc so that the B block (kc x nc) keeps
// half of this core's share of L3, and the packed block stays under kWorkspaceBytes.
GemmBlocking model_blocking(const Topology& topo, int mr, int nr);

// The bound on the packed block of the unfolded input, per thread.
inline constexpr int64_t kWorkspaceBytes = 1 << 20;

}  // namespace svertka
