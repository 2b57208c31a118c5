// A first layer (three input channels, a 7x7 filter) as direct convolution: the filter's
// columns are folded into the channels. Input pixel (y, ox) of the folded problem holds the
// S·C floats that output column ox reads from input row y (one contiguous run in NHWC, zero
// outside the image), padded to whole channel blocks; the folded filter is R x 1, stride
// (stride_h, 1), with no padding sideways. The direct engine then reads the folded input in
// place with full channel blocks, where im2col would copy every tap of every pixel into
// panels float by float.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation column_fold_implementation;

}  // namespace svertka
