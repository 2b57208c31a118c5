// Depthwise convolution and depthwise transposed convolution (groups = in_channels, any
// channel multiplier m): output channel k reads input channel k/m only.
//
// Like the direct engine, the work is a list of passes, each an ordinary depthwise
// convolution of the input writing a strided subset of the output: one pass for a
// convolution, one per output phase (o mod stride) for a transposed convolution, with the
// flipped sub-filter of the taps that land on real input (bilinear upsampling runs here).
//
// NHWC: the depthwise microkernel, vectorised over channels; the input is read in place when it
// is NHWC with m = 1 and whole channel blocks, else a task gathers the input rows of its band
// into NHWC with channels padded to whole blocks, channel k holding input channel k/m.
// NCHW: the plane microkernel, vectorised along rows, over zero-padded, stride-phase-split
// copies of the input plane's rows.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation depthwise_implementation;

}  // namespace svertka
