// Elementwise activations (ReLU, LeakyReLU, Tanh): forward and backward, in place, in the producer's layout.
#include "nn/eltwise.hpp"

#include "nn/primitive.hpp"

#include <stdexcept>

namespace nn {

Eltwise::Eltwise(Context& ctx, const Activation& act, const dnnl::memory& data, const dnnl::memory& diff,
                 const Options& opt)
    : ctx_(ctx), opt_(opt), data_(data), diff_(diff) {
  using namespace dnnl;
  const memory::desc data_md = data.get_desc();  // [any]: the producer's layout, kept
  auto fwd_pd = eltwise_forward::primitive_desc(
      eltwise_forward::desc(opt.training ? prop_kind::forward_training : prop_kind::forward_inference, act.forward_alg,
                            data_md, act.alpha, 0.f),
      ctx.engine);
  if (!opt.fused) {
    fwd_ = make_primitive<eltwise_forward>(fwd_pd);
    fwd_args_ = {{DNNL_ARG_SRC, data_}, {DNNL_ARG_DST, data_}};
  }
  if (opt.training) {
    // The forward pd is the hint even when the forward runs fused in the convolution.
    auto bwd_pd = eltwise_backward::primitive_desc(
        eltwise_backward::desc(act.backward_alg, diff_.get_desc(), data_md, act.alpha, 0.f), ctx.engine, fwd_pd);
    bwd_ = make_primitive<eltwise_backward>(bwd_pd);
    bwd_args_ = {{DNNL_ARG_DST, data_}, {DNNL_ARG_DIFF_DST, diff_}, {DNNL_ARG_DIFF_SRC, diff_}};
  }
}

void Eltwise::forward() {
  if (fwd_) fwd_->execute(ctx_.stream, fwd_args_);
}

void Eltwise::backward() {
  if (!bwd_) throw std::logic_error("nn::Eltwise::backward on an activation built for inference");
  bwd_->execute(ctx_.stream, bwd_args_);
}

}  // namespace nn
