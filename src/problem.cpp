// Validation, output sizes and FLOP counts: the rules of include/svertka/svertka.h in one place.
#include "problem.hpp"

#include <sstream>
#include <stdexcept>

namespace svertka {
namespace {

std::string field_value(const char* name, int64_t value) {
  return std::string(name) + " = " + std::to_string(value);
}

void require_at_least(const char* name, int64_t value, int64_t least) {
  if (value < least) {
    throw_invalid(std::string(name) + " must be >= " + std::to_string(least) + ", got " +
                  std::to_string(value));
  }
}

int64_t add(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw_invalid(std::string(what) + " overflows int64");
  return r;
}

int64_t mul(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw_invalid(std::string(what) + " overflows int64");
  return r;
}

// Element count of a buffer; its size in bytes must also fit in ptrdiff_t and size_t.
int64_t elements(std::initializer_list<int64_t> dims, const char* what) {
  int64_t n = 1;
  for (int64_t d : dims) n = mul(n, d, what);
  mul(n, int64_t{sizeof(float)}, what);
  return n;
}

// One spatial axis. Names are the C struct's field names, so messages point at the field.
struct Axis {
  int64_t in, kernel, stride, pad_begin, pad_end, dilation, output_padding;
  const char *in_name, *kernel_name, *stride_name, *pad_begin_name, *pad_end_name,
      *dilation_name, *output_padding_name;
};

int64_t output_extent(Op op, const Axis& a) {
  require_at_least(a.in_name, a.in, 1);
  require_at_least(a.kernel_name, a.kernel, 1);
  require_at_least(a.stride_name, a.stride, 1);
  require_at_least(a.dilation_name, a.dilation, 1);
  require_at_least(a.pad_begin_name, a.pad_begin, 0);
  require_at_least(a.pad_end_name, a.pad_end, 0);
  const int64_t span = mul(a.dilation, a.kernel - 1, a.dilation_name);  // dilated kernel - 1
  const int64_t pads = add(a.pad_begin, a.pad_end, a.pad_end_name);
  if (op == Op::conv2d) {
    if (a.output_padding != 0) {
      throw_invalid(field_value(a.output_padding_name, a.output_padding) +
                    ": output padding applies to conv_transpose2d only");
    }
    const int64_t numerator = add(a.in, pads, a.in_name) - span - 1;
    if (numerator < 0) {
      throw_invalid("empty output: the dilated kernel (" + field_value(a.kernel_name, a.kernel) +
                    ", " + field_value(a.dilation_name, a.dilation) + ") is larger than the padded " +
                    field_value(a.in_name, a.in));
    }
    return numerator / a.stride + 1;
  }
  require_at_least(a.output_padding_name, a.output_padding, 0);
  if (a.output_padding >= std::max(a.stride, a.dilation)) {
    throw_invalid(field_value(a.output_padding_name, a.output_padding) + " must be < max(" +
                  a.stride_name + ", " + a.dilation_name + ")");
  }
  const std::string what = std::string("the full output of ") + a.in_name + ", " + a.stride_name +
                           ", " + a.kernel_name + ", " + a.dilation_name;
  int64_t full = mul(a.in - 1, a.stride, what.c_str());
  full = add(full, span, what.c_str());
  full = add(full, a.output_padding + 1, what.c_str());
  const int64_t out = full - pads;
  if (out < 1) {
    throw_invalid("empty output: " + field_value(a.pad_begin_name, a.pad_begin) + " and " +
                  field_value(a.pad_end_name, a.pad_end) + " crop all " + std::to_string(full) +
                  " rows of the full output");
  }
  return out;
}

}  // namespace

void throw_invalid(const std::string& message) {
  throw std::invalid_argument("svertka: " + message);
}

Problem make_problem(Op op, const ConvParams& params) {
  if (op != Op::conv2d && op != Op::conv_transpose2d) {
    throw_invalid(field_value("op", static_cast<int>(op)) + " is not an svk_op");
  }
  const ConvParams& p = params;
  if (p.layout != Layout::nchw && p.layout != Layout::nhwc) {
    throw_invalid(field_value("layout", static_cast<int>(p.layout)) + " is not an svk_layout");
  }
  require_at_least("batch", p.batch, 1);
  require_at_least("in_channels", p.in_channels, 1);
  require_at_least("out_channels", p.out_channels, 1);
  require_at_least("groups", p.groups, 1);
  if (p.in_channels % p.groups != 0) {
    throw_invalid(field_value("in_channels", p.in_channels) + " is not divisible by " +
                  field_value("groups", p.groups));
  }
  if (p.out_channels % p.groups != 0) {
    throw_invalid(field_value("out_channels", p.out_channels) + " is not divisible by " +
                  field_value("groups", p.groups));
  }
  Problem pr{op, p, 0, 0};
  pr.out_h = output_extent(op, {p.in_height, p.kernel_h, p.stride_h, p.pad_top, p.pad_bottom,
                                p.dilation_h, p.output_padding_h, "in_height", "kernel_h",
                                "stride_h", "pad_top", "pad_bottom", "dilation_h",
                                "output_padding_h"});
  pr.out_w = output_extent(op, {p.in_width, p.kernel_w, p.stride_w, p.pad_left, p.pad_right,
                                p.dilation_w, p.output_padding_w, "in_width", "kernel_w",
                                "stride_w", "pad_left", "pad_right", "dilation_w",
                                "output_padding_w"});
  elements({p.batch, p.in_channels, p.in_height, p.in_width}, "src size (batch*in_channels*...)");
  elements({p.batch, p.out_channels, pr.out_h, pr.out_w}, "dst size (batch*out_channels*...)");
  elements({p.in_channels, p.out_channels / p.groups, p.kernel_h, p.kernel_w},
           "weights size (channels*kernel_h*kernel_w)");
  // The unfolded (im2col) matrix and the FLOP count must not wrap either.
  elements({p.batch, p.in_channels, p.kernel_h, p.kernel_w, std::max(pr.out_h, p.in_height),
            std::max(pr.out_w, p.in_width), p.out_channels / p.groups},
           "work (batch*in_channels*kernel*image*out_channels/groups)");
  return pr;
}

Problem canonical(const Problem& pr) {
  const ConvParams& p = pr.p;
  const bool pointwise = p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 &&
                         p.stride_w == 1 && p.pad_top == 0 && p.pad_bottom == 0 &&
                         p.pad_left == 0 && p.pad_right == 0 && p.output_padding_h == 0 &&
                         p.output_padding_w == 0;
  if (!pointwise || p.in_height == 1) return pr;
  Problem row = pr;
  row.p.in_width = p.in_height * p.in_width;
  row.p.in_height = 1;
  row.out_h = 1;
  row.out_w = pr.out_h * pr.out_w;
  return row;
}

double flops(const Problem& pr) {
  const ConvParams& p = pr.p;
  const double windows = pr.op == Op::conv2d
                             ? double(p.batch) * p.out_channels * pr.out_h * pr.out_w
                             : double(p.batch) * p.in_channels * p.in_height * p.in_width;
  const double per_window =
      double(pr.op == Op::conv2d ? pr.in_per_group() : pr.out_per_group()) * p.kernel_h *
      p.kernel_w;
  return 2.0 * windows * per_window;
}

const char* to_string(Op op) { return op == Op::conv2d ? "conv2d" : "conv_transpose2d"; }
const char* to_string(Layout layout) { return layout == Layout::nchw ? "nchw" : "nhwc"; }

std::string to_string(const Problem& pr) {
  const ConvParams& p = pr.p;
  std::ostringstream out;
  auto pad = [&](const char* both, int64_t begin, int64_t end, const char* b, const char* e) {
    if (begin == end) {
      out << both << begin;
    } else {
      out << b << begin << e << end;
    }
  };
  if (p.groups > 1) out << "g" << p.groups;
  out << "mb" << p.batch << "_ic" << p.in_channels << "oc" << p.out_channels;
  out << "_ih" << p.in_height << "oh" << pr.out_h << "kh" << p.kernel_h << "sh" << p.stride_h
      << "dh" << p.dilation_h - 1;
  pad("ph", p.pad_top, p.pad_bottom, "pt", "pb");
  out << "_iw" << p.in_width << "ow" << pr.out_w << "kw" << p.kernel_w << "sw" << p.stride_w
      << "dw" << p.dilation_w - 1;
  pad("pw", p.pad_left, p.pad_right, "pl", "pr");
  return out.str();
}

}  // namespace svertka
