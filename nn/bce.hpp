// D's final Sigmoid and BCELoss (reduction 'mean'), with the arithmetic of PyTorch 1.13 on the CPU.
//
// p = sigmoid(x) = 1 / (1 + exp(-x)) in f32, then
//   loss = mean_i -( t log(p_i) + (1-t) log1p(-p_i) ), each log clamped at -100 (torch.nn.BCELoss)
//   d loss/d p_i = (p_i - t) / max((1 - p_i) p_i, 1e-12) / n      (binary_cross_entropy_backward)
//   d loss/d x_i = d loss/d p_i * (1 - p_i) * p_i                  (sigmoid_backward)
// Computing p in f32 first, as the reference model's nn.Sigmoid + nn.BCELoss do, keeps the same values where
// p saturates to 0 or 1 (a logit-space fused formula would not: it never clamps, and never zeroes the gradient).
// Host code: D's logits are B floats, read and written through mapped memory.
#pragma once
#include <cstdint>

namespace nn {

struct BceResult {
  float loss;       // mean BCE over the batch
  float mean_prob;  // mean sigmoid(x): the tutorial's D(x) / D(G(z))
};

// logits [n] -> loss; diff_logits [n] = d loss / d logits. target is the label of every sample (1 real, 0 fake).
BceResult sigmoid_bce(float* diff_logits, const float* logits, int64_t n, float target);

}  // namespace nn
