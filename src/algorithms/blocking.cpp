#include "blocking.hpp"

#include <algorithm>

#include "../kernels/contract.hpp"

namespace svertka {

GemmBlocking model_blocking(const Topology& topo, int mr, int nr) {
  constexpr int64_t f = sizeof(float);
  auto round_down = [](int64_t v, int64_t m) { return std::max(m, v / m * m); };
  GemmBlocking b;
  b.kc = std::clamp<int64_t>(round_down(topo.l1d_bytes / 2 / (nr * f), kInterleave), kInterleave,
                             1024);
  b.mc = round_down(std::min(topo.l2_bytes / 2, kWorkspaceBytes) / (b.kc * f), mr);
  b.nc = round_down(std::min(topo.l3_bytes / 2, kWorkspaceBytes) / (b.kc * f), nr);
  return b;
}

bool streams_output(const Problem& pr, int threads, const Topology& topo) {
  const double bytes = double(pr.src().size() + pr.dst().size()) * sizeof(float);
  return bytes > double(topo.l3_bytes) * threads / 2;
}

}  // namespace svertka
