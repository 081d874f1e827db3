// 2-D convolution and transposed convolution layers on oneDNN: forward, backward-data and backward-weights.
#include "nn/convolution.hpp"

#include "nn/conv2d.hpp"
#include "nn/deconv2d.hpp"
#include "nn/primitive.hpp"

#include <stdexcept>
#include <string>

namespace nn {

template <class T>
dnnl::memory::desc ConvolutionLayer<T>::weights_desc(const ConvGeometry& g) {
  return dnnl::memory::desc({g.out_channels, g.in_channels, g.kernel, g.kernel}, dt::f32, T::torch_weights_tag);
}

template <class T>
std::vector<int64_t> ConvolutionLayer<T>::torch_weight_shape(const ConvGeometry& g) {
  return T::torch_weight_shape(g);
}

template <class T>
ConvolutionLayer<T>::ConvolutionLayer(Context& ctx, const ConvGeometry& g, Param& weight, const dnnl::memory& src,
                                      const dnnl::memory& diff_src, const ConvOptions& opt)
    : ctx_(ctx), g_(g), weight_(weight) {
  using namespace dnnl;
  if (T::out_size(g) != g.out_size)
    throw std::logic_error(std::string("nn::") + T::name + ": output size " + std::to_string(g.out_size) +
                           " does not follow from input " + std::to_string(g.in_size) + ", kernel, stride, padding");
  if (weight.value.get_desc() != weights_desc(g) || weight.grad.get_desc() != weights_desc(g))
    throw std::logic_error(std::string("nn::") + T::name + ": " + weight.name + " is not f32 " +
                           "in PyTorch's layout for this geometry");

  const memory::dims src_dims = {g.batch, g.in_channels, g.in_size, g.in_size};     // [N, in, H, W]
  const memory::dims dst_dims = {g.batch, g.out_channels, g.out_size, g.out_size};  // [N, out, OH, OW]
  const memory::dims w_dims = {g.out_channels, g.in_channels, g.kernel, g.kernel};  // {OC, IC, KH, KW}
  const memory::dims strides = {g.stride, g.stride}, pad = {g.padding, g.padding};
  const memory::desc src_md(src_dims, opt.type, opt.src_tag), dst_md(dst_dims, opt.type, opt.dst_tag);
  const memory::desc w_md(w_dims, opt.type, tag::any), dw_md(w_dims, dt::f32, tag::any);

  // ---- forward ----
  primitive_attr attr;
  if (opt.post_op) {
    post_ops po;
    opt.post_op->append_to(po);
    attr.set_post_ops(po);
  }
  const auto kind = opt.training ? prop_kind::forward_training : prop_kind::forward_inference;
  auto fwd_pd = typename T::forward::primitive_desc(
      typename T::forward::desc(kind, T::algorithm, src_md, w_md, dst_md, strides, pad, pad), attr, ctx.engine);
  fwd_impl_ = fwd_pd.impl_info_str();
  src_ = relayout_from(ctx, src, fwd_pd.src_desc());
  weights_fwd_ = relayout_from(ctx, weight.value, fwd_pd.weights_desc());
  dst_ = make_memory(ctx, fwd_pd.dst_desc());
  fwd_args_ = {{DNNL_ARG_SRC, src_.mem}, {DNNL_ARG_WEIGHTS, weights_fwd_.mem}, {DNNL_ARG_DST, dst_}};
  fwd_ = make_primitive<typename T::forward>(fwd_pd);
  if (!opt.training) return;
  // d dst lives in dst's layout: the activation or BatchNorm after this layer runs its backward in place on it,
  // in the layout of its data. A pass that wants another layout gets a reorder (D's first layer, whose
  // backward-data is plain NCHW gemm, reorders once per step; its weight gradient and LeakyReLU do not).
  diff_dst_ = make_memory(ctx, fwd_pd.dst_desc());

  // ---- backward-data: only where someone needs d src ----
  std::optional<typename T::backward_data::primitive_desc> bd_pd;
  if (diff_src) {
    bd_pd.emplace(typename T::backward_data::desc(T::algorithm, src_md, w_md, dst_md, strides, pad, pad), ctx.engine,
                  fwd_pd);
    bwd_data_impl_ = bd_pd->impl_info_str();
    bd_diff_dst_ = relayout_from(ctx, diff_dst_, bd_pd->diff_dst_desc());
    weights_bwd_ = bd_pd->weights_desc() == weights_fwd_.mem.get_desc()
                       ? Relayout{weights_fwd_.mem, Reorder()}
                       : relayout_from(ctx, weight.value, bd_pd->weights_desc());
    diff_src_ = relayout_to(ctx, bd_pd->diff_src_desc(), diff_src);
    bwd_data_args_ = {{DNNL_ARG_DIFF_DST, bd_diff_dst_.mem},
                      {DNNL_ARG_WEIGHTS, weights_bwd_.mem},
                      {DNNL_ARG_DIFF_SRC, diff_src_.mem}};
    bwd_data_ = make_primitive<typename T::backward_data>(*bd_pd);
  }

  // ---- backward-weights ----
  if (opt.backward_weights) {
    auto bw_pd = typename T::backward_weights::primitive_desc(
        typename T::backward_weights::desc(T::algorithm, src_md, dw_md, dst_md, strides, pad, pad), ctx.engine, fwd_pd);
    bwd_weights_impl_ = bw_pd.impl_info_str();
    bw_src_ = relayout_from(ctx, src_.mem, bw_pd.src_desc());
    bw_diff_dst_ = relayout_from(ctx, diff_dst_, bw_pd.diff_dst_desc());
    diff_weights_ = GradientOut(ctx, bw_pd.diff_weights_desc(), weight.grad);
    bwd_weights_args_ = {{DNNL_ARG_SRC, bw_src_.mem},
                         {DNNL_ARG_DIFF_DST, bw_diff_dst_.mem},
                         {DNNL_ARG_DIFF_WEIGHTS, diff_weights_.computed()}};
    bwd_weights_ = make_primitive<typename T::backward_weights>(bw_pd);
  }
}

template <class T>
bool ConvolutionLayer<T>::has(ConvPass p) const {
  return p == ConvPass::forward         ? fwd_.has_value()
         : p == ConvPass::backward_data ? bwd_data_.has_value()
                                        : bwd_weights_.has_value();
}

template <class T>
void ConvolutionLayer<T>::run_primitive(ConvPass p) {
  if (!has(p)) throw std::logic_error(std::string("nn::") + T::name + "::run_primitive: pass not built");
  if (p == ConvPass::forward) fwd_->execute(ctx_.stream, fwd_args_);
  if (p == ConvPass::backward_data) bwd_data_->execute(ctx_.stream, bwd_data_args_);
  if (p == ConvPass::backward_weights) bwd_weights_->execute(ctx_.stream, bwd_weights_args_);
}

template <class T>
void ConvolutionLayer<T>::load_weights() {
  weights_fwd_.execute(ctx_.stream);
  weights_bwd_.execute(ctx_.stream);
}

template <class T>
void ConvolutionLayer<T>::forward() {
  src_.execute(ctx_.stream);
  fwd_->execute(ctx_.stream, fwd_args_);
}

template <class T>
void ConvolutionLayer<T>::backward_data() {
  if (!bwd_data_) throw std::logic_error(std::string("nn::") + T::name + "::backward_data: built without d src");
  bd_diff_dst_.execute(ctx_.stream);
  bwd_data_->execute(ctx_.stream, bwd_data_args_);
  diff_src_.execute(ctx_.stream);
}

template <class T>
void ConvolutionLayer<T>::backward_weights(bool accumulate) {
  if (!bwd_weights_)
    throw std::logic_error(std::string("nn::") + T::name + "::backward_weights: built without weight gradients");
  bw_src_.execute(ctx_.stream);
  bw_diff_dst_.execute(ctx_.stream);
  bwd_weights_->execute(ctx_.stream, bwd_weights_args_);
  diff_weights_.deliver(ctx_.stream, accumulate);
}

template class ConvolutionLayer<Conv2dTraits>;
template class ConvolutionLayer<Deconv2dTraits>;

}  // namespace nn
