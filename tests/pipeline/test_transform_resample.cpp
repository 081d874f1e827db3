// pipeline::Resampler (the SIMD, crop-restricted kernel) against resample_reference (Pillow's two full passes,
// scalar, then the crop) on random images, sizes, crops, pixel layouts and fractional boxes; and Pillow's
// coefficients checked by hand on a small case.
#include <gtest/gtest.h>

#include <random>

#include "pipeline/resample.hpp"

using pipeline::AxisFilter;
using pipeline::bilinear_axis;
using pipeline::ResampleSpec;
using pipeline::Resampler;

namespace {

// Pillow's precompute_coeffs for 4 -> 2 (scale 2, support 2): output 0 is centred at 1.0 and reads inputs 0..2
// with triangle weights 0.75, 0.75, 0.25 (normalised by 1.75): 3/7, 3/7, 1/7 in 22-bit fixed point, rounded.
TEST(BilinearAxis, MatchesPillowCoefficientsWorkedByHand) {
  const AxisFilter f = bilinear_axis(4, 0.0f, 4.0f, 2);
  EXPECT_EQ(f.ksize, 5);
  ASSERT_EQ(f.first.size(), 2u);
  EXPECT_EQ(f.first[0], 0);
  EXPECT_EQ(f.count[0], 3);
  EXPECT_EQ(f.coeff[0], 1797559);  // round(3/7 * 2^22) = round(1797558.86)
  EXPECT_EQ(f.coeff[1], 1797559);
  EXPECT_EQ(f.coeff[2], 599186);  // round(1/7 * 2^22) = round(599186.29)
  EXPECT_EQ(f.first[1], 1);       // centre 3.0: int(3 - 2 + 0.5) = 1, int(3 + 2 + 0.5) = 5 clipped to 4
  EXPECT_EQ(f.count[1], 3);
}

TEST(BilinearAxis, SameSizeIsTheIdentity) {
  const AxisFilter f = bilinear_axis(7, 0.0f, 7.0f, 7);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(f.first[i], i);
    EXPECT_EQ(f.coeff[static_cast<size_t>(i) * f.ksize], 1 << 22);
    if (f.count[i] > 1) {
      EXPECT_EQ(f.coeff[static_cast<size_t>(i) * f.ksize + 1], 0);
    }
  }
}

std::vector<uint8_t> run_kernel(const ResampleSpec& s, const std::vector<uint8_t>& src, size_t stride) {
  const Resampler r(s);
  std::vector<uint8_t> dst(static_cast<size_t>(s.out_w) * s.channels * s.out_h, 0xEE), scratch;
  r.run(src.data(), stride, dst.data(), static_cast<size_t>(s.out_w) * s.channels, scratch);
  return dst;
}

std::vector<uint8_t> run_reference(const ResampleSpec& s, const std::vector<uint8_t>& src, size_t stride) {
  std::vector<uint8_t> dst(static_cast<size_t>(s.out_w) * s.channels * s.out_h, 0x11);
  pipeline::resample_reference(s, src.data(), stride, dst.data(), static_cast<size_t>(s.out_w) * s.channels);
  return dst;
}

TEST(Resampler, EqualsReferenceOnRandomSpecs) {
  std::mt19937 rng(2024);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int layouts[][2] = {{1, 1}, {2, 1}, {3, 3}, {4, 3}, {4, 4}, {3, 1}};
  int simd_blocks = 0;
  for (int iter = 0; iter < 300; ++iter) {
    ResampleSpec s;
    s.in_w = uni(1, 260);
    s.in_h = uni(1, 260);
    // Mostly downscales (like CelebA), some upscales and same-size axes.
    s.resized_w = iter % 7 == 0 ? s.in_w : uni(1, std::max(1, iter % 5 == 0 ? 300 : s.in_w));
    s.resized_h = iter % 11 == 0 ? s.in_h : uni(1, std::max(1, iter % 5 == 0 ? 300 : s.in_h));
    s.box_w = static_cast<float>(s.in_w);
    s.box_h = static_cast<float>(s.in_h);
    if (iter % 4 == 1) {  // a fractional box, as after a DCT-scaled decode whose size rounded up
      s.box_w = std::max(0.5f, s.in_w - 0.5f);
      s.box_h = std::max(0.5f, s.in_h - 0.375f);
    }
    s.out_w = uni(1, s.resized_w);
    s.out_h = uni(1, s.resized_h);
    s.left = uni(0, s.resized_w - s.out_w);
    s.top = uni(0, s.resized_h - s.out_h);
    const auto& lay = layouts[iter % 6];
    s.bpp = lay[0];
    s.channels = lay[1];
    const size_t stride = static_cast<size_t>(s.in_w) * s.bpp + (iter % 3) * 5;  // padded rows too
    std::vector<uint8_t> src(stride * s.in_h);
    for (auto& b : src) b = static_cast<uint8_t>(rng());
    if (iter % 2) {  // smooth content as well as noise
      for (int y = 0; y < s.in_h; ++y)
        for (size_t x = 0; x < stride; ++x) src[y * stride + x] = static_cast<uint8_t>((x * 7 + y * 3) & 0xFF);
    }
    const Resampler r(s);
    simd_blocks += r.simd_fraction() > 0;
    ASSERT_EQ(run_kernel(s, src, stride), run_reference(s, src, stride))
        << "iter " << iter << ": " << s.in_w << "x" << s.in_h << " box " << s.box_w << "x" << s.box_h << " -> "
        << s.resized_w << "x" << s.resized_h << " crop " << s.out_w << "x" << s.out_h << "+" << s.left << "+"
        << s.top << " bpp " << s.bpp << " ch " << s.channels;
  }
#if defined(__AVX512VBMI__)
  EXPECT_GT(simd_blocks, 200);  // the vector kernel, not only its scalar fallback, was compared
#endif
}

// The CelebA plans (178x218 at full size and at DCT scale 1/2, to 64x78, crop 64x64) read only the rows the
// crop needs, and run entirely in the vector kernel when it is compiled in.
TEST(Resampler, CelebaPlansAreCropRestrictedAndVectorised) {
  for (int scale : {1, 2}) {
    ResampleSpec s;
    s.in_w = 178 / scale;
    s.in_h = 218 / scale;
    s.box_w = static_cast<float>(s.in_w);
    s.box_h = static_cast<float>(s.in_h);
    s.resized_w = 64;
    s.resized_h = 78;
    s.left = 0;
    s.top = 7;
    s.out_w = s.out_h = 64;
    const Resampler r(s);
    EXPECT_GT(r.first_row(), 0) << "scale 1/" << scale;
    EXPECT_LT(r.end_row(), s.in_h) << "scale 1/" << scale;
#if defined(__AVX512VBMI__)
    EXPECT_EQ(r.simd_fraction(), 1.0);
#endif
  }
}

TEST(Resampler, RejectsInconsistentSpecs) {
  ResampleSpec s{10, 10, 10.f, 10.f, 5, 5, 0, 0, 5, 5, 3, 3};
  EXPECT_NO_THROW(Resampler{s});
  auto bad = s;
  bad.left = 1;
  EXPECT_THROW(Resampler{bad}, std::invalid_argument);
  bad = s;
  bad.channels = 4;
  EXPECT_THROW(Resampler{bad}, std::invalid_argument);
  bad = s;
  bad.box_w = 0;
  EXPECT_THROW(Resampler{bad}, std::invalid_argument);
}

}  // namespace
