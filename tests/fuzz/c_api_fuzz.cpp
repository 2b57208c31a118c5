// libFuzzer target: arbitrary parameter structs and small buffers to every C entry point. A
// rejection must be a clean SVK_INVALID_ARGUMENT with a message and an untouched dst; an
// accepted call must stay inside buffers of exactly the documented sizes (ASan checks) and,
// where the layer is small enough, compute what the reference path computes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "api/c_calls.h"
#include "support/scoped_env.hpp"
#include "svertka/svertka.h"

namespace {

constexpr float kCanary = -9.75f;
constexpr int64_t kMaxElements = 1 << 16;  // run only what is small enough to be quick
constexpr double kMaxCheckedMacs = 1 << 20;  // and compare with the reference below this

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  // Mostly small values, sometimes anything: reach both the computations and the checks.
  int64_t value() {
    const uint8_t kind = byte();
    if (kind < 200) return int64_t(kind % 9) - 1;  // -1..7
    if (kind < 240) return int64_t(byte()) - 8;     // -8..247
    int64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

void fail() { __builtin_trap(); }

// Elements of a 4-D buffer, or -1 when it overflows or exceeds kMaxElements.
int64_t elements(int64_t a, int64_t b, int64_t c, int64_t d) {
  int64_t n = 1;
  for (int64_t x : {a, b, c, d}) {
    if (x < 1 || __builtin_mul_overflow(n, x, &n) || n > kMaxElements) return -1;
  }
  return n;
}

void check_rejection(svk_status status, const std::vector<float>& dst) {
  if (status == SVK_OK) return;
  if (status != SVK_INVALID_ARGUMENT || svk_last_error()[0] == '\0') fail();
  for (float v : dst) {
    if (std::memcmp(&v, &kCanary, sizeof v) != 0) fail();
  }
}

// Values in [-1, 1) from a fixed sequence: a result that reads a wrong element differs.
void fill(std::vector<float>& v, uint32_t seed) {
  for (float& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = float(seed >> 8) / float(1 << 23) - 1.0f;
  }
}

std::vector<float> absolute(const std::vector<float>& v) {
  std::vector<float> a(v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
  return a;
}

using Call = svk_status (*)(const svk_conv_params*, const float*, const float*, const float*,
                            float*);

// got against the same call on the reference path, within 1e-5 of each output's sum of |terms|
// (the call on |src|, |weights|, |bias|).
void check_against_reference(Call call, const svk_conv_params& p, const std::vector<float>& src,
                             const std::vector<float>& weights, const std::vector<float>* bias,
                             const std::vector<float>& got) {
  const svertka::test::ScopedEnv reference{{"SVERTKA_ISA", "reference"}, {"SVERTKA_ALGO", ""}};
  std::vector<float> want(got.size()), magnitude(got.size());
  const std::vector<float> abs_bias = bias ? absolute(*bias) : std::vector<float>();
  if (call(&p, src.data(), weights.data(), bias ? bias->data() : nullptr, want.data()) != SVK_OK ||
      call(&p, absolute(src).data(), absolute(weights).data(), bias ? abs_bias.data() : nullptr,
           magnitude.data()) != SVK_OK) {
    fail();
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::fabs(double(want[i]) - got[i]) <= 1e-5 * magnitude[i])) fail();
  }
}

// An accepted upsampling against the interpolation formula (align_corners=True), within 1e-5
// of the sum of the |terms| of each output.
void check_upsampling(const std::vector<float>& src, int64_t batch, int64_t channels,
                      int64_t height, int64_t width, int64_t factor, bool nhwc,
                      const std::vector<float>& got) {
  const int64_t oh = (height - 1) * factor + 1, ow = (width - 1) * factor + 1;
  auto index = [&](int64_t h, int64_t w, int64_t n, int64_t c, int64_t y, int64_t x) {
    return nhwc ? ((n * h + y) * w + x) * channels + c : ((n * channels + c) * h + y) * w + x;
  };
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t y0 = oy / factor, x0 = ox / factor;
          const int64_t y1 = std::min(y0 + 1, height - 1), x1 = std::min(x0 + 1, width - 1);
          const double y = double(oy % factor) / double(factor);
          const double x = double(ox % factor) / double(factor);
          auto in = [&](int64_t iy, int64_t ix) {
            return double(src[index(height, width, n, c, iy, ix)]);
          };
          const double terms[] = {(1 - y) * (1 - x) * in(y0, x0), (1 - y) * x * in(y0, x1),
                                  y * (1 - x) * in(y1, x0), y * x * in(y1, x1)};
          double want = 0, magnitude = 0;
          for (double t : terms) {
            want += t;
            magnitude += std::fabs(t);
          }
          if (!(std::fabs(want - got[index(oh, ow, n, c, oy, ox)]) <= 1e-5 * magnitude)) fail();
        }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  svk_conv_params p;
  int64_t* fields[] = {&p.batch,         &p.in_channels, &p.in_height,  &p.in_width,
                       &p.out_channels,  &p.kernel_h,    &p.kernel_w,   &p.stride_h,
                       &p.stride_w,      &p.pad_top,     &p.pad_bottom, &p.pad_left,
                       &p.pad_right,     &p.dilation_h,  &p.dilation_w, &p.groups,
                       &p.output_padding_h, &p.output_padding_w};
  for (int64_t* f : fields) *f = in.value();
  // Enum values outside their enum go through the C helpers: C may pass them, C++ may not.
  const int raw_layout = int(in.byte() % 3);  // 2 is invalid
  set_layout(&p, raw_layout);
  const int raw_op = int(in.byte() % 3);
  const bool with_bias = in.byte() & 1;

