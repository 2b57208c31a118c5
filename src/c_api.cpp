// The C contract as thin wrappers over the C++ API: exceptions become status codes here and
// the message is kept per thread for svk_last_error().
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "svertka/svertka.h"
#include "svertka/svertka.hpp"
#include "bilinear.hpp"

struct svk_plan {
  svertka::Plan plan;
};

namespace {

std::string& last_error() {
  thread_local std::string message;
  return message;
}

template <class F>
svk_status guarded(F&& body) noexcept {
  try {
    body();
    return SVK_OK;
  } catch (const std::invalid_argument& e) {
    last_error() = e.what();
    return SVK_INVALID_ARGUMENT;
  } catch (const std::bad_alloc&) {
    last_error() = "svertka: out of memory";
    return SVK_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    last_error() = std::string("svertka: internal error: ") + e.what();
    return SVK_INTERNAL_ERROR;
  } catch (...) {
    last_error() = "svertka: internal error";
    return SVK_INTERNAL_ERROR;
  }
}

void require(const void* pointer, const char* name) {
  if (!pointer) throw std::invalid_argument(std::string("svertka: ") + name + " is null");
}

// An enum read from the caller may hold any int; read it as one.
template <class E>
int raw(const E& e) {
  static_assert(sizeof(E) == sizeof(int));
  int v = 0;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

svertka::ConvParams to_cpp(const svk_conv_params* p) {
  require(p, "p");
  svertka::ConvParams c;
  c.batch = p->batch;
  c.in_channels = p->in_channels;
  c.in_height = p->in_height;
  c.in_width = p->in_width;
  c.out_channels = p->out_channels;
  c.kernel_h = p->kernel_h;
  c.kernel_w = p->kernel_w;
  c.stride_h = p->stride_h;
  c.stride_w = p->stride_w;
  c.pad_top = p->pad_top;
  c.pad_bottom = p->pad_bottom;
  c.pad_left = p->pad_left;
  c.pad_right = p->pad_right;
  c.dilation_h = p->dilation_h;
  c.dilation_w = p->dilation_w;
  c.groups = p->groups;
  c.output_padding_h = p->output_padding_h;
  c.output_padding_w = p->output_padding_w;
  c.layout = static_cast<svertka::Layout>(raw(p->layout));
  return c;
}

svk_status run(svk_op op, const svk_conv_params* p, const float* src, const float* weights,
               const float* bias, float* dst) {
  return guarded([&] {
    const svertka::Op cpp_op = static_cast<svertka::Op>(raw(op));
    const svertka::ConvParams params = to_cpp(p);
    const svertka::BufferSizes sizes = svertka::buffer_sizes(cpp_op, params);
    require(src, "src");
    require(weights, "weights");
    require(dst, "dst");
    const svertka::Plan plan(cpp_op, params, {weights, sizes.weights},
                             {bias, bias ? sizes.bias : 0});
    plan.execute({src, sizes.src}, {dst, sizes.dst});
  });
}

}  // namespace

extern "C" {

svk_status svk_output_size(svk_op op, const svk_conv_params* p, int64_t* out_h, int64_t* out_w) {
  return guarded([&] {
    require(out_h, "out_h");
    require(out_w, "out_w");
    const svertka::Extent e = svertka::output_size(static_cast<svertka::Op>(raw(op)), to_cpp(p));
    *out_h = e.height;
    *out_w = e.width;
  });
}

svk_status svk_conv2d(const svk_conv_params* p, const float* src, const float* weights,
                      const float* bias, float* dst) {
  return run(SVK_CONV2D, p, src, weights, bias, dst);
}

svk_status svk_conv_transpose2d(const svk_conv_params* p, const float* src, const float* weights,
                                const float* bias, float* dst) {
  return run(SVK_CONV_TRANSPOSE2D, p, src, weights, bias, dst);
}

svk_status svk_plan_create(svk_plan** plan, svk_op op, const svk_conv_params* p,
                           const float* weights, const float* bias) {
  if (plan) *plan = nullptr;
  return guarded([&] {
    require(plan, "plan");
    const svertka::Op cpp_op = static_cast<svertka::Op>(raw(op));
    const svertka::ConvParams params = to_cpp(p);
    const svertka::BufferSizes sizes = svertka::buffer_sizes(cpp_op, params);
    require(weights, "weights");
    *plan = new svk_plan{svertka::Plan(cpp_op, params, {weights, sizes.weights},
                                       {bias, bias ? sizes.bias : 0})};
  });
}

svk_status svk_plan_execute(const svk_plan* plan, const float* src, float* dst) {
  return guarded([&] {
    require(plan, "plan");
    require(src, "src");
    require(dst, "dst");
    const svertka::BufferSizes sizes = svertka::buffer_sizes(plan->plan.op(), plan->plan.params());
    plan->plan.execute({src, sizes.src}, {dst, sizes.dst});
  });
}

const char* svk_plan_describe(const svk_plan* plan) {
  return plan ? plan->plan.describe().c_str() : "";
}

void svk_plan_destroy(svk_plan* plan) { delete plan; }

svk_status svk_upsample_bilinear(const float* src, int64_t batch, int64_t channels,
                                 int64_t height, int64_t width, int64_t factor,
                                 svk_layout layout, float* dst) {
  return guarded([&] {
    require(src, "src");
    require(dst, "dst");
    const svertka::Layout cpp_layout = static_cast<svertka::Layout>(raw(layout));
    const svertka::BufferSizes sizes = svertka::buffer_sizes(
        svertka::Op::conv_transpose2d,
        svertka::bilinear_params(batch, channels, height, width, factor, cpp_layout));
    svertka::upsample_bilinear({src, sizes.src}, batch, channels, height, width, factor,
                               cpp_layout, {dst, sizes.dst});
  });
}

const char* svk_last_error(void) { return last_error().c_str(); }

}  // extern "C"
