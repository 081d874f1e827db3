// Elementwise activations (ReLU, LeakyReLU, Tanh): forward and backward, in place, in the producer's layout.
//
// Backward uses the *_use_dst_for_bwd algorithms: the gradient is computed from the activation's output, which
// the next layer keeps anyway, so the pre-activation tensor can be overwritten in place (as PyTorch's inplace
// ReLU/LeakyReLU do; for slope > 0, dst > 0 <=> src > 0). An activation may also be fused into the producing
// convolution as a oneDNN post-op: then forward() has nothing to do and backward() still runs here.
#pragma once
#include "nn/context.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <unordered_map>

namespace nn {

struct Activation {
  dnnl::algorithm forward_alg;   // eltwise_relu (alpha = negative slope) or eltwise_tanh
  dnnl::algorithm backward_alg;  // the matching *_use_dst_for_bwd
  float alpha = 0.f;

  static Activation relu() {
    return {dnnl::algorithm::eltwise_relu, dnnl::algorithm::eltwise_relu_use_dst_for_bwd, 0.f};
  }
  static Activation leaky_relu(float slope) {
    return {dnnl::algorithm::eltwise_relu, dnnl::algorithm::eltwise_relu_use_dst_for_bwd, slope};
  }
  static Activation tanh() {
    return {dnnl::algorithm::eltwise_tanh, dnnl::algorithm::eltwise_tanh_use_dst_for_bwd, 0.f};
  }
  // Appends this activation to a primitive's post-ops (fusion into a convolution's forward pass).
  void append_to(dnnl::post_ops& po) const { po.append_eltwise(1.f, forward_alg, alpha, 0.f); }
};

class Eltwise {
 public:
  struct Options {
    bool training = true;  // false: forward_inference, no backward
    bool fused = false;    // the producer already applied the activation (post-op); forward() is a no-op
  };

  // data: [any shape] the producer's output; forward overwrites it with the activation (unless fused).
  // diff: same shape, the producer's diff_dst; backward overwrites d loss/d dst with d loss/d src in place.
  //       An empty memory when there is no backward.
  Eltwise(Context& ctx, const Activation& act, const dnnl::memory& data, const dnnl::memory& diff, const Options& opt);

  const dnnl::memory& dst() const { return data_; }       // the activation's output (same memory as data)
  const dnnl::memory& diff_dst() const { return diff_; }  // the consumer writes d loss/d dst here

  void forward();   // dst = act(src), in place
  void backward();  // diff_src = act'(dst) * diff_dst, in place

 private:
  Context& ctx_;
  Options opt_;
  dnnl::memory data_;  // [any] src and dst (in place)
  dnnl::memory diff_;  // [any] diff_dst and diff_src (in place)
  std::optional<dnnl::eltwise_forward> fwd_;
  std::optional<dnnl::eltwise_backward> bwd_;
  std::unordered_map<int, dnnl::memory> fwd_args_, bwd_args_;
};

}  // namespace nn
