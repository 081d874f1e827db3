// BatchNorm2d as PyTorch trains and evaluates it, on oneDNN's batch_normalization primitives; forward and backward.
//
// Ioffe & Szegedy, "Batch Normalization", ICML 2015. Training: normalize with the batch mean and the biased batch
// variance over (N,H,W), eps 1e-5, then scale by weight (gamma) and shift by bias (beta); afterwards move the
// running statistics as torch.nn.BatchNorm2d does (momentum 0.1, the running variance from the *unbiased* batch
// variance) and count num_batches_tracked. Eval: normalize with the running statistics (use_global_stats).
// The layer keeps the layout and data type of its input (the convolution before it); gamma/beta, statistics
// and gradients are f32. ReLU can be fused (fuse_norm_relu, with a workspace for backward).
//
// Synchronized (ctx.comm with more than one rank and ctx.sync_batchnorm): the statistics are those of the whole
// global batch, as torch.nn.SyncBatchNorm computes them. Forward: a statistics pass gives each rank's mean and
// biased variance, every rank gathers them and combines them in rank order (in double), and the normalization runs
// with those (use_global_stats). Backward: oneDNN's use_global_stats backward gives d src without the terms that come
// through the statistics, and the local sums of dy and dy * xhat; the sums are added over ranks, and the missing
// terms, per channel an affine function of x, are added to d src (an inference-mode normalization computes them,
// a sum primitive adds them):
//   d src += b_c * x + a_c,   b_c = -gamma invstd^2 sum(dy xhat) / M,   a_c = -gamma invstd sum(dy) / M - b_c mean
// (M = N*H*W over all ranks; PyTorch's batch_norm_backward_elemt). d gamma and d beta stay the local sums: the
// gradient average across ranks (nn/data_parallel.hpp) makes them the whole batch's, as DDP does.
#pragma once
#include "nn/collectives.hpp"
#include "nn/context.hpp"
#include "nn/memory.hpp"
#include "nn/param.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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
  void compute_diff_src(const char* caller);
  void build_sync(const dnnl::memory::desc& src_md, dnnl::normalization_flags flags);
  void combine_statistics();      // sync: the ranks' statistics -> mean_, variance_
  void add_statistics_terms();    // sync: sums over ranks -> the correction's coefficients, then d src += b x + a

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

  // ---- synchronized statistics (sync_ set) ----
  Collectives* sync_ = nullptr;
  int64_t global_reduced_ = 0;                           // M: N*H*W summed over ranks
  std::optional<dnnl::batch_normalization_forward> stats_;  // this rank's mean and variance (writes dst_ too)
  std::unordered_map<int, dnnl::memory> stats_args_;
  dnnl::memory local_mean_, local_variance_;             // [C] f32
  dnnl::memory coef_b_, coef_a_;                         // [C] f32: the correction's b_c, a_c
  dnnl::memory unit_mean_, unit_variance_;               // [C] f32: 0 and 1, so that the affine pass is b x + a
  dnnl::memory correction_terms_;                        // [N,C,H,W] src's layout: b x + a
  std::optional<dnnl::batch_normalization_forward> affine_;  // correction_terms_ = b * src + a
  std::optional<dnnl::sum> add_;                         // diff_src += correction_terms_
  std::unordered_map<int, dnnl::memory> affine_args_, add_args_;
  std::vector<double> gathered_;                         // [ranks * 2C] each rank's mean, variance
  std::vector<float> sums_;                              // [2C] sum dy xhat, sum dy over ranks
};

}  // namespace nn
