// The DCGAN discriminator as oneDNN layers: image [B,nc,S,S] -> logit [B,1,1,1], by nn/architecture.hpp's rule.
// At S = 64, the PyTorch tutorial's:
//
// main.0  Conv2d(nc, ndf, 4, 2, 1)                             main.1  LeakyReLU(0.2)   (32x32)
// main.2  Conv2d(ndf, 2ndf, 4, 2, 1)   main.3  BatchNorm2d     main.4  LeakyReLU(0.2)   (16x16)
// main.5  Conv2d(2ndf, 4ndf, 4, 2, 1)  main.6  BatchNorm2d     main.7  LeakyReLU(0.2)   (8x8)
// main.8  Conv2d(4ndf, 8ndf, 4, 2, 1)  main.9  BatchNorm2d     main.10 LeakyReLU(0.2)   (4x4)
// main.11 Conv2d(8ndf, 1, 4, 1, 0)                             main.12 Sigmoid          (1x1)
// The Sigmoid is left to the loss (nn/bce.hpp) on the host: logits() is the last convolution's output.
// The first LeakyReLU is a post-op of the first convolution; the others run in place after BatchNorm.
#pragma once
#include "nn/batchnorm.hpp"
#include "nn/conv2d.hpp"
#include "nn/context.hpp"
#include "nn/eltwise.hpp"
#include "nn/memory.hpp"
#include "nn/param.hpp"
#include "nn/precision_plan.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace nn {

struct DcganConfig;

class Discriminator {
 public:
  static constexpr float kSlope = 0.2f;  // LeakyReLU negative slope

  // Creates D's Params, Buffers and counters (zeroed; running_var 1) in state_dict order.
  static NetworkTensors make_tensors(Context& ctx, const DcganConfig& cfg);
  // The descriptor D's first convolution reads: [B,nc,S,S] in kImageLayout and layer 0's precision.
  static dnnl::memory::desc input_desc(const DcganConfig& cfg, int batch, const PrecisionPlan& plan);

  // input:      [B,nc,S,S] in input_desc(): D reads it in place (the owner fills it before forward()).
  // diff_input: [B,nc,S,S] where backward_input() puts d loss/d input; empty: backward_input() unavailable.
  Discriminator(Context& ctx, const DcganConfig& cfg, NetworkTensors& tensors, int batch, const dnnl::memory& input,
                const dnnl::memory& diff_input, const PrecisionPlan& plan);

  const dnnl::memory& logits() const { return logits_.mem; }            // [B,1,1,1] f32 plain, after forward()
  const dnnl::memory& diff_logits() const { return diff_logits_.mem; }  // [B,1,1,1] f32 plain: the host writes
  Conv2d& layer(int i) { return *layers_[static_cast<size_t>(i)]; }

  void load_weights();
  // Training-mode forward: batch statistics in BN, and BN's running statistics move (as PyTorch's do).
  void forward();
  // From diff_logits: every Param's grad, overwritten or (accumulate) added to. No d input.
  // layer_done (optional): called with k after layer k's weight grads are final, from the last layer down to 0 (the
  // data-parallel gradient average starts reducing them while backward goes on: nn/data_parallel.hpp).
  void backward_params(bool accumulate, const LayerDone& layer_done = {});
  // From diff_logits: d input only; no weight, gamma or beta gradient is delivered.
  void backward_input();

 private:
  Context& ctx_;
  std::vector<std::unique_ptr<Conv2d>> layers_;  // dst [B,ndf,S/2,S/2] .. [B,1,1,1]
  std::vector<std::unique_ptr<BatchNorm>> bn_;   // every layer but the first and the last
  std::vector<std::optional<Eltwise>> act_;      // LeakyReLU, every layer but the last (the first's fused)
  Relayout logits_;                                      // [B,1,1,1] last convolution's dst -> f32 plain
  Relayout diff_logits_;                                 // [B,1,1,1] f32 plain from the host -> its diff_dst
};

}  // namespace nn
