/* Calls into the C interface with enum arguments that hold values outside their enum: legal in
 * C, as a C caller (or ctypes) may pass them, so the tests make those calls from C. */
#include "c_calls.h"

svk_status call_output_size(int op, const svk_conv_params* p, int64_t* out_h, int64_t* out_w) {
  return svk_output_size((svk_op)op, p, out_h, out_w);
}

svk_status call_plan_create(svk_plan** plan, int op, const svk_conv_params* p,
                            const float* weights) {
  return svk_plan_create(plan, (svk_op)op, p, weights, 0);
}

svk_status call_upsample_bilinear(const float* src, int64_t batch, int64_t channels,
                                  int64_t height, int64_t width, int64_t factor, int layout,
                                  float* dst) {
  return svk_upsample_bilinear(src, batch, channels, height, width, factor, (svk_layout)layout,
                               dst);
}

void set_layout(svk_conv_params* p, int layout) { p->layout = (svk_layout)layout; }
