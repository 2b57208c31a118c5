// The ordered list of implementations: the first that applies wins unless SVERTKA_ALGO forces
// one. New algorithms go in front of the reference.
#include <algorithm>

#include "../algorithm.hpp"
#include "column_fold.hpp"
#include "depthwise.hpp"
#include "direct.hpp"
#include "gemm_col2im.hpp"
#include "grouped.hpp"
#include "im2col_gemm.hpp"
#include "phase_gemm.hpp"
#include "reference_algorithm.hpp"

namespace svertka {

std::string beyond_fast_paths(const Problem& pr) {
  const ConvParams& p = pr.p;
  constexpr int64_t kStride = 64, kDilation = 1024, kPad = 4096, kKernel = 1024;
  if (std::max(p.stride_h, p.stride_w) > kStride) return "stride above 64";
  if (std::max(p.dilation_h, p.dilation_w) > kDilation) return "dilation above 1024";
  if (std::max({p.pad_top, p.pad_bottom, p.pad_left, p.pad_right}) > kPad) {
    return "padding above 4096";
  }
  if (std::max(p.kernel_h, p.kernel_w) > kKernel) return "filter above 1024";
  return {};
}

std::span<const Implementation> implementations() {
  static const Implementation list[] = {
      depthwise_implementation,   grouped_implementation,     phase_gemm_implementation,
      direct_implementation,      column_fold_implementation, im2col_gemm_implementation,
      gemm_col2im_implementation, reference_implementation};
  return list;
}

}  // namespace svertka
