// The DCGAN generator as oneDNN layers: noise [B,nz,1,1] -> image [B,nc,S,S], by nn/architecture.hpp's rule.
// At S = 64, the PyTorch tutorial's:
//
// main.0  ConvTranspose2d(nz, 8ngf, 4, 1, 0)   main.1  BatchNorm2d   main.2  ReLU     (4x4)
// main.3  ConvTranspose2d(8ngf, 4ngf, 4, 2, 1) main.4  BatchNorm2d   main.5  ReLU     (8x8)
// main.6  ConvTranspose2d(4ngf, 2ngf, 4, 2, 1) main.7  BatchNorm2d   main.8  ReLU     (16x16)
// main.9  ConvTranspose2d(2ngf, ngf, 4, 2, 1)  main.10 BatchNorm2d   main.11 ReLU     (32x32)
// main.12 ConvTranspose2d(ngf, nc, 4, 2, 1)    main.13 Tanh                           (64x64)
// BatchNorm+ReLU run as one primitive (fuse_norm_relu); Tanh is a post-op of the last deconvolution.
#pragma once
#include "nn/batchnorm.hpp"
#include "nn/context.hpp"
#include "nn/deconv2d.hpp"
#include "nn/eltwise.hpp"
#include "nn/param.hpp"
#include "nn/precision_plan.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace nn {

struct DcganConfig;

class Generator {
 public:
  // Creates G's Params, Buffers and counters (zeroed; running_var 1) in state_dict order.
  static NetworkTensors make_tensors(Context& ctx, const DcganConfig& cfg);

  // training: BN with batch statistics and the backward passes; else eval mode (running statistics, inference).
  Generator(Context& ctx, const DcganConfig& cfg, NetworkTensors& tensors, int batch, bool training,
            const PrecisionPlan& plan);

  const dnnl::memory& noise() const { return noise_; }           // [B,nz,1,1] f32 plain: the host writes z here
  const dnnl::memory& out() const { return layers_.back()->dst(); }  // [B,nc,S,S], kImageLayout
  const dnnl::memory& diff_out() const { return layers_.back()->diff_dst(); }  // [B,nc,S,S]: d loss/d out goes here
  Deconv2d& layer(int i) { return *layers_[static_cast<size_t>(i)]; }

  void load_weights();  // the master weights -> every deconvolution's weights
  void forward();       // out = G(noise)
  // From diff_out: every Param's grad (overwritten). layer_done as Discriminator::backward_params's.
  void backward(const LayerDone& layer_done = {});

 private:
  dnnl::memory noise_;                                      // [B,nz,1,1] f32 plain
  std::vector<std::unique_ptr<Deconv2d>> layers_;   // dst [B,ngf*2^(L-2),4,4] .. [B,nc,S,S]
  std::vector<std::unique_ptr<BatchNorm>> bn_;      // with ReLU, on every layer's dst but the last
  std::optional<Eltwise> tanh_;                             // fused into layer 4; its backward only
};

}  // namespace nn
