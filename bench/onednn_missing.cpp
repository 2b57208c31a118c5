// This build has no oneDNN: the side-by-side benchmarks are left out.
#include <stdexcept>

#include "onednn_layer.hpp"

namespace svertka::bench {

bool have_onednn() { return false; }

std::unique_ptr<OnednnLayer> make_onednn_layer(const Layer&, int) {
  throw std::runtime_error("built without oneDNN");
}

}  // namespace svertka::bench
