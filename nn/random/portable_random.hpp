// Portable random draws: the same numbers from the same seed under every standard library (libstdc++, libc++, MSVC).
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but std::normal_distribution,
// std::uniform_int_distribution and std::shuffle are implementation-defined: the same seed gives other noise, other
// weights and another order elsewhere. Every draw of the project goes through the four functions below instead:
// weights init (nn), latent noise and evaluation subsets (trainer), the loader's epoch order (pipeline), and the
// SWD / MS-SSIM sampling. What is left to the platform is std::log and std::cos in normal(), which IEEE 754 does not
// require to be correctly rounded: glibc's are (within its documented 1 ulp at worst), and the float results the
// project keeps hide a last-bit difference of the double almost always.
//
// A header-only library of its own (target portable_random): nn and pipeline both use it and neither includes
// the other.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <utility>

namespace prng {

// The one engine: its text form (operator<<) is what checkpoints store.
using Engine = std::mt19937_64;

// Uniform double in [0, 1) from the top 53 bits of one draw.
inline double uniform(Engine& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// Uniform integer in [0, n), n >= 1, from one or more draws: draws in the top partial range [limit, 2^64) are
// rejected, so every value is equally likely (no modulo bias).
inline uint64_t below(Engine& g, uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do v = g();
  while (v >= limit);
  return v % n;
}

// Standard normal by the Box-Muller transform (Box and Muller 1958), cosine branch, from two uniforms: one value
// per call and nothing cached, so the engine's state is the whole state.
inline double normal(Engine& g) {
  const double u1 = 1.0 - uniform(g);  // (0, 1]: the log is finite
  const double u2 = uniform(g);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// n draws of N(mean, stddev), rounded to float.
inline void fill_normal(Engine& g, float* dst, size_t n, double mean = 0.0, double stddev = 1.0) {
  for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(mean + stddev * normal(g));
}

// Fisher-Yates (Durstenfeld's in-place form, Knuth TAOCP vol. 2, algorithm P): for i = n-1 down to 1, swap v[i]
// with v[below(i + 1)].
template <class T>
void shuffle(std::span<T> v, Engine& g) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(g, i)]);
}

}  // namespace prng
