// torch.optim.Adam (PyTorch 1.13, _single_tensor_adam, no weight decay, no amsgrad) over a list of Params.
//
// Per element, with t the step count after increment, and the scalars formed in double as Python does:
//   m = beta1*m + (1-beta1)*g;   v = beta2*v + (1-beta2)*g*g
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps;   p -= (lr / (1 - beta1^t)) * m / denom
// Kingma & Ba, "Adam", ICLR 2015, Algorithm 1, in PyTorch's arrangement of the bias correction.
// Moments are f32 in the plain layout of their Param (what checkpoints store). Runs on the host through mapped
// memory, so it works on CPU and GPU engines; the loop is OpenMP-parallel like oneDNN's CPU runtime.
#pragma once
#include "nn/context.hpp"
#include "nn/param.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <vector>

namespace nn {

// Hyperparameters in double: PyTorch keeps them as Python floats and forms lr/(1-beta1^t) etc. in double.
struct AdamConfig {
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999, eps = 1e-8;
};

class Adam {
 public:
  // One pair of moments per parameter, named after it.
  struct Slot {
    Param* param;
    dnnl::memory exp_avg;     // f32, plain layout of param->value
    dnnl::memory exp_avg_sq;  // f32, plain layout of param->value
  };

  Adam(Context& ctx, std::vector<Param*> params, const AdamConfig& cfg);

  // One optimizer step: uses every param's grad, updates value and moments, increments the step count.
  void step();

  int64_t step_count() const { return step_; }
  void set_step_count(int64_t t) { step_ = t; }  // checkpoint restore (with the moments)
  const AdamConfig& config() const { return cfg_; }
  void set_lr(double lr) { cfg_.lr = lr; }
  std::vector<Slot>& slots() { return slots_; }
  const std::vector<Slot>& slots() const { return slots_; }
  // Zeroes both moments and the step count (a fresh optimizer).
  void reset();

 private:
  Context& ctx_;
  AdamConfig cfg_;
  std::vector<Slot> slots_;
  int64_t step_ = 0;
};

}  // namespace nn
