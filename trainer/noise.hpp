// Latent noise: standard-normal floats from the training engine (prng, portable_random.hpp), the only random
// source of training and sampling.
#pragma once
#include "portable_random.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace trainer {

// n standard-normal floats from an engine seeded with `seed`: sample's latent vectors, the evaluation's noise.
inline std::vector<float> normal_noise(uint64_t seed, size_t n) {
  prng::Engine rng(seed);
  std::vector<float> v(n);
  prng::fill_normal(rng, v.data(), n);
  return v;
}

}  // namespace trainer
