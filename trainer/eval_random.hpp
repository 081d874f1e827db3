// Deterministic random draws for the evaluation metrics (patch positions, projection directions, image pairs).
//
// std::uniform_int_distribution and std::normal_distribution are implementation-defined, so a metric seeded the
// same way could differ between standard libraries. These draws are defined here, on top of std::mt19937_64
// (whose output sequence the standard fixes), so a seed means the same numbers everywhere.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>

namespace trainer {

class EvalRng {
 public:
  explicit EvalRng(uint64_t seed) : gen_(seed) {}

  // Uniform integer in [0, n), n >= 1, without modulo bias (rejection of the top partial range).
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = gen_();
    while (v >= limit);
    return v % n;
  }

  // Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }

  // Standard normal by the Box-Muller transform (one value per call; the pair's second value is dropped).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace trainer
