// torch.optim.Adam (PyTorch 1.13, _single_tensor_adam, no weight decay, no amsgrad) over a list of Params.
#include "nn/adam.hpp"

#include "nn/memory.hpp"

#include <cmath>

namespace nn {

Adam::Adam(Context& ctx, std::vector<Param*> params, const AdamConfig& cfg) : ctx_(ctx), cfg_(cfg) {
  for (Param* p : params) {
    Slot s{p, make_memory(ctx, p->value.get_desc()), make_memory(ctx, p->value.get_desc())};
    fill(ctx, s.exp_avg, 0.f);
    fill(ctx, s.exp_avg_sq, 0.f);
    slots_.push_back(s);
  }
}

void Adam::reset() {
  for (auto& s : slots_) {
    fill(ctx_, s.exp_avg, 0.f);
    fill(ctx_, s.exp_avg_sq, 0.f);
  }
  step_ = 0;
}

void Adam::step() {
  ++step_;
  // Python forms these in double; the tensor ops then take them as f32 scalars.
  const double t = static_cast<double>(step_);
  const double bias_correction1 = 1.0 - std::pow(cfg_.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(cfg_.beta2, t);
  const float step_size = static_cast<float>(cfg_.lr / bias_correction1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float b1 = static_cast<float>(cfg_.beta1), one_m_b1 = static_cast<float>(1.0 - cfg_.beta1);
  const float b2 = static_cast<float>(cfg_.beta2), one_m_b2 = static_cast<float>(1.0 - cfg_.beta2);
  const float eps = static_cast<float>(cfg_.eps);
  for (auto& s : slots_) {
    HostView<float> p(ctx_, s.param->value), m(ctx_, s.exp_avg), v(ctx_, s.exp_avg_sq);
    HostView<const float> g(ctx_, s.param->grad);
    float *pp = p.data(), *mp = m.data(), *vp = v.data();
    const float* gp = g.data();
    const int64_t n = s.param->numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
      const float gi = gp[i];
      const float mi = mp[i] * b1 + one_m_b1 * gi;         // exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
      const float vi = vp[i] * b2 + one_m_b2 * gi * gi;    // exp_avg_sq.mul_(beta2).addcmul_(g, g, 1-beta2)
      const float denom = std::sqrt(vi) / bc2_sqrt + eps;  // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
      pp[i] += -step_size * mi / denom;                    // param.addcdiv_(exp_avg, denom, -step_size)
      mp[i] = mi;
      vp[i] = vi;
    }
  }
}

}  // namespace nn
