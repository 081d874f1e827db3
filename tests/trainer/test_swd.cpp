// Tests of the Sliced Wasserstein Distance: NumPy reference on the golden fixture, the pieces, and its properties.
#include "test_eval_support.hpp"
#include "trainer/swd.hpp"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <bit>
#include <iterator>
#include <cmath>
#include <limits>
#include <random>

namespace {

using trainer::SwdOptions;
using trainer::SwdResult;
namespace sd = trainer::swd_detail;

struct GoldenSwd {
  std::vector<float> a, b;  // [6, 3, 64, 64] in [-1, 1]
  SwdOptions opt;
  sd::SwdDraws draws;
  std::vector<double> expected, expected_a_vs_b4;
};

GoldenSwd load_golden() {
  const h5::File f = evaltest::open_golden();
  const h5::Location g = f.group("swd");
  GoldenSwd s;
  s.a = evaltest::to_unit(h5::read<uint8_t>(g, "a"));
  s.b = evaltest::to_unit(h5::read<uint8_t>(g, "b"));
  s.opt.patch_size = static_cast<int>(h5::get_attr_int(g.id(), "patch_size", f.file()));
  s.opt.patches_per_image = static_cast<int>(h5::get_attr_int(g.id(), "patches_per_image", f.file()));
  s.opt.levels = static_cast<int>(h5::get_attr_int(g.id(), "levels", f.file()));
  s.opt.projections = static_cast<int>(h5::get_attr_int(g.id(), "projections", f.file()));
  for (int l = 0; l < s.opt.levels; ++l) {
    s.draws.corners_a.push_back(h5::read<int32_t>(g, "corners_a_" + std::to_string(l)));
    s.draws.corners_b.push_back(h5::read<int32_t>(g, "corners_b_" + std::to_string(l)));
    s.draws.directions.push_back(h5::read<float>(g, "directions_" + std::to_string(l)));
  }
  s.expected = h5::read<double>(g, "expected");
  s.expected_a_vs_b4 = h5::read<double>(g, "expected_a_vs_b4");
  return s;
}

TEST(SwdGolden, PyramidMatchesNumPy) {
  const h5::File f = evaltest::open_golden();
  const h5::Location g = f.group("swd");
  const auto a = evaltest::to_unit(h5::read<uint8_t>(g, "a"));
  const auto pyr = sd::laplacian_pyramid(a.data(), 1, 3, 64, 64, 3);  // the first image only
  ASSERT_EQ(pyr.size(), 3u);
  for (int l = 0; l < 3; ++l) {
    const auto expected = h5::read<float>(g, "pyramid_a0_" + std::to_string(l));
    ASSERT_EQ(pyr[l].size(), expected.size()) << "level " << l;
    double worst = 0;
    for (size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::fabs(double(pyr[l][i]) - expected[i]));
    EXPECT_LT(worst, 2e-6) << "level " << l;
  }
}

TEST(SwdGolden, MatchesNumPyReferenceWithTheSameDraws) {
  const GoldenSwd s = load_golden();
  const SwdResult r = sd::sliced_wasserstein_with(s.a.data(), 6, s.b.data(), 6, 3, 64, 64, s.opt, s.draws);
  ASSERT_EQ(r.per_level.size(), 3u);
  EXPECT_EQ(r.level_sizes, (std::vector<int>{64, 32, 16}));
  double mean = 0;
  for (int l = 0; l < 3; ++l) {
    // Float32 projections against NumPy's float64: agreement to ~1e-6 relative is expected; 1e-4 is the bound.
    EXPECT_NEAR(r.per_level[l], s.expected[l], 1e-4 * s.expected[l]) << "level " << l;
    mean += s.expected[l] / 3;
  }
  EXPECT_NEAR(r.average, mean, 1e-4 * mean);
}

TEST(SwdGolden, UnequalSetSizesMatchNumPyQuantileW1) {
  GoldenSwd s = load_golden();
  for (auto& cb : s.draws.corners_b) cb.resize(4 * 128 * 2);  // the first 4 images of b
  const SwdResult r = sd::sliced_wasserstein_with(s.a.data(), 6, s.b.data(), 4, 3, 64, 64, s.opt, s.draws);
  for (int l = 0; l < 3; ++l)
    EXPECT_NEAR(r.per_level[l], s.expected_a_vs_b4[l], 1e-4 * s.expected_a_vs_b4[l]) << "level " << l;
}

TEST(SwdPieces, RadixSortMatchesStdSort) {
  std::mt19937 gen(7);
  std::normal_distribution<float> g(0.0f, 3.0f);
  for (size_t n : {size_t(0), size_t(1), size_t(2), size_t(17), size_t(5000), size_t(70000)}) {
    std::vector<float> v(n);
    for (auto& x : v) x = g(gen);
    if (n > 10) {
      v[0] = 0.0f, v[1] = -0.0f, v[2] = std::numeric_limits<float>::infinity();
      v[3] = -std::numeric_limits<float>::infinity(), v[4] = v[5], v[6] = 1e-40f, v[7] = -1e-40f;  // denormals too
    }
    std::vector<float> expect = v;
    std::sort(expect.begin(), expect.end());
    std::vector<uint32_t> keys(n), tmp(n);
    sd::radix_sort_keys(v.data(), n, keys.data(), tmp.data());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(sd::float_of_key(keys[i]), expect[i]) << "n " << n << " at " << i;
  }
  // Keys order like the floats and decode exactly (bit for bit, -0 included).
  const float probe[] = {-std::numeric_limits<float>::infinity(), -3.5f, -1e-40f, -0.0f, 0.0f, 1e-40f, 2.0f, 3e38f};
  for (size_t i = 0; i < std::size(probe); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(sd::float_of_key(sd::key_of_float(probe[i]))), std::bit_cast<uint32_t>(probe[i]));
    if (i > 0) {
      EXPECT_LT(sd::key_of_float(probe[i - 1]), sd::key_of_float(probe[i]));
    }
  }
}

