// nn/random/portable_random.hpp against golden numbers from an independent Python implementation
// (tests/golden/random/make_random_golden.py): the same seed gives these numbers under every standard library.
#include "portable_random.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <vector>

namespace {

constexpr uint64_t kSeed = 999;  // the tutorial's manualSeed, train's default --seed

TEST(PortableRandom, EngineIsTheStandardsMt19937_64) {
  prng::Engine g;  // default seed 5489: the standard fixes the 10000th output
  g.discard(9999);
  EXPECT_EQ(g(), 9981545732273789042ull);
  prng::Engine s(kSeed);
  for (uint64_t want : {6554905121346638870ull, 13039487604132110849ull, 7362789767773421323ull,
                        4192336910678760632ull})
    EXPECT_EQ(s(), want);
}

TEST(PortableRandom, GoldenUniformBelowNormalShuffle) {
  prng::Engine g(kSeed);
  for (double want : {0.3553421186500192, 0.706872039424892, 0.3991376330886992, 0.22726703931745396})
    EXPECT_EQ(prng::uniform(g), want);  // exact: 53 bits times a power of two

  g.seed(kSeed);
  for (uint64_t want : {0, 9, 3, 2, 6, 7, 7, 9}) EXPECT_EQ(prng::below(g, 10), want);

  // log and cos come from the platform's libm: equal within a few ulps, not necessarily to the last bit.
  g.seed(kSeed);
  for (double want : {-0.2508276769040542, 0.1436805761835603, 0.4861702301649833, -1.3438083859976935,
                      -0.9325558838106496, -0.35483225568249566})
    EXPECT_DOUBLE_EQ(prng::normal(g), want);

  g.seed(kSeed);
  std::vector<int> v(10);
  std::iota(v.begin(), v.end(), 0);
  prng::shuffle(std::span<int>(v), g);
  EXPECT_EQ(v, (std::vector<int>{9, 1, 6, 7, 8, 4, 5, 3, 2, 0}));
}

TEST(PortableRandom, FillNormalIsNormalScaledAndShifted) {
  prng::Engine a(3), b(3);
  std::array<float, 5> v{};
  prng::fill_normal(a, v.data(), v.size(), 1.0, 0.02);
  for (float x : v) EXPECT_EQ(x, static_cast<float>(1.0 + 0.02 * prng::normal(b)));
}

TEST(PortableRandom, BelowIsUnbiasedAtTheEdges) {
  prng::Engine g(1);
  EXPECT_EQ(prng::below(g, 1), 0u);
  // n just above 2^63: half the draws fall in the rejected range, and what is kept stays below n.
  const uint64_t n = (1ull << 63) + 1;
  for (int i = 0; i < 100; ++i) EXPECT_LT(prng::below(g, n), n);
  std::array<int, 3> counts{};
  for (int i = 0; i < 30000; ++i) ++counts[prng::below(g, 3)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

}  // namespace
