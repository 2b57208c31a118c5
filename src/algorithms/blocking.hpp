// Cache blocks for the GEMM loops around a microkernel: data, from an analytical model.
#pragma once

#include <cstdint>

#include "../problem.hpp"
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

// Whether a layer's output goes to memory past the caches (non-temporal stores): when its
// input and output together exceed half the L3 share of the threads that run it (a share the
// other cores' data compete for), the first output lines leave L3 before the layer ends, and
// caching them costs a read for ownership of each. Zen 5, 16 MB of L3 a core: U-Net's 256 ->
// 128 transposed layer in NCHW, 38 MB, 22.0 -> 16.5 ms at one thread, 12.3 -> 8.5 ms at two;
// VGG's 224x224 layer, 26 MB, 20.3 -> 17.9 ms at one thread, 10.4 -> 9.5 ms at two; U-Net's
// 1024 -> 512 one, 9.6 MB, equal either way.
bool streams_output(const Problem& pr, int threads, const Topology& topo);

// The bound on the packed block of the unfolded input, per thread.
inline constexpr int64_t kWorkspaceBytes = 1 << 20;

}  // namespace svertka
