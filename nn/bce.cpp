// D's final Sigmoid and BCELoss (reduction 'mean'), with the arithmetic of PyTorch 1.13 on the CPU.
#include "nn/bce.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nn {

BceResult sigmoid_bce(float* diff_logits, const float* logits, int64_t n, float target) {
  if (n <= 0) throw std::logic_error("nn::sigmoid_bce: empty batch");
  const float inv_n = 1.f / static_cast<float>(n);  // the mean's gradient, 1/n, as a float tensor value
  float loss_sum = 0.f, prob_sum = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    const float p = 1.f / (1.f + std::exp(-logits[i]));
    const float log_p = std::max(std::log(p), -100.f);
    const float log_1mp = std::max(std::log1p(-p), -100.f);
    loss_sum += (target - 1.f) * log_1mp - target * log_p;
    prob_sum += p;
    const float d_p = inv_n * (p - target) / std::max((1.f - p) * p, 1e-12f);
    diff_logits[i] = d_p * (1.f - p) * p;
  }
  return {loss_sum * inv_n, prob_sum * inv_n};
}

}  // namespace nn
