// Grouped convolution with few output channels per group (ResNeXt's 8), where a tile of
// direct convolution, 32 channels wide, would be mostly padding.
//
// A vector's lanes hold the output channels of BCAST = L/Kg neighbouring groups (a "pack"),
// interleaved so that one 64-bit broadcast of the pack's BCAST input values feeds every lane
// (contract.hpp); with Kg = L a pack is one group. The input is reordered once per execution
// into packs of rows zero-padded sideways, [N][packs][H][pad_left + W + pad_right][Cg][BCAST]
// (channels padded to the interleave), and read in place by the one-vector brgemm kernels:
// MR pixels of one output row per tile, the filter taps as the batch, tap rows outside the
// image left out.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation grouped_implementation;

}  // namespace svertka
