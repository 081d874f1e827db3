// Tests of trainer::make_grid against torchvision's make_grid + save_image (golden), and of PNG encoding/writing.
#include "test_eval_support.hpp"
#include "trainer/image_grid.hpp"

#include <gtest/gtest.h>
#include <png.h>

#include "support/run.hpp"

#include <filesystem>
#include <stdexcept>

namespace {

namespace fs = std::filesystem;
using trainer::Rgb8Image;

// Decodes PNG bytes to 8-bit RGB with libpng's simplified API (an independent reader for the round trip).
Rgb8Image decode_png(const std::vector<uint8_t>& bytes) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()))
    throw std::runtime_error(std::string("png_image_begin_read_from_memory: ") + img.message);
  img.format = PNG_FORMAT_RGB;
  Rgb8Image out;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("png_image_finish_read: ") + img.message);
  return out;
}

std::vector<uint8_t> slurp_bytes(const fs::path& p) {
  const std::string s = testsupport::slurp(p);
  return {s.begin(), s.end()};
}

class GridGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(GridGolden, MatchesTorchvisionMakeGridAndSaveImage) {
  const h5::File f = evaltest::open_golden();
  const h5::Location g = f.group(std::string("grid/") + GetParam());
  std::vector<hsize_t> in_dims, out_dims;
  const auto input = h5::read<float>(g, "input", &in_dims);
  const auto expected = h5::read<uint8_t>(g, "output", &out_dims);
  const int nrow = static_cast<int>(h5::get_attr_int(g.id(), "nrow", f.file()));
  const bool normalize = h5::get_attr_int(g.id(), "normalize", f.file()) != 0;
  ASSERT_EQ(in_dims.size(), 4u);
  const Rgb8Image img = trainer::make_grid(input.data(), static_cast<int>(in_dims[0]), static_cast<int>(in_dims[1]),
                                           static_cast<int>(in_dims[2]), static_cast<int>(in_dims[3]), nrow, 2, normalize);
  ASSERT_EQ(static_cast<hsize_t>(img.height), out_dims[0]);
  ASSERT_EQ(static_cast<hsize_t>(img.width), out_dims[1]);
  ASSERT_EQ(img.pixels.size(), expected.size());
  size_t mismatches = 0, first = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    if (img.pixels[i] != expected[i] && mismatches++ == 0) first = i;
  EXPECT_EQ(mismatches, 0u) << "first at byte " << first << ": got " << int(img.pixels[first]) << ", torchvision "
                            << int(expected[first]);
}

INSTANTIATE_TEST_SUITE_P(Cases, GridGolden, ::testing::Values("rgb10", "gray5", "single", "raw", "tanh64", "rounding"));

TEST(Grid, LayoutOf64ImagesIs8x8WithTwoPixelPadding) {
  // 64 images of 64x64: 8 columns and rows of 66 pixels plus the leading 2: 530x530, as the tutorial's grids.
  std::vector<float> imgs(64 * 3 * 64 * 64);
  for (size_t i = 0; i < imgs.size(); ++i) imgs[i] = static_cast<float>((i * 7919) % 1000) / 500.0f - 1.0f;
  const Rgb8Image g = trainer::make_grid(imgs.data(), 64, 3, 64, 64);
  EXPECT_EQ(g.width, 530);
  EXPECT_EQ(g.height, 530);
  // Padding is black; the top-left pixel of image 9 (row 1, column 1) sits at (68, 68).
  EXPECT_EQ(g.pixels[0], 0);
  EXPECT_EQ(g.pixels[(67 * 530 + 67) * 3], 0);
  const float v = imgs[9 * 3 * 64 * 64];  // channel 0, (0, 0) of image 9
  const int expect = static_cast<int>((v + 1.0f) / (0.998f + 1.0f) * 255.0f + 0.5f);  // min -1, max 0.998
  EXPECT_NEAR(g.pixels[(68 * 530 + 68) * 3], expect, 1);
}

TEST(Grid, ConstantBatchDoesNotDivideByZero) {
  std::vector<float> imgs(4 * 3 * 5 * 5, 0.25f);
  const Rgb8Image g = trainer::make_grid(imgs.data(), 4, 3, 5, 5);
  for (uint8_t p : g.pixels) EXPECT_EQ(p, 0);  // (x - min) / 1e-5 = 0 everywhere
}

TEST(Grid, RejectsBadShapes) {
  std::vector<float> imgs(3 * 4 * 4);
  EXPECT_THROW(trainer::make_grid(imgs.data(), 0, 3, 4, 4), std::invalid_argument);
  EXPECT_THROW(trainer::make_grid(imgs.data(), 1, 2, 4, 4), std::invalid_argument);
  EXPECT_THROW(trainer::make_grid(imgs.data(), 1, 3, 4, 4, 0), std::invalid_argument);
  EXPECT_THROW(trainer::make_grid(imgs.data(), 1, 3, 4, 4, 8, -1), std::invalid_argument);
}

TEST(Png, EncodeDecodeRoundTripIsLossless) {
  Rgb8Image img;
  img.width = 37;
  img.height = 11;
  img.pixels.resize(37 * 11 * 3);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>((i * 31 + i / 7) & 0xff);
  const auto bytes = trainer::encode_png(img);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes[1], 'P');
  const Rgb8Image back = decode_png(bytes);
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 11);
  EXPECT_EQ(back.pixels, img.pixels);
}

TEST(Png, EncodeRejectsInconsistentImage) {
  Rgb8Image img;
  img.width = 4;
  img.height = 4;
  img.pixels.resize(10);
  EXPECT_THROW(trainer::encode_png(img), std::invalid_argument);
}

TEST(Png, WritePngIsAtomicAndReadable) {
  const fs::path dir = testsupport::fresh_dir("grid_png");
  std::vector<float> imgs(16 * 1 * 8 * 8);
  for (size_t i = 0; i < imgs.size(); ++i) imgs[i] = std::sin(static_cast<float>(i));
  const Rgb8Image g = trainer::make_grid(imgs.data(), 16, 1, 8, 8);
  const fs::path out = dir / "iter_0000000.png";
  trainer::write_png(out, g);
  const Rgb8Image back = decode_png(slurp_bytes(out));
  EXPECT_EQ(back.pixels, g.pixels);
  // Overwriting leaves only the final file (no temporaries beside it).
  trainer::write_png(out, g);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "iter_0000000.png");
  }
  EXPECT_EQ(files, 1);
}

TEST(Png, WritePngNamesThePathOnFailure) {
  Rgb8Image img{2, 2, std::vector<uint8_t>(12, 7)};
  const fs::path bad = fs::path(DCGAN_TEST_TMP) / "no_such_dir_for_png" / "x.png";
  try {
    trainer::write_png(bad, img);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_dir_for_png"), std::string::npos) << e.what();
  }
}

}  // namespace
