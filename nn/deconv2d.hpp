// ConvTranspose2d (torch.nn.ConvTranspose2d, bias=False) on oneDNN deconvolution primitives: forward,
// backward-data, backward-weights.
#pragma once
#include "nn/convolution.hpp"

namespace nn {

struct Deconv2dTraits {
  using forward = dnnl::deconvolution_forward;
  using backward_data = dnnl::deconvolution_backward_data;
  using backward_weights = dnnl::deconvolution_backward_weights;
  static constexpr dnnl::algorithm algorithm = dnnl::algorithm::deconvolution_direct;
  static constexpr const char* name = "ConvTranspose2d";
  // PyTorch's ConvTranspose2d.weight is [in, out, kH, kW]: oneDNN's {OC, IC, KH, KW} in iohw order. Both define
  // out[o][y*s - p + ky] += in[i][y] * w[i][o][ky] (no kernel flip).
  static constexpr tag torch_weights_tag = tag::iohw;
  static std::vector<int64_t> torch_weight_shape(const ConvGeometry& g) {
    return {g.in_channels, g.out_channels, g.kernel, g.kernel};
  }
  static int64_t out_size(const ConvGeometry& g) { return (g.in_size - 1) * g.stride - 2 * g.padding + g.kernel; }
};

using Deconv2d = ConvolutionLayer<Deconv2dTraits>;
extern template class ConvolutionLayer<Deconv2dTraits>;

}  // namespace nn
