// Depthwise convolution (groups = in_channels, any channel multiplier m): the depthwise
// microkernel, vectorised over channels, on NHWC rows. The input is read in place when it is
// NHWC with m = 1 and whole channel blocks; otherwise it is first copied into an NHWC buffer
// with each channel repeated m times and the channels padded to whole blocks (so every output
// channel k reads input channel k), and the output goes through an NHWC buffer too.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation depthwise_implementation;

}  // namespace svertka
