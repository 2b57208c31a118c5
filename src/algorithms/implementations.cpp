// The ordered list of implementations: the first that applies wins unless SVERTKA_ALGO forces
// one. New algorithms go in front of the reference.
#include "../algorithm.hpp"
#include "depthwise.hpp"
#include "direct.hpp"
#include "gemm_col2im.hpp"
#include "im2col_gemm.hpp"
#include "reference_algorithm.hpp"

namespace svertka {

std::span<const Implementation> implementations() {
  static const Implementation list[] = {depthwise_implementation, direct_implementation,
                                        im2col_gemm_implementation, gemm_col2im_implementation,
                                        reference_implementation};
  return list;
}

}  // namespace svertka