TEST(SwdPieces, Wasserstein1OfSortedSets) {
  const float a[] = {0.0f, 1.0f}, b[] = {0.0f, 0.5f, 1.0f};
  EXPECT_NEAR(sd::wasserstein1_sorted(a, 2, b, 3), 1.0 / 6.0, 1e-12);  // by hand: 1/6 * 0.5 + 1/6 * 0.5
  const float c[] = {1.0f, 2.0f, 4.0f}, d[] = {2.0f, 2.0f, 2.0f};
  EXPECT_NEAR(sd::wasserstein1_sorted(c, 3, d, 3), (1.0 + 0.0 + 2.0) / 3.0, 1e-12);
  const float e[] = {1.0f, 1.0f, 2.0f, 2.0f}, f[] = {1.0f, 2.0f};  // the same distribution
  EXPECT_EQ(sd::wasserstein1_sorted(e, 4, f, 2), 0.0);
  EXPECT_THROW(sd::wasserstein1_sorted(e, 0, f, 2), std::invalid_argument);
}

TEST(Swd, SetAgainstItselfIsZeroWithSharedPatchesAndSmallOtherwise) {
  const auto x = evaltest::smooth_images(32, 3, 64, 1);
  SwdOptions opt;
  opt.seed = 5;
  sd::SwdDraws draws = sd::draw(32, 32, 3, 64, 64, opt);
  draws.corners_b = draws.corners_a;
  const SwdResult same = sd::sliced_wasserstein_with(x.data(), 32, x.data(), 32, 3, 64, 64, opt, draws);
  for (double v : same.per_level) EXPECT_EQ(v, 0.0);
  // Independent patch positions: only the sampling floor (large here with 4096 patches per set: it falls as
  // 1/sqrt(patches)), well below the distance to a noisy copy or to other images.
  const SwdResult self = trainer::sliced_wasserstein(x.data(), 32, x.data(), 32, 3, 64, 64, opt);
  const auto noisy = evaltest::add_noise(x, 0.2, 2);
  const SwdResult far = trainer::sliced_wasserstein(x.data(), 32, noisy.data(), 32, 3, 64, 64, opt);
  const auto z = evaltest::smooth_images(32, 3, 64, 77);
  const SwdResult other = trainer::sliced_wasserstein(x.data(), 32, z.data(), 32, 3, 64, 64, opt);
  EXPECT_GT(self.average, 0.0);
  EXPECT_LT(self.average * 2, far.average) << "self " << self.average << ", noisy " << far.average;
  EXPECT_LT(self.average * 2, other.average) << "self " << self.average << ", other " << other.average;
}

