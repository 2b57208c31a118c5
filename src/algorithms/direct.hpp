// Direct convolution (Zhang, Franchetti, Low, ICML 2018; oneDNN's brgemm convolutions), and the
// transposed convolution fused the same way so that no inserted zero is ever multiplied.
//
// The work is a list of passes. A pass computes the output pixels (oy0 + j·out_step_y,
// ox0 + i·out_step_x) as an ordinary convolution of the input, pixel (j, i) reading input
// (j·in_step_y + dy, i·in_step_x + dx) for each tap (dy, dx) of its (sub-)filter. A
// convolution is one pass with in_step = stride. A transposed convolution is stride_h·stride_w
// passes, one per output phase (o mod stride): each a stride-1 convolution with the sub-filter
// of the taps that land on real input for that phase, flipped (XNNPACK's subconvolutions); a
// phase may have no taps (bias only), and a filter no larger than the stride gives 1x1
// phases, plain GEMMs.
//
// A brgemm microkernel accumulates a tile of MR pass pixels x NR output channels in registers
// over all taps and input channels, reading the input in place: NHWC input with one group and
// whole channel blocks as it is (rows C·stride apart), any other input after one reorder per
// execution into channel blocks [H][C/U][W][U]. A pass row is cut into near-equal tiles of up
// to MR pixels; tap rows outside the image are left out of a tile's batch, and a tap that
// leaves the image sideways within a tile is multiplied over just the pixels where it reads
// inside (a kernel of that height: no padding tap computed, nothing copied). Rows too narrow
// for tiles that keep the FMAs busy are gathered MR pixels at a time from several rows into
// packed panels (zeros for the outside taps) and run through the GEMM kernel.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation direct_implementation;

}  // namespace svertka
