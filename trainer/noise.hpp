// Latent noise: standard-normal floats from a std::mt19937_64, the only random source of training and sampling.
#pragma once
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace trainer {

// Fills n standard-normal floats. A fresh distribution per call keeps all state in the engine
// (std::normal_distribution caches a second value), so the engine's text state is all a checkpoint needs.
inline void fill_normal(std::mt19937_64& rng, float* dst, size_t n) {
  std::normal_distribution<float> nd(0.f, 1.f);
  for (size_t i = 0; i < n; ++i) dst[i] = nd(rng);
}

// n standard-normal floats from a generator seeded with `seed`.
inline std::vector<float> normal_noise(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<float> v(n);
  fill_normal(rng, v.data(), n);
  return v;
}

}  // namespace trainer
