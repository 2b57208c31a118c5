// Direct convolution (Zhang, Franchetti, Low, ICML 2018; oneDNN's brgemm convolutions): the
// input is reordered once per execution into channel blocks [H][C/U][W][U], and a brgemm
// microkernel accumulates a tile of MR output pixels x NR output channels in registers over all
// filter taps and input channels, reading that input in place. No unfolded copy exists.
// Border pixels, whose windows leave the image, take a one-pixel kernel over exactly their
// valid taps; whole rows of taps outside the image are skipped. Any stride height; stride
// width 1 or 2 (the A row strides the kernel table holds).
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation direct_implementation;

}  // namespace svertka