TEST(Swd, GrowsMonotonicallyWithNoise) {
  const auto x = evaltest::smooth_images(16, 3, 64, 3);
  SwdOptions opt;
  opt.seed = 11;
  // The average and the 32-pixel band grow with every step. The finest band alone saturates early: after the
  // per-set normalization, a band that is already mostly pixel noise looks the same with more noise.
  double prev_avg = -1, prev_32 = -1;
  for (double sigma : {0.0, 0.05, 0.1, 0.2, 0.4}) {
    const auto y = evaltest::add_noise(x, sigma, 4);
    const SwdResult r = trainer::sliced_wasserstein(x.data(), 16, y.data(), 16, 3, 64, 64, opt);
    EXPECT_GT(r.average, prev_avg) << "sigma " << sigma;
    EXPECT_GT(r.per_level[1], prev_32) << "sigma " << sigma;
    prev_avg = r.average;
    prev_32 = r.per_level[1];
  }
}

TEST(Swd, InvariantToAffineValueRangeAndDeterministicAcrossThreads) {
  const auto x = evaltest::smooth_images(8, 3, 32, 5);
  const auto y = evaltest::smooth_images(8, 3, 32, 6);
  SwdOptions opt;
  opt.seed = 3;
  const SwdResult r = trainer::sliced_wasserstein(x.data(), 8, y.data(), 8, 3, 32, 32, opt);
  // [-1, 1] -> [0, 255]: per-set channel normalization removes the change.
  std::vector<float> x255(x), y255(y);
  for (auto& v : x255) v = v * 127.5f + 127.5f;
  for (auto& v : y255) v = v * 127.5f + 127.5f;
  const SwdResult r255 = trainer::sliced_wasserstein(x255.data(), 8, y255.data(), 8, 3, 32, 32, opt);
  for (int l = 0; l < 3; ++l) EXPECT_NEAR(r.per_level[l], r255.per_level[l], 1e-3 * r.per_level[l]);
  // One thread gives bit-identical results (each sum has a fixed order whatever the partition).
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  const SwdResult r1 = trainer::sliced_wasserstein(x.data(), 8, y.data(), 8, 3, 32, 32, opt);
  EXPECT_EQ(r1.per_level, r.per_level);
}

TEST(Swd, GrayscaleAndSeedsAndBadShapes) {
  const auto x = evaltest::smooth_images(8, 1, 32, 7);
  const auto y = evaltest::add_noise(x, 0.3, 8);
  SwdOptions opt;
  opt.projections = 100;  // not a multiple of the 64-direction chunk
  const SwdResult r = trainer::sliced_wasserstein(x.data(), 8, y.data(), 8, 1, 32, 32, opt);
  EXPECT_EQ(r.level_sizes, (std::vector<int>{32, 16, 8}));
  EXPECT_GT(r.average, 0.0);
  EXPECT_EQ(trainer::sliced_wasserstein(x.data(), 8, y.data(), 8, 1, 32, 32, opt).per_level, r.per_level);
  opt.seed = 1;
  EXPECT_NE(trainer::sliced_wasserstein(x.data(), 8, y.data(), 8, 1, 32, 32, opt).per_level, r.per_level);
  SwdOptions bad;
  EXPECT_THROW(trainer::sliced_wasserstein(x.data(), 8, y.data(), 8, 1, 30, 30, bad), std::invalid_argument);
  bad.levels = 4;  // 32 -> 4x4 cannot hold a 7x7 patch
  EXPECT_THROW(trainer::sliced_wasserstein(x.data(), 8, y.data(), 8, 1, 32, 32, bad), std::invalid_argument);
  EXPECT_THROW(trainer::sliced_wasserstein(x.data(), 0, y.data(), 8, 1, 32, 32, {}), std::invalid_argument);
}

}  // namespace
