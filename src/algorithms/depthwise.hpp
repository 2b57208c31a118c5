// Depthwise convolution (groups = in_channels, any channel multiplier m): the depthwise
// microkernel, vectorised over channels, on NHWC rows. NHWC input with m = 1 and whole channel
// blocks is read in place; otherwise a task gathers the input rows of its band of output rows
// into NHWC with channels padded to whole blocks, channel k holding input channel k/m.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation depthwise_implementation;

}  // namespace svertka
