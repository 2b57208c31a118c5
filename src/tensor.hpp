// Where element (n, c, h, w) of a 4-D activation tensor lives, in either layout.
#pragma once

#include <cstdint>

#include "svertka/svertka.hpp"

namespace svertka {

struct TensorDesc {
  int64_t n = 0, c = 0, h = 0, w = 0;
  Layout layout = Layout::nchw;

  int64_t size() const { return n * c * h * w; }
  int64_t offset(int64_t in, int64_t ic, int64_t ih, int64_t iw) const {
    return layout == Layout::nchw ? ((in * c + ic) * h + ih) * w + iw
                                  : ((in * h + ih) * w + iw) * c + ic;
  }
};

}  // namespace svertka
