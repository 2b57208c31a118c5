// oneDNN's convolution or deconvolution of a layer, for side-by-side benchmarks: same layout
// and thread count, weights reordered ahead into oneDNN's preferred format (as svertka packs
// its own). Built only when CMake finds oneDNN (libdnnl-dev).
#pragma once

#include <memory>
#include <string>

#include "layers.hpp"

namespace svertka::bench {

class OnednnLayer {
 public:
  virtual ~OnednnLayer() = default;
  virtual void execute() = 0;
  virtual std::string implementation() const = 0;  // oneDNN's impl_info_str
};

// False when this build has no oneDNN.
bool have_onednn();

// Throws std::runtime_error when oneDNN cannot run the layer.
std::unique_ptr<OnednnLayer> make_onednn_layer(const Layer& layer, int threads);

}  // namespace svertka::bench
