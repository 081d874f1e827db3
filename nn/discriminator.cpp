// The DCGAN discriminator as oneDNN layers: image [B,nc,S,S] -> logit [B,1,1,1] (see discriminator.hpp).
#include "nn/discriminator.hpp"

#include "nn/architecture.hpp"
#include "nn/dcgan.hpp"

#include <stdexcept>
#include <string>

namespace nn {

namespace {

ConvGeometry geometry(const DcganConfig& cfg, int batch, int i) {
  return discriminator_layer(batch, cfg.nc, cfg.ndf, cfg.image_size, i);
}

}  // namespace

NetworkTensors Discriminator::make_tensors(Context& ctx, const DcganConfig& cfg) {
  NetworkTensors t;
  const int layers = layer_count(cfg.image_size);
  for (int i = 0; i < layers; ++i) {
    const ConvGeometry g = geometry(cfg, 1, i);
    t.params.push_back(make_param(ctx, discriminator_conv_name(i) + ".weight", Conv2d::torch_weight_shape(g),
                                  Conv2d::weights_desc(g)));
    if (i > 0 && i < layers - 1) add_batchnorm_tensors(ctx, t, discriminator_bn_name(i), g.out_channels);
  }
  return t;
}

dnnl::memory::desc Discriminator::input_desc(const DcganConfig& cfg, int batch, const PrecisionPlan& plan) {
  return dnnl::memory::desc({batch, cfg.nc, cfg.image_size, cfg.image_size}, data_type(plan.discriminator[0]), kImageLayout);
}

Discriminator::Discriminator(Context& ctx, const DcganConfig& cfg, NetworkTensors& t, int batch,
                             const dnnl::memory& input, const dnnl::memory& diff_input, const PrecisionPlan& plan)
    : ctx_(ctx) {
  if (input.get_desc() != input_desc(cfg, batch, plan))
    throw std::logic_error("nn::Discriminator: the input memory is not in Discriminator::input_desc()");
  dnnl::memory in = input, diff_in = diff_input;
  const int layers = layer_count(cfg.image_size);
  layers_.resize(static_cast<size_t>(layers));
  bn_.resize(static_cast<size_t>(layers));
  act_ = std::vector<std::optional<Eltwise>>(static_cast<size_t>(layers));  // Eltwise does not move
  for (int i = 0; i < layers; ++i) {
    const auto k = static_cast<size_t>(i);
    const bool first = i == 0, last = i == layers - 1;
    ConvOptions opt;
    opt.type = data_type(plan.discriminator[k]);
    if (first) {
      opt.src_tag = kImageLayout;
      opt.post_op = Activation::leaky_relu(kSlope);
    }
    layers_[k] = std::make_unique<Conv2d>(ctx, geometry(cfg, batch, i),
                                          t.param(discriminator_conv_name(i) + ".weight"), in, diff_in, opt);
    Conv2d& conv = *layers_[k];
    if (last) break;
    dnnl::memory out = conv.dst(), diff_out = conv.diff_dst();
    if (!first) {
      bn_[k] = std::make_unique<BatchNorm>(ctx, batchnorm_tensors(t, discriminator_bn_name(i)), out, diff_out,
                                           BatchNorm::Options{});
      out = bn_[k]->dst();
      diff_out = bn_[k]->diff_dst();
    }
    act_[k].emplace(ctx, Activation::leaky_relu(kSlope), out, diff_out, Eltwise::Options{true, /*fused=*/first});
    in = act_[k]->dst();
    diff_in = act_[k]->diff_dst();
  }
  const Conv2d& top = *layers_.back();
  // The last convolution keeps the dst layout it picked: forcing plain [B,1,1,1] there makes oneDNN 2.6 fall
  // back to its reference kernel. One reorder of B values brings the logits to the host, one their gradient back.
  const auto logits_desc = plain_desc({batch, 1, 1, 1});
  logits_ = relayout_from(ctx, top.dst(), logits_desc);
  diff_logits_ = relayout_to(ctx, logits_desc, top.diff_dst());
}

void Discriminator::load_weights() {
  for (auto& l : layers_) l->load_weights();
}

void Discriminator::forward() {
  for (size_t k = 0; k < layers_.size(); ++k) {
    layers_[k]->forward();
    if (bn_[k]) bn_[k]->forward();
    if (act_[k]) act_[k]->forward();  // a no-op for layer 0 (fused into the convolution)
  }
  logits_.execute(ctx_.stream);
}

void Discriminator::backward_params(bool accumulate, const LayerDone& layer_done) {
  diff_logits_.execute(ctx_.stream);
  for (size_t k = layers_.size(); k-- > 0;) {
    if (act_[k]) act_[k]->backward();
    if (bn_[k]) bn_[k]->backward(accumulate);
    layers_[k]->backward_weights(accumulate);
    if (layer_done) layer_done(k);
    if (k > 0) layers_[k]->backward_data();  // D's input (real, or the detached fake) needs no gradient
  }
}

void Discriminator::backward_input() {
  diff_logits_.execute(ctx_.stream);
  for (size_t k = layers_.size(); k-- > 0;) {
    if (act_[k]) act_[k]->backward();
    if (bn_[k]) bn_[k]->backward_data();
    layers_[k]->backward_data();
  }
}

}  // namespace nn
