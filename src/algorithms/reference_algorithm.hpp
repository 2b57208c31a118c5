// The reference kernels as an algorithm: sliding window for conv2d, scatter for the transposed.
#pragma once

#include "../algorithm.hpp"

namespace svertka {

extern const Implementation reference_implementation;

}  // namespace svertka
