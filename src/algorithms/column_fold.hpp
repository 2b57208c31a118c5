// A first layer (three input channels, a 7x7 filter) with the filter's columns folded into the
// reduction, none of its steps padding (direct would pad 3 channels to 8, im2col copy every tap
// of every pixel). Each task first copies its input rows into rows zero-padded at both ends.
// NHWC: the S·C taps of one filter row read from one output pixel are one contiguous run of the
// input row, and neighbouring pixels' runs start stride·C floats apart: tiles of pixels x output
// channels read them in place (KernelTable::gemm_strided_a). NCHW: each channel's padded row is
// split into its stride phases, so that tap (r, s, c) of consecutive output pixels is one
// contiguous run: tiles of output channels x pixels gather those runs (gemm_gather_b) and go
// straight into the output planes.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation column_fold_implementation;

}  // namespace svertka
