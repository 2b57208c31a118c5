// The validated description of one operation: params, op and the derived output size.
// The single place where shapes are checked, output sizes computed and FLOPs counted.
#pragma once

#include <cstdint>
#include <string>

#include "svertka/svertka.hpp"
#include "tensor.hpp"

namespace svertka {

struct Problem {
  Op op = Op::conv2d;
  ConvParams p;
  int64_t out_h = 0, out_w = 0;  // dst height and width

  int64_t in_per_group() const { return p.in_channels / p.groups; }
  int64_t out_per_group() const { return p.out_channels / p.groups; }
  TensorDesc src() const { return {p.batch, p.in_channels, p.in_height, p.in_width, p.layout}; }
  TensorDesc dst() const { return {p.batch, p.out_channels, out_h, out_w, p.layout}; }
  // PyTorch order: conv [out][in/groups][kh][kw], transposed [in][out/groups][kh][kw].
  int64_t weights_size() const {
    return p.in_channels * p.out_channels / p.groups * p.kernel_h * p.kernel_w;
  }
};

// Checks every rule of the C contract and derives the output size. Throws
// std::invalid_argument with a message that names the offending field.
Problem make_problem(Op op, const ConvParams& params);

// The same computation in the shape the algorithms run best: a pointwise layer (1x1 filter,
// stride 1, no padding) is one row of H·W pixels, its tensors the same bytes in both layouts,
// so tiles run across image rows. Anything else is returned as it is.
Problem canonical(const Problem& problem);

// Multiply-adds times two that the operation needs; for the transposed convolution the useful
// work only (no inserted zeros): 2·N·C·H·W·(K/groups)·R·S.
double flops(const Problem& problem);

const char* to_string(Op op);
const char* to_string(Layout layout);

// oneDNN-style problem descriptor, e.g. "mb1_ic64oc64_ih56oh56kh3sh1dh0ph1_iw56ow56kw3sw1dw0pw1".
std::string to_string(const Problem& problem);

[[noreturn]] void throw_invalid(const std::string& message);

}  // namespace svertka
