// pipeline::JpegDecoder band decodes (JpegRows): the rows returned equal the same rows of a whole-image decode
// for every fixture JPEG (baseline 4:2:0 / 4:2:2 / 4:4:4, progressive, grey, CMYK, EXIF) at every DCT scale,
// for bands that start and end on and off iMCU-row boundaries; rows outside the band are not written; a file
// cut inside the rows never decoded is still refused as truncated.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "pipeline/jpeg.hpp"
#include "test_transform_fixture.hpp"

using pipeline::JpegDecoder;
using pipeline::JpegPixels;
using pipeline::JpegRows;
using pipeline::JpegScale;
namespace fx = transform_fixture;

namespace {

std::vector<std::string> jpeg_fixtures() {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(fx::dir() / "inputs"))
    if (e.path().extension() == ".jpg") v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

JpegPixels pixels_of(const pipeline::JpegHeader& h) {
  return h.color == pipeline::JpegColor::gray ? JpegPixels::gray
         : h.color == pipeline::JpegColor::cmyk ? JpegPixels::cmyk
                                                : JpegPixels::rgb;
}

TEST(JpegRows, BandsEqualTheSameRowsOfAWholeDecode) {
  const auto names = jpeg_fixtures();
  ASSERT_GE(names.size(), 30u);
  JpegDecoder dec;
  int bands_checked = 0;
  for (const auto& name : names) {
    const auto bytes = fx::read_file(fx::dir() / "inputs" / name);
    for (int den : {1, 2, 4, 8}) {
      const JpegScale scale{1, den};
      const auto h = dec.header(bytes);
      const JpegPixels fmt = pixels_of(h);
      const int w = scale.apply(h.width), ht = scale.apply(h.height), pitch = w * pipeline::bytes_per_pixel(fmt);
      std::vector<uint8_t> whole(static_cast<size_t>(pitch) * ht);
      dec.decode(bytes, h, scale, fmt, whole.data(), pitch);
      // Off-boundary starts and ends around the iMCU rows (8 or 16 rows at 1/1, fewer when scaled), one row,
      // the head, the tail.
      const std::vector<JpegRows> bands = {{0, 1},          {1, ht - 1},         {ht / 6, ht - ht / 6},
                                           {7, ht / 2 + 3}, {9, ht - 9},         {16, 17},
                                           {ht - 1, ht},    {ht / 3, ht / 3 + 1}, {0, ht / 2}};
      for (const JpegRows band : bands) {
        if (band.begin < 0 || band.end > ht || band.begin >= band.end) continue;
        std::vector<uint8_t> part(whole.size(), 0xA5);
        dec.decode(bytes, dec.header(bytes), scale, fmt, part.data(), pitch, band);
        for (int r = 0; r < ht; ++r) {
          const bool inside = r >= band.begin && r < band.end;
          const uint8_t* got = part.data() + static_cast<size_t>(r) * pitch;
          if (inside) {
            ASSERT_EQ(0, std::memcmp(got, whole.data() + static_cast<size_t>(r) * pitch, static_cast<size_t>(pitch)))
                << name << " at 1/" << den << ", band [" << band.begin << ", " << band.end << "), row " << r;
          } else {
            for (int x = 0; x < pitch; ++x)
              ASSERT_EQ(got[x], 0xA5) << name << " at 1/" << den << ": row " << r << " outside the band was written";
          }
        }
        ++bands_checked;
      }
    }
  }
  EXPECT_GT(bands_checked, 1000);
}

TEST(JpegRows, DecodeWithoutAFreshHeaderCallReadsTheMarkersItself) {
  const auto a = fx::read_file(fx::dir() / "inputs" / "celeba_000001.jpg");
  const auto b = fx::read_file(fx::dir() / "inputs" / "celeba_000002.jpg");
  JpegDecoder dec;
  const auto ha = dec.header(a);
  const auto hb = dec.header(b);  // the pending header is now b's
  std::vector<uint8_t> x(static_cast<size_t>(ha.width) * ha.height * 3), y(x.size());
  dec.decode(a, ha, {1, 1}, JpegPixels::rgb, x.data(), ha.width * 3);
  JpegDecoder fresh;
  fresh.decode(a, fresh.header(a), {1, 1}, JpegPixels::rgb, y.data(), ha.width * 3);
  EXPECT_EQ(x, y);
  EXPECT_THROW(dec.decode(a, pipeline::JpegHeader{hb.width + 1, hb.height, hb.color}, {1, 1}, JpegPixels::rgb,
                          x.data(), ha.width * 3),
               std::invalid_argument);
}

TEST(JpegRows, TruncationPastTheBandIsStillRefused) {
  const auto j = fx::read_file(fx::dir() / "inputs" / "celeba_000001.jpg");
  JpegDecoder dec;
  const auto h = dec.header(j);
  std::vector<uint8_t> img(static_cast<size_t>(h.width) * h.height * 3);
  // The first rows only: the entropy-coded data of the rest is never read.
  dec.decode(j, h, {1, 2}, JpegPixels::rgb, img.data(), h.width * 3, {0, 8});
  for (size_t keep : {j.size() - 2, j.size() - 100, j.size() * 3 / 4}) {
    std::vector<uint8_t> cut(j.begin(), j.begin() + static_cast<long>(keep));
    try {
      dec.decode(cut, dec.header(cut), {1, 2}, JpegPixels::rgb, img.data(), h.width * 3, {0, 8});
      ADD_FAILURE() << "a file cut to " << keep << " of " << j.size() << " bytes was accepted";
    } catch (const pipeline::RejectedInput& e) {
      EXPECT_NE(std::string(e.what()).find("truncated JPEG"), std::string::npos) << e.what();
    }
  }
  dec.decode(j, dec.header(j), {1, 2}, JpegPixels::rgb, img.data(), h.width * 3, {0, 8});  // still usable
}

}  // namespace
