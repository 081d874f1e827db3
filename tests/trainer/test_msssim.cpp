// Tests of MS-SSIM and MS-SSIM diversity: NumPy reference on the golden fixture, identities and properties.
#include "test_eval_support.hpp"
#include "trainer/msssim.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace {

constexpr size_t kImg = 3 * 64 * 64;

TEST(MsSsimGolden, MatchesNumPyReference) {
  const h5::File f = evaltest::open_golden();
  const auto a = evaltest::to_unit(h5::read<uint8_t>(f.group("swd"), "a"));
  const auto b = evaltest::to_unit(h5::read<uint8_t>(f.group("swd"), "b"));
  const auto expected = h5::read<double>(f.group("msssim"), "pairs_ab");
  ASSERT_EQ(expected.size(), 6u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_NEAR(trainer::ms_ssim(a.data() + i * kImg, b.data() + i * kImg, 3, 64, 64), expected[i], 1e-9)
        << "pair " << i;
  // The fixture spans noisy copies (~0.9), blends and an unrelated image (clipped to 0).
  EXPECT_GT(expected[0], 0.85);
  EXPECT_EQ(expected[5], 0.0);
  // One channel: channel 0 of a[0] against channel 0 of b[3].
  const auto gray = h5::read<double>(f.group("msssim"), "gray_expected");
  EXPECT_NEAR(trainer::ms_ssim(a.data(), b.data() + 3 * kImg, 1, 64, 64), gray.at(0), 1e-9);
}

// 32-px images have 4 scales (32, 16, 8, 4), the first four weights renormalized: against the NumPy reference on
// the fixture's pairs averaged 2x2.
TEST(MsSsimGolden, At32PixelsUsesFourScalesAsTheNumPyReference) {
  const h5::File f = evaltest::open_golden();
  const auto a = h5::read<float>(f.group("msssim"), "a32"), b = h5::read<float>(f.group("msssim"), "b32");
  const auto expected = h5::read<double>(f.group("msssim"), "pairs_ab_32");
  ASSERT_EQ(expected.size(), 6u);
  constexpr size_t img = 3 * 32 * 32;
  for (size_t i = 0; i < 6; ++i)
    EXPECT_NEAR(trainer::ms_ssim(a.data() + i * img, b.data() + i * img, 3, 32, 32), expected[i], 1e-9) << "pair " << i;
  EXPECT_EQ(trainer::ms_ssim_scales(32, 32), 4);
  EXPECT_EQ(trainer::ms_ssim_scales(64, 64), 5);
  EXPECT_EQ(trainer::ms_ssim_scales(256, 256), 5);
  EXPECT_NEAR(trainer::ms_ssim(a.data(), a.data(), 3, 32, 32), 1.0, 1e-12);
}

TEST(MsSsim, IdenticalImagesGiveOneAndItIsSymmetric) {
  const auto x = evaltest::smooth_images(2, 3, 64, 21);
  EXPECT_NEAR(trainer::ms_ssim(x.data(), x.data(), 3, 64, 64), 1.0, 1e-12);
  const double xy = trainer::ms_ssim(x.data(), x.data() + kImg, 3, 64, 64);
  const double yx = trainer::ms_ssim(x.data() + kImg, x.data(), 3, 64, 64);
  EXPECT_NEAR(xy, yx, 1e-12);
  EXPECT_LT(xy, 1.0);
}

TEST(MsSsim, FallsAsNoiseGrows) {
  const auto x = evaltest::smooth_images(1, 3, 64, 22);
  double prev = 1.0 + 1e-12;
  for (double sigma : {0.02, 0.05, 0.1, 0.2, 0.5}) {
    const auto y = evaltest::add_noise(x, sigma, 23);
    const double v = trainer::ms_ssim(x.data(), y.data(), 3, 64, 64);
    EXPECT_LT(v, prev) << "sigma " << sigma;
    EXPECT_GE(v, 0.0);
    prev = v;
  }
}

TEST(MsSsim, SmallAndOddSizesWork) {
  const auto x = evaltest::smooth_images(2, 3, 13, 24);
  const double v = trainer::ms_ssim(x.data(), x.data() + 3 * 13 * 13, 3, 13, 13);
  EXPECT_TRUE(std::isfinite(v));
  EXPECT_NEAR(trainer::ms_ssim(x.data(), x.data(), 3, 13, 13), 1.0, 1e-12);
  EXPECT_THROW(trainer::ms_ssim(x.data(), x.data(), 0, 13, 13), std::invalid_argument);
}

TEST(MsSsimDiversity, IdenticalSetIsOneAndVariedSetIsLower) {
  const auto varied = evaltest::smooth_images(10, 3, 64, 25);
  std::vector<float> copies;
  for (int i = 0; i < 10; ++i) copies.insert(copies.end(), varied.begin(), varied.begin() + kImg);
  EXPECT_NEAR(trainer::ms_ssim_diversity(copies.data(), 10, 3, 64, 64, 20, 1), 1.0, 1e-12);
  const double d = trainer::ms_ssim_diversity(varied.data(), 10, 3, 64, 64, 20, 1);
  EXPECT_LT(d, 0.9);
  // Asking for every pair (or more) averages all 45 pairs, whatever the seed.
  double all = 0;
  for (int i = 0; i < 10; ++i)
    for (int j = i + 1; j < 10; ++j) all += trainer::ms_ssim(varied.data() + i * kImg, varied.data() + j * kImg, 3, 64, 64);
  EXPECT_NEAR(trainer::ms_ssim_diversity(varied.data(), 10, 3, 64, 64, 45, 7), all / 45, 1e-12);
  EXPECT_NEAR(trainer::ms_ssim_diversity(varied.data(), 10, 3, 64, 64, 1000, 8), all / 45, 1e-12);
  // Same seed, same pairs.
  EXPECT_EQ(trainer::ms_ssim_diversity(varied.data(), 10, 3, 64, 64, 12, 3),
            trainer::ms_ssim_diversity(varied.data(), 10, 3, 64, 64, 12, 3));
  EXPECT_THROW(trainer::ms_ssim_diversity(varied.data(), 1, 3, 64, 64, 12, 3), std::invalid_argument);
  EXPECT_THROW(trainer::ms_ssim_diversity(varied.data(), 10, 3, 64, 64, 0, 3), std::invalid_argument);
}

}  // namespace
