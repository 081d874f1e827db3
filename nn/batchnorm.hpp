// BatchNorm2d as PyTorch trains and evaluates it, on oneDNN's batch_normalization primitives; forward and backward.
//
// Ioffe & Szegedy, "Batch Normalization", ICML 2015. Training: normalize with the batch mean and the biased batch
// variance over (N,H,W), eps 1e-5, then scale by weight (gamma) and shift by bias (beta); afterwards move the
// running statistics as torch.nn.BatchNorm2d does (momentum 0.1, the running variance from the *unbiased* batch
// variance) and count num_batches_tracked. Eval: normalize with the running statistics (use_global_stats).
// The layer keeps the layout and data type of its input (the convolution before it); gamma/beta, statistics
// and gradients are f32. ReLU can be fused (fuse_norm_relu, with a workspace for backward).
#pragma once
#include "nn/context.hpp"
#include "nn/memory.hpp"
#include "nn/param.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <string>
#include <unordered_map>

namespace nn {

// The named tensors of one BatchNorm2d layer ("main.N.weight", ".bias", ".running_mean", ".running_var",
// ".num_batches_tracked").
struct BatchNormTensors {
  Param& weight;         // gamma [C]
  Param& bias;           // beta [C]
  Buffer& running_mean;  // [C]
  Buffer& running_var;   // [C]
  BatchCount& num_batches_tracked;
};

// Adds a BatchNorm2d's tensors named "<prefix>.weight", ".bias", ".running_mean" (0), ".running_var" (1),
// ".num_batches_tracked" (0) to a network, for `channels` channels.
void add_batchnorm_tensors(Context& ctx, NetworkTensors& t, const std::string& prefix, int64_t channels);
// The tensors of the BatchNorm2d at `prefix` ("main.1").
BatchNormTensors batchnorm_tensors(NetworkTensors& t, const std::string& prefix);

class BatchNorm {
 public:
  struct Options {
    bool training = true;    // batch statistics and backward; false: running statistics, inference only
    bool fuse_relu = false;  // ReLU after the normalization, in the same primitive
    float eps = 1e-5f;
    double momentum = 0.1;
  };

  // src: [N,C,H,W] the producer's output (layout and data type kept).
  // diff_src: [N,C,H,W] the producer's diff_dst, where d loss/d src goes; when its descriptor suits the
  //           primitive, backward runs in place in it (diff_dst() is then the same memory).
  BatchNorm(Context& ctx, const BatchNormTensors& t, const dnnl::memory& src, const dnnl::memory& diff_src,
            const Options& opt);

  const dnnl::memory& dst() const { return dst_; }            // [N,C,H,W], src's layout
  const dnnl::memory& diff_dst() const { return diff_dst_; }  // [N,C,H,W], the consumer writes here

  // Training: normalizes with batch statistics, then updates running_mean/var and num_batches_tracked.
  // Eval: normalizes with running_mean/var.
  void forward();
  // d src, and d gamma / d beta into the Params' grads (overwritten, or added to with accumulate).
  void backward(bool accumulate);
  // d src only: gamma/beta's grads are left as they are (D's backward in the generator step).
  void backward_data();

 private:
  void update_running_stats();

  Context& ctx_;
  BatchNormTensors t_;
  Options opt_;
  int64_t reduced_ = 0;                  // N*H*W: elements per channel in one batch statistic
  dnnl::memory src_;                     // [N,C,H,W] the producer's output
  dnnl::memory dst_;                     // [N,C,H,W] src's layout
  dnnl::memory diff_dst_;                // [N,C,H,W] d loss/d dst (the same buffer as diff_src_.mem: in place)
  dnnl::memory mean_, variance_;         // [C] f32: batch statistics of the last training forward
  dnnl::memory workspace_;               // [N,C,H,W] bits: fused ReLU mask
  Relayout diff_src_;                    // [N,C,H,W] d src as computed -> the producer's diff_dst
  GradientOut diff_scale_, diff_shift_;  // [C] f32 -> weight.grad, bias.grad
  std::optional<dnnl::batch_normalization_forward> fwd_;
  std::optional<dnnl::batch_normalization_backward> bwd_;
  std::unordered_map<int, dnnl::memory> fwd_args_, bwd_args_;
};

}  // namespace nn
