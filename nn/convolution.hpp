// 2-D convolution and transposed convolution layers on oneDNN: forward, backward-data and backward-weights.
//
// One template serves Conv2d (nn/conv2d.hpp) and ConvTranspose2d (nn/deconv2d.hpp): oneDNN's deconvolution is
// the transposed convolution, with the same three passes, argument names and weight dims {OC, IC, KH, KW}.
// The primitives choose their layouts (format_tag::any) unless a model boundary fixes one; backward descriptors
// are created with the forward one as hint. No bias (DCGAN's convolutions have none). The f32 master weights in
// PyTorch's layout are reordered into the primitive's weights by load_weights() after each optimizer step;
// weight gradients come back as f32 in PyTorch's layout through a GradientOut (overwrite or accumulate).
#pragma once
#include "nn/context.hpp"
#include "nn/eltwise.hpp"
#include "nn/memory.hpp"
#include "nn/param.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace nn {

// Square 2-D geometry in PyTorch's terms (in/out channels as the layer's input/output).
struct ConvGeometry {
  int64_t batch = 1, in_channels = 1, out_channels = 1, in_size = 1, out_size = 1, kernel = 4, stride = 1, padding = 0;
};

struct ConvOptions {
  dt type = dt::f32;             // src, weights, dst and their diffs (weight gradients are always f32)
  bool training = true;          // forward_training and the backward passes; false: forward_inference only
  bool backward_weights = true;  // weight gradients (training)
  tag src_tag = tag::any;        // a fixed layout at a model boundary, else the primitive's choice
  tag dst_tag = tag::any;
  std::optional<Activation> post_op;  // activation fused into the forward pass (its backward is an Eltwise)
};

enum class ConvPass { forward, backward_data, backward_weights };

template <class Traits>
class ConvolutionLayer {
 public:
  // The master weight Param for this geometry: f32, PyTorch's shape and plain layout.
  static dnnl::memory::desc weights_desc(const ConvGeometry& g);
  static std::vector<int64_t> torch_weight_shape(const ConvGeometry& g);

  // src:      [N, in, in_size, in_size]   the producer's output (reordered when the primitive wants another layout)
  // diff_src: [N, in, in_size, in_size]   where d loss/d src goes; an empty memory when no data gradient is needed
  // weight:   the Param (value and grad in weights_desc(g))
  ConvolutionLayer(Context& ctx, const ConvGeometry& g, Param& weight, const dnnl::memory& src,
                   const dnnl::memory& diff_src, const ConvOptions& opt);

  const dnnl::memory& src() const { return src_.mem; }        // [N, in, H, W] as the primitive reads it
  const dnnl::memory& dst() const { return dst_; }            // [N, out, OH, OW]
  const dnnl::memory& diff_dst() const { return diff_dst_; }  // [N, out, OH, OW]: the consumer writes here
  const ConvGeometry& geometry() const { return g_; }
  // oneDNN implementation names ("jit:avx512_core" ...), for the bench and reports; empty when not built.
  const std::string& forward_impl() const { return fwd_impl_; }
  const std::string& backward_data_impl() const { return bwd_data_impl_; }
  const std::string& backward_weights_impl() const { return bwd_weights_impl_; }

  // The three passes' primitives alone, without the reorders around them (for benchmarks: the denominator of
  // the step-overhead ratio). has() is false for a pass the layer was built without.
  bool has(ConvPass p) const;
  void run_primitive(ConvPass p);

  void load_weights();                     // master f32 weights -> the primitives' weights (after any update)
  void forward();                          // dst = conv(src, W) [+ fused activation]
  void backward_data();                    // diff_src = conv_bwd_data(diff_dst, W)
  void backward_weights(bool accumulate);  // weight.grad (+)= conv_bwd_weights(src, diff_dst)

 private:
  Context& ctx_;
  ConvGeometry g_;
  Param& weight_;
  Relayout src_;              // [N,in,H,W] the producer's output as the forward primitive reads it
  Relayout weights_fwd_;      // {OC,IC,K,K} master -> forward weights (layout, precision)
  Relayout weights_bwd_;      // {OC,IC,K,K} master -> backward-data weights (an alias when the layouts agree)
  dnnl::memory dst_;          // [N,out,OH,OW]
  dnnl::memory diff_dst_;     // [N,out,OH,OW] d loss/d dst, written by the consumer
  Relayout diff_src_;         // [N,in,H,W] d src as computed -> the producer's diff_dst
  Relayout bd_diff_dst_;      // [N,out,OH,OW] diff_dst as backward-data wants it
  Relayout bw_src_;           // [N,in,H,W] src as backward-weights wants it
  Relayout bw_diff_dst_;      // [N,out,OH,OW] diff_dst as backward-weights wants it
  GradientOut diff_weights_;  // {OC,IC,K,K} f32 -> weight.grad
  std::optional<dnnl::primitive> fwd_, bwd_data_, bwd_weights_;
  std::unordered_map<int, dnnl::memory> fwd_args_, bwd_data_args_, bwd_weights_args_;
  std::string fwd_impl_, bwd_data_impl_, bwd_weights_impl_;
};

}  // namespace nn
