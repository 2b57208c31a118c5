/* C helpers for the C API tests: calls with raw enum values (c_calls.c). */
#ifndef SVERTKA_TESTS_C_CALLS_H
#define SVERTKA_TESTS_C_CALLS_H

#include "svertka/svertka.h"

#ifdef __cplusplus
extern "C" {
#endif

svk_status call_output_size(int op, const svk_conv_params* p, int64_t* out_h, int64_t* out_w);
svk_status call_plan_create(svk_plan** plan, int op, const svk_conv_params* p,
                            const float* weights);
svk_status call_upsample_bilinear(const float* src, int64_t batch, int64_t channels,
                                  int64_t height, int64_t width, int64_t factor, int layout,
                                  float* dst);
void set_layout(svk_conv_params* p, int layout);

#ifdef __cplusplus
}
#endif

#endif
