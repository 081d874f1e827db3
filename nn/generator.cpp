// The DCGAN generator of the PyTorch tutorial as oneDNN layers: noise [B,nz,1,1] -> image [B,nc,S,S] (S = kImageSize).
#include "nn/generator.hpp"

#include "nn/dcgan.hpp"

#include <string>

namespace nn {

namespace {

std::string main_name(int index) { return "main." + std::to_string(index); }

// Layer i: ConvTranspose2d at main.{3i}, BatchNorm2d at main.{3i+1}.
ConvGeometry geometry(const DcganConfig& cfg, int batch, int i) {
  const int64_t widths[] = {cfg.nz, 8 * cfg.ngf, 4 * cfg.ngf, 2 * cfg.ngf, cfg.ngf, cfg.nc};
  const int64_t sizes[] = {1, 4, 8, 16, 32, 64};
  return {batch, widths[i], widths[i + 1], sizes[i], sizes[i + 1], 4, i == 0 ? 1 : 2, i == 0 ? 0 : 1};
}

}  // namespace

NetworkTensors Generator::make_tensors(Context& ctx, const DcganConfig& cfg) {
  NetworkTensors t;
  for (int i = 0; i < kLayers; ++i) {
    const ConvGeometry g = geometry(cfg, 1, i);
    t.params.push_back(
        make_param(ctx, main_name(3 * i) + ".weight", Deconv2d::torch_weight_shape(g), Deconv2d::weights_desc(g)));
    if (i < kLayers - 1) add_batchnorm_tensors(ctx, t, main_name(3 * i + 1), g.out_channels);
  }
  return t;
}

Generator::Generator(Context& ctx, const DcganConfig& cfg, NetworkTensors& t, int batch, bool training,
                     const PrecisionPlan& plan)
    : noise_(make_memory(ctx, plain_desc({batch, cfg.nz, 1, 1}))) {
  dnnl::memory in = noise_;  // [B, C, H, W]: what layer i reads
  dnnl::memory diff_in;      // where layer i's d src goes (none for the noise)
  for (int i = 0; i < kLayers; ++i) {
    const bool last = i == kLayers - 1;
    ConvOptions opt;
    opt.type = data_type(plan.generator[static_cast<size_t>(i)]);
    opt.training = training;
    opt.backward_weights = training;
    if (last) {
      opt.dst_tag = kImageLayout;
      opt.post_op = Activation::tanh();
    }
    auto& conv = layers_[static_cast<size_t>(i)];
    conv = std::make_unique<Deconv2d>(ctx, geometry(cfg, batch, i), t.param(main_name(3 * i) + ".weight"), in,
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
    bn = std::make_unique<BatchNorm>(ctx, batchnorm_tensors(t, main_name(3 * i + 1)), conv->dst(),
                                     training ? conv->diff_dst() : dnnl::memory(), bo);
    in = bn->dst();
    diff_in = training ? bn->diff_dst() : dnnl::memory();
  }
}

void Generator::load_weights() {
  for (auto& l : layers_) l->load_weights();
}

void Generator::forward() {
  for (int i = 0; i < kLayers; ++i) {
    layers_[static_cast<size_t>(i)]->forward();
    if (i < kLayers - 1) bn_[static_cast<size_t>(i)]->forward();
  }
  tanh_->forward();  // fused into the last deconvolution: nothing to run
}

void Generator::backward() {
  tanh_->backward();
  for (int i = kLayers - 1; i >= 0; --i) {
    if (i < kLayers - 1) bn_[static_cast<size_t>(i)]->backward(/*accumulate=*/false);
    auto& conv = *layers_[static_cast<size_t>(i)];
    conv.backward_weights(/*accumulate=*/false);
    if (i > 0) conv.backward_data();
  }
}

}  // namespace nn
