// Conv2d (torch.nn.Conv2d, bias=False) on oneDNN convolution primitives: forward, backward-data, backward-weights.
#pragma once
#include "nn/convolution.hpp"

namespace nn {

struct Conv2dTraits {
  using forward = dnnl::convolution_forward;
  using backward_data = dnnl::convolution_backward_data;
  using backward_weights = dnnl::convolution_backward_weights;
  static constexpr dnnl::algorithm algorithm = dnnl::algorithm::convolution_direct;
  static constexpr const char* name = "Conv2d";
  // PyTorch's Conv2d.weight is [out, in, kH, kW]: oneDNN's {OC, IC, KH, KW} in oihw order.
  static constexpr tag torch_weights_tag = tag::oihw;
  static std::vector<int64_t> torch_weight_shape(const ConvGeometry& g) {
    return {g.out_channels, g.in_channels, g.kernel, g.kernel};
  }
  static int64_t out_size(const ConvGeometry& g) { return (g.in_size + 2 * g.padding - g.kernel) / g.stride + 1; }
};

using Conv2d = ConvolutionLayer<Conv2dTraits>;
extern template class ConvolutionLayer<Conv2dTraits>;

}  // namespace nn
