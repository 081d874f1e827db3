// The DCGAN generator as oneDNN layers: noise [B,nz,1,1] -> image [B,nc,S,S] (see generator.hpp).
#include "nn/generator.hpp"

#include "nn/architecture.hpp"
#include "nn/dcgan.hpp"

#include <string>

namespace nn {

namespace {

ConvGeometry geometry(const DcganConfig& cfg, int batch, int i) {
  return generator_layer(batch, cfg.nz, cfg.ngf, cfg.nc, cfg.image_size, i);
}

}  // namespace

NetworkTensors Generator::make_tensors(Context& ctx, const DcganConfig& cfg) {
  NetworkTensors t;
  const int layers = layer_count(cfg.image_size);
  for (int i = 0; i < layers; ++i) {
    const ConvGeometry g = geometry(cfg, 1, i);
    t.params.push_back(make_param(ctx, generator_conv_name(i) + ".weight", Deconv2d::torch_weight_shape(g),
                                  Deconv2d::weights_desc(g)));
    if (i < layers - 1) add_batchnorm_tensors(ctx, t, generator_bn_name(i), g.out_channels);
  }
  return t;
}

Generator::Generator(Context& ctx, const DcganConfig& cfg, NetworkTensors& t, int batch, bool training,
                     const PrecisionPlan& plan)
    : noise_(make_memory(ctx, plain_desc({batch, cfg.nz, 1, 1}))) {
  dnnl::memory in = noise_;  // [B, C, H, W]: what layer i reads
  dnnl::memory diff_in;      // where layer i's d src goes (none for the noise)
  const int layers = layer_count(cfg.image_size);
  layers_.resize(static_cast<size_t>(layers));
  bn_.resize(static_cast<size_t>(layers - 1));
  for (int i = 0; i < layers; ++i) {
    const bool last = i == layers - 1;
    ConvOptions opt;
    opt.type = data_type(plan.generator[static_cast<size_t>(i)]);
    opt.training = training;
    opt.backward_weights = training;
    if (last) {
      opt.dst_tag = kImageLayout;
      opt.post_op = Activation::tanh();
    }
    auto& conv = layers_[static_cast<size_t>(i)];
    conv = std::make_unique<Deconv2d>(ctx, geometry(cfg, batch, i), t.param(generator_conv_name(i) + ".weight"), in,
                                      training ? diff_in : dnnl::memory(), opt);
    if (last) {
      tanh_.emplace(ctx, Activation::tanh(), conv->dst(), training ? conv->diff_dst() : dnnl::memory(),
                    Eltwise::Options{training, /*fused=*/true});
      break;
    }
    BatchNorm::Options bo;
    bo.training = training;
    bo.fuse_relu = true;
    auto& bn = bn_[static_cast<size_t>(i)];
    bn = std::make_unique<BatchNorm>(ctx, batchnorm_tensors(t, generator_bn_name(i)), conv->dst(),
                                     training ? conv->diff_dst() : dnnl::memory(), bo);
    in = bn->dst();
    diff_in = training ? bn->diff_dst() : dnnl::memory();
  }
}

void Generator::load_weights() {
  for (auto& l : layers_) l->load_weights();
}

void Generator::forward() {
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->forward();
    if (i < bn_.size()) bn_[i]->forward();
  }
  tanh_->forward();  // fused into the last deconvolution: nothing to run
}

void Generator::backward(const LayerDone& layer_done) {
  tanh_->backward();
  for (size_t i = layers_.size(); i-- > 0;) {
    if (i < bn_.size()) bn_[i]->backward(/*accumulate=*/false);
    auto& conv = *layers_[i];
    conv.backward_weights(/*accumulate=*/false);
    if (layer_done) layer_done(i);
    if (i > 0) conv.backward_data();
  }
}

}  // namespace nn