  int64_t oh = -1, ow = -1;
  if (call_output_size(raw_op, &p, &oh, &ow) != SVK_OK) {
    if (oh != -1 || ow != -1) fail();  // untouched on error
  }
  // The one-shot call of the op (conv2d for the invalid op value), and its sizes.
  const bool transposed = raw_op == SVK_CONV_TRANSPOSE2D;
  const svk_status sized = svk_output_size(transposed ? SVK_CONV_TRANSPOSE2D : SVK_CONV2D, &p,
                                           &oh, &ow);
  if (sized == SVK_OK && (oh < 1 || ow < 1)) fail();
  const int64_t src_n = elements(p.batch, p.in_channels, p.in_height, p.in_width);
  const int64_t dst_n = sized == SVK_OK ? elements(p.batch, p.out_channels, oh, ow) : -1;
  const int64_t w_n = p.groups > 0 && p.out_channels % p.groups == 0
                          ? elements(p.in_channels, p.out_channels / p.groups, p.kernel_h, p.kernel_w)
                          : -1;
  const bool runnable = sized == SVK_OK && src_n > 0 && dst_n > 0 && w_n > 0;
  // Exact sizes when the call is valid, so that ASan catches a single element too many;
  // a few floats otherwise (they must not be touched).
  std::vector<float> src(runnable ? src_n : 4), weights(runnable ? w_n : 4),
      bias(runnable ? p.out_channels : 4), dst(runnable ? dst_n : 4, kCanary);
  fill(src, 1);
  fill(weights, 2);
  fill(bias, 3);
  // Multiply-adds: each output with C/groups·kh·kw inputs, or each input with K/groups·kh·kw.
  const double macs = runnable ? double(transposed ? src_n : dst_n) *
                                     double(transposed ? p.out_channels : p.in_channels) /
                                     double(p.groups) * double(p.kernel_h) * double(p.kernel_w)
                               : 0;
  const bool checked = runnable && macs <= kMaxCheckedMacs;
  if (runnable || sized != SVK_OK) {
    Call call = transposed ? svk_conv_transpose2d : svk_conv2d;
    const svk_status s = call(&p, src.data(), weights.data(), with_bias ? bias.data() : nullptr,
                              dst.data());
    if (runnable && s != SVK_OK) fail();
    check_rejection(s, dst);
    if (checked) check_against_reference(call, p, src, weights, with_bias ? &bias : nullptr, dst);
    std::fill(dst.begin(), dst.end(), kCanary);
    svk_plan* plan = reinterpret_cast<svk_plan*>(&dst);
    const svk_status c = call_plan_create(&plan, raw_op, &p, weights.data());
    if (runnable && (c == SVK_OK) != (raw_op != 2)) fail();
    if (c != SVK_OK && plan != nullptr) fail();
    if (c == SVK_OK) {
      if (svk_plan_execute(plan, src.data(), dst.data()) != SVK_OK) fail();
      svk_plan_destroy(plan);
      if (checked) check_against_reference(call, p, src, weights, nullptr, dst);
    } else {
      check_rejection(c, dst);
    }
  }
  // Bilinear upsampling with the same fields reused: run when small, call when certainly
  // invalid, skip a valid request too large to run (its buffers would be the caller's bug).
  const int64_t factor = in.value();
  const int64_t uh = p.in_height, uw = p.in_width;
  const bool layout_ok = raw_layout < 2;
  const bool dims_ok = p.batch >= 1 && p.in_channels >= 1 && uh >= 1 && uw >= 1;
  const int64_t up_src = elements(p.batch, p.in_channels, uh, uw);
  const int64_t up_dst = factor >= 1 && factor < 64 && up_src > 0
                             ? elements(p.batch, p.in_channels, (uh - 1) * factor + 1,
                                        (uw - 1) * factor + 1)
                             : -1;
  const bool certainly_invalid = !layout_ok || !dims_ok || factor < 1;
  if (up_dst > 0 || certainly_invalid) {
    std::vector<float> usrc(up_dst > 0 ? up_src : 4), udst(up_dst > 0 ? up_dst : 4, kCanary);
    fill(usrc, 4);
    const svk_status u = call_upsample_bilinear(usrc.data(), p.batch, p.in_channels, uh, uw,
                                                factor, raw_layout, udst.data());
    if ((u == SVK_OK) != !certainly_invalid) fail();
    check_rejection(u, udst);
    if (u == SVK_OK) {
      check_upsampling(usrc, p.batch, p.in_channels, uh, uw, factor, raw_layout == SVK_NHWC, udst);
    }
  }
  return 0;
}
