#include "onednn_layer.hpp"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <stdexcept>
#include <vector>

namespace svertka::bench {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

memory make_memory(const memory::desc& md, const dnnl::engine& engine, std::mt19937& rng) {
  memory m(md, engine);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  float* p = static_cast<float*>(m.get_data_handle());
  for (std::size_t i = 0; i < md.get_size() / sizeof(float); ++i) p[i] = d(rng);
  return m;
}

class OnednnPrimitive final : public OnednnLayer {
 public:
  OnednnPrimitive(const Layer& layer, int threads) : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    omp_set_num_threads(threads);
    const ConvParams& p = layer.params;
    const Extent out = output_size(layer.op, p);
    const tag act = p.layout == Layout::nchw ? tag::nchw : tag::nhwc;
    const bool conv = layer.op == Op::conv2d;
    const memory::dim g = p.groups;
    // oneDNN orders weights (g, out, in, h, w) for both; ours are PyTorch's.
    memory::dims wdims = {p.out_channels / g, p.in_channels / g, p.kernel_h, p.kernel_w};
    if (g > 1) wdims.insert(wdims.begin(), g);
    const tag user_weights = conv ? (g > 1 ? tag::goihw : tag::oihw) : (g > 1 ? tag::giohw : tag::iohw);
    const memory::desc src_md({p.batch, p.in_channels, p.in_height, p.in_width},
                              memory::data_type::f32, act);
    const memory::desc dst_md({p.batch, p.out_channels, out.height, out.width},
                              memory::data_type::f32, act);
    const memory::desc bias_md({p.out_channels}, memory::data_type::f32, tag::x);
    const memory::desc any_weights(wdims, memory::data_type::f32, tag::any);
    const memory::dims strides{p.stride_h, p.stride_w};
    const memory::dims dilates{p.dilation_h - 1, p.dilation_w - 1};
    const memory::dims pad_l{p.pad_top, p.pad_left};
    // oneDNN has no output padding: it is the bottom/right padding given back.
    const memory::dims pad_r{p.pad_bottom - p.output_padding_h, p.pad_right - p.output_padding_w};
    memory::desc weights_md;
    if (conv) {
      const dnnl::convolution_forward::primitive_desc pd(
          {dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md,
           any_weights, bias_md, dst_md, strides, dilates, pad_l, pad_r},
          engine_);
      weights_md = pd.weights_desc();
      impl_ = pd.impl_info_str();
      primitive_ = dnnl::convolution_forward(pd);
    } else {
      const dnnl::deconvolution_forward::primitive_desc pd(
          {dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, src_md,
           any_weights, bias_md, dst_md, strides, dilates, pad_l, pad_r},
          engine_);
      weights_md = pd.weights_desc();
      impl_ = pd.impl_info_str();
      primitive_ = dnnl::deconvolution_forward(pd);
    }
    std::mt19937 rng(1);
    src_ = make_memory(src_md, engine_, rng);
    dst_ = memory(dst_md, engine_);
    bias_ = make_memory(bias_md, engine_, rng);
    memory user = make_memory(memory::desc(wdims, memory::data_type::f32, user_weights), engine_, rng);
    weights_ = memory(weights_md, engine_);
    dnnl::reorder(user, weights_).execute(stream_, user, weights_);
    stream_.wait();
  }

  void execute() override {
    primitive_.execute(stream_, {{DNNL_ARG_SRC, src_},
                                 {DNNL_ARG_WEIGHTS, weights_},
                                 {DNNL_ARG_BIAS, bias_},
                                 {DNNL_ARG_DST, dst_}});
    stream_.wait();
  }
  std::string implementation() const override { return impl_; }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::primitive primitive_;
  memory src_, weights_, bias_, dst_;
  std::string impl_;
};

}  // namespace

bool have_onednn() { return true; }

std::unique_ptr<OnednnLayer> make_onednn_layer(const Layer& layer, int threads) {
  try {
    return std::make_unique<OnednnPrimitive>(layer, threads);
  } catch (const dnnl::error& e) {
    throw std::runtime_error(std::string("oneDNN: ") + e.what());
  }
}

}  // namespace svertka::bench
