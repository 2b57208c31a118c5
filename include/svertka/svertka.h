/* svertka: the C interface, a fixed contract for other languages and outside test suites.
 * Thin wrappers over the C++ API in svertka.hpp; no exception crosses this boundary. */
#ifndef SVERTKA_SVERTKA_H
#define SVERTKA_SVERTKA_H

#include <stdint.h>

#if defined(_WIN32)
#define SVK_API
#else
#define SVK_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum svk_status {
  SVK_OK = 0,
  SVK_INVALID_ARGUMENT = 1, /* bad shape, null pointer, overflow, ... */
  SVK_UNSUPPORTED = 2,      /* valid request this build cannot serve */
  SVK_OUT_OF_MEMORY = 3,
  SVK_INTERNAL_ERROR = 4
} svk_status;

typedef enum svk_layout { SVK_NCHW = 0, SVK_NHWC = 1 } svk_layout;
typedef enum svk_op { SVK_CONV2D = 0, SVK_CONV_TRANSPOSE2D = 1 } svk_op;

typedef struct svk_conv_params {
  int64_t batch, in_channels, in_height, in_width, out_channels;
  int64_t kernel_h, kernel_w;
  int64_t stride_h, stride_w;
  int64_t pad_top, pad_bottom, pad_left, pad_right; /* zero padding; may be asymmetric */
  int64_t dilation_h, dilation_w;                   /* 1 = dense */
  int64_t groups;                                   /* 1 = dense, in_channels = depthwise */
  int64_t output_padding_h, output_padding_w;       /* transposed only; 0 for conv2d */
  svk_layout layout;                                /* layout of src and dst */
} svk_conv_params;

/* Output height and width of the operation, or SVK_INVALID_ARGUMENT. */
SVK_API svk_status svk_output_size(svk_op op, const svk_conv_params* p, int64_t* out_h,
                                   int64_t* out_w);

/* One-shot calls. Weights are always PyTorch-ordered, whatever the layout:
 *   conv2d:           [out_channels][in_channels/groups][kernel_h][kernel_w]
 *   conv_transpose2d: [in_channels][out_channels/groups][kernel_h][kernel_w]
 * bias may be NULL; otherwise out_channels floats. dst is fully overwritten. */
SVK_API svk_status svk_conv2d(const svk_conv_params* p, const float* src, const float* weights,
                              const float* bias, float* dst);
SVK_API svk_status svk_conv_transpose2d(const svk_conv_params* p, const float* src,
                                        const float* weights, const float* bias, float* dst);

/* Plans: choose algorithm, ISA and tuned parameters once, pack the weights once, run many times.
 * A plan copies what it needs from weights and bias; the caller may free them after create.
 * svk_plan_execute is safe to call from several threads at once on one plan. */
typedef struct svk_plan svk_plan;
SVK_API svk_status svk_plan_create(svk_plan** plan, svk_op op, const svk_conv_params* p,
                                   const float* weights, const float* bias);
SVK_API svk_status svk_plan_execute(const svk_plan* plan, const float* src, float* dst);
SVK_API const char* svk_plan_describe(const svk_plan* plan); /* e.g. "conv2d direct avx512 ..." */
SVK_API void svk_plan_destroy(svk_plan* plan);

/* Bilinear upsampling by an integer factor f >= 1, done as a depthwise transposed convolution
 * with the separable triangle kernel of size 2f-1, stride f, padding f-1. Output is
 * ((h-1)*f+1) x ((w-1)*f+1) (align_corners=True semantics). */
SVK_API svk_status svk_upsample_bilinear(const float* src, int64_t batch, int64_t channels,
                                         int64_t height, int64_t width, int64_t factor,
                                         svk_layout layout, float* dst);

/* Message for the last error on the calling thread ("" when none). */
SVK_API const char* svk_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* SVERTKA_SVERTKA_H */
