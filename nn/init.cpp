// The DCGAN tutorial's weights_init, deterministic for a given std::mt19937_64.
#include "nn/init.hpp"

#include "nn/memory.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace nn {

double normal_draw(std::mt19937_64& rng, double mean, double stddev) {
  auto uniform = [&] { return (static_cast<double>(rng() >> 11) + 1.0) * 0x1.0p-53; };  // (0, 1]
  const double u1 = uniform(), u2 = uniform();
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void weights_init(Context& ctx, const std::vector<Param*>& params, std::mt19937_64& rng) {
  wait(ctx);
  for (Param* p : params) {
    HostView<float> v(p->value);
    const size_t n = static_cast<size_t>(p->numel());
    if (p->shape.size() == 4) {
      for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(normal_draw(rng, 0.0, 0.02));
    } else if (p->shape.size() == 1 && ends_with(p->name, ".weight")) {
      for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(normal_draw(rng, 1.0, 0.02));
    } else if (p->shape.size() == 1 && ends_with(p->name, ".bias")) {
      for (size_t i = 0; i < n; ++i) v[i] = 0.f;
    } else {
      throw std::logic_error("nn::weights_init: no rule for parameter '" + p->name + "'");
    }
  }
}

}  // namespace nn
