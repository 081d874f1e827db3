// The DCGAN tutorial's weights_init, deterministic for a given engine (portable_random.hpp).
#include "nn/init.hpp"

#include "nn/memory.hpp"

#include <stdexcept>
#include <string>

namespace nn {

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void weights_init(Context& ctx, const std::vector<Param*>& params, prng::Engine& rng) {
  for (Param* p : params) {
    HostView<float> v(ctx, p->value);
    const size_t n = static_cast<size_t>(p->numel());
    if (p->shape.size() == 4) {
      prng::fill_normal(rng, v.data(), n, 0.0, 0.02);
    } else if (p->shape.size() == 1 && ends_with(p->name, ".weight")) {
      prng::fill_normal(rng, v.data(), n, 1.0, 0.02);
    } else if (p->shape.size() == 1 && ends_with(p->name, ".bias")) {
      for (size_t i = 0; i < n; ++i) v[i] = 0.f;
    } else {
      throw std::logic_error("nn::weights_init: no rule for parameter '" + p->name + "'");
    }
  }
}

}  // namespace nn
