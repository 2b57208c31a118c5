// A first layer (three input channels, a 7x7 filter) with the filter's columns folded into the
// reduction: the S·C taps of one filter row read from one output pixel are one contiguous run
// of an NHWC input row, and neighbouring pixels' runs start stride·C floats apart. A microkernel
// that reads A rows in place at that stride (KernelTable::gemm_strided_a) then multiplies
// S·C steps per filter row, none of them padding (direct would pad 3 channels to 8, im2col copy
// every tap of every pixel). Each task first copies its input rows, of either layout, into rows
// with zeros for the padding at both ends.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation column_fold_implementation;

}  // namespace svertka
