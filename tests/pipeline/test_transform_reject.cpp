// pipeline::Transform on inputs that cannot become samples: each class is a RejectedInput with a reason a person
// can read, a declared size over --max-pixels is refused before anything is allocated, bad options are
// std::invalid_argument naming the option, and a Transform keeps working after a rejection.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "pipeline/transform.hpp"
#include "test_transform_fixture.hpp"

using pipeline::RejectedInput;
using pipeline::ResizeMode;
using pipeline::Transform;
using pipeline::TransformOptions;
namespace fx = transform_fixture;

namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<uint8_t> fixture(const std::string& name) { return fx::read_file(fx::dir() / "inputs" / name); }

// The reason Transform gives for `bytes`, or "accepted" when it decodes.
std::string reason(Transform& t, const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> out(t.output_elems());
  try {
    t.encoded(bytes, out.data());
  } catch (const RejectedInput& e) {
    return e.what();
  }
  return "accepted";
}

// Offset of the first SOFn marker's height field in a JPEG (SOF: FF C0..C2, length(2), precision(1), h(2), w(2)).
size_t sof_size_offset(const std::vector<uint8_t>& j) {
  for (size_t i = 2; i + 9 < j.size(); ++i)
    if (j[i] == 0xFF && (j[i + 1] == 0xC0 || j[i + 1] == 0xC1 || j[i + 1] == 0xC2)) return i + 5;
  return 0;
}

class TransformReject : public ::testing::TestWithParam<ResizeMode> {
 protected:
  Transform t{TransformOptions{64, 3, GetParam()}};
};

TEST_P(TransformReject, ZeroByteFile) { EXPECT_NE(reason(t, {}).find("empty file (0 bytes)"), std::string::npos); }

TEST_P(TransformReject, TruncatedJpeg) {
  auto j = fixture("celeba_000001.jpg");
  for (size_t keep : {j.size() / 2, j.size() - 200, j.size() - 2}) {
    std::vector<uint8_t> cut(j.begin(), j.begin() + static_cast<long>(keep));
    EXPECT_NE(reason(t, cut).find("truncated JPEG"), std::string::npos) << "kept " << keep << " of " << j.size();
  }
  // Cut inside the header: no frame, no image.
  std::vector<uint8_t> head(j.begin(), j.begin() + 40);
  EXPECT_NE(reason(t, head).find("JPEG"), std::string::npos) << reason(t, head);
  EXPECT_NE(reason(t, head), "accepted");
}

TEST_P(TransformReject, TruncatedProgressiveJpeg) {
  auto j = fixture("progressive.jpg");
  std::vector<uint8_t> cut(j.begin(), j.begin() + static_cast<long>(j.size() * 2 / 3));
  EXPECT_NE(reason(t, cut).find("truncated JPEG"), std::string::npos) << reason(t, cut);
}

TEST_P(TransformReject, GarbageBytesWithAJpegName) {
  std::mt19937 rng(7);
  std::vector<uint8_t> junk(5000);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  junk[0] = 0x42;  // not FF D8 / not the PNG signature
  const std::string r = reason(t, junk);
  EXPECT_NE(r.find("not a JPEG or PNG image (5000 bytes starting with 42"), std::string::npos) << r;
}

TEST_P(TransformReject, JpegSignatureFollowedByGarbage) {
  std::mt19937 rng(9);
  std::vector<uint8_t> junk(3000);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  junk[0] = 0xFF;
  junk[1] = 0xD8;
  const std::string r = reason(t, junk);
  EXPECT_NE(r, "accepted");
  EXPECT_NE(r.find("JPEG"), std::string::npos) << r;
}

TEST_P(TransformReject, HtmlPageSavedAsJpeg) {
  const auto html = bytes_of(
      "\n<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head>"
      "<body>Too many users have viewed or downloaded this file recently.</body></html>\n");
  const std::string r = reason(t, html);
  EXPECT_NE(r.find("HTML page"), std::string::npos) << r;
}

TEST_P(TransformReject, CorruptJpegEntropyData) {
  // Overwrite a stretch of the entropy-coded data with a restart marker libjpeg does not expect there.
  auto j = fixture("celeba_000002.jpg");
  const size_t at = j.size() / 2;
  for (size_t i = 0; i < 64; i += 2) {
    j[at + i] = 0xFF;
    j[at + i + 1] = 0xD3;
  }
  const std::string r = reason(t, j);
  EXPECT_NE(r.find("corrupt JPEG data"), std::string::npos) << r;
}

TEST_P(TransformReject, ExtraneousBytesBeforeAMarkerAreAcceptedAsPillowDoes) {
  // Camera files often carry junk before EOI; libjpeg warns, Pillow decodes normally, so do we (same pixels).
  auto j = fixture("celeba_000003.jpg");
  ASSERT_EQ(j[j.size() - 2], 0xFF);
  auto padded = j;
  padded.insert(padded.end() - 2, {0x12, 0x34, 0x56});
  std::vector<uint8_t> a(t.output_elems()), b(t.output_elems());
  t.encoded(j, a.data());
  ASSERT_EQ(reason(t, padded), "accepted");
  t.encoded(padded, b.data());
  EXPECT_EQ(a, b);
}

TEST_P(TransformReject, JpegBombIsRefusedBeforeAllocating) {
  // A real file whose SOF claims 65000 x 65000: decoding it would need 12.7 GB. The refusal must come from
  // the header, as RejectedInput naming --max-pixels (an attempted allocation would be std::bad_alloc).
  auto j = fixture("celeba_000001.jpg");
  const size_t off = sof_size_offset(j);
  ASSERT_GT(off, 0u);
  j[off] = j[off + 2] = 0xFD;
  j[off + 1] = j[off + 3] = 0xE8;
  const std::string r = reason(t, j);
  EXPECT_NE(r.find("65000x65000"), std::string::npos) << r;
  EXPECT_NE(r.find("--max-pixels 50000000"), std::string::npos) << r;
}

TEST_P(TransformReject, MaxPixelsBoundIsInclusive) {
  const auto j = fixture("celeba_000001.jpg");  // 178 x 218 = 38804 pixels
  Transform at(TransformOptions{64, 3, GetParam(), 178 * 218});
  Transform below(TransformOptions{64, 3, GetParam(), 178 * 218 - 1});
  EXPECT_EQ(reason(at, j), "accepted");
  EXPECT_NE(reason(below, j).find("--max-pixels 38803"), std::string::npos);
  const auto p = fixture("rgba.png");  // 81 x 61
  Transform png_below(TransformOptions{64, 3, GetParam(), 81 * 61 - 1});
  EXPECT_NE(reason(png_below, p).find("PNG declares 81x61"), std::string::npos) << reason(png_below, p);
}

TEST_P(TransformReject, PngBombIsRefusedBeforeAllocating) {
  auto p = fixture("palette.png");
  // IHDR width and height at bytes 16..23; the CRC no longer matches, but the size check comes first.
  const uint8_t big[8] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};  // 65536 x 65536
  std::memcpy(p.data() + 16, big, 8);
  const std::string r = reason(t, p);
  EXPECT_NE(r.find("65536x65536"), std::string::npos) << r;
  EXPECT_NE(r.find("--max-pixels"), std::string::npos) << r;
}

TEST_P(TransformReject, TruncatedAndCorruptPng) {
  const auto p = fixture("rgba.png");
  std::vector<uint8_t> cut(p.begin(), p.begin() + static_cast<long>(p.size() / 2));
  EXPECT_NE(reason(t, cut).find("truncated PNG"), std::string::npos) << reason(t, cut);
  std::vector<uint8_t> header_only(p.begin(), p.begin() + 20);
  EXPECT_NE(reason(t, header_only).find("truncated PNG"), std::string::npos) << reason(t, header_only);
  auto bad = p;
  for (size_t i = bad.size() / 2; i < bad.size() / 2 + 32; ++i) bad[i] ^= 0x5A;  // inside IDAT: CRC/zlib error
  EXPECT_NE(reason(t, bad).find("corrupt PNG"), std::string::npos) << reason(t, bad);
}

// Found by fuzz_png (tests/fuzz/regressions/png/): 59 bytes whose tRNS chunk declares 1.95 GB. libpng allocated a
// chunk's declared length before reading it; the decoder now refuses a chunk longer than the bytes that follow,
// naming it, before libpng sees the file (before the fix the reason was libpng's, after a 1.95 GB allocation).
TEST_P(TransformReject, PngChunkLongerThanTheFileIsRefusedBeforeAllocating) {
  const auto p = fx::read_file(std::filesystem::path(DCGAN_SOURCE_DIR) /
                               "tests/fuzz/regressions/png/text_chunk_declares_1951551059_bytes.png");
  const std::string r = reason(t, p);
  EXPECT_NE(r.find("truncated PNG: chunk"), std::string::npos) << r;
  EXPECT_NE(r.find("declares 1951551059 bytes"), std::string::npos) << r;
}

TEST_P(TransformReject, TransformStillWorksAfterRejections) {
  const auto good = fixture("celeba_000005.jpg");
  std::vector<uint8_t> before(t.output_elems()), after(t.output_elems());
  t.encoded(good, before.data());
  std::vector<uint8_t> cut(good.begin(), good.begin() + 3000);
  EXPECT_NE(reason(t, cut), "accepted");
  EXPECT_NE(reason(t, fixture("gray16.png")), "");  // a different size and format in between
  auto bad = fixture("rgba.png");
  bad.resize(bad.size() / 3);
  EXPECT_NE(reason(t, bad), "accepted");
  t.encoded(good, after.data());
  EXPECT_EQ(before, after);
  // A header libjpeg gives up on mid-marker: TurboJPEG 2.1.5 leaves its handle mid-header after this one, and
  // without a fresh handle every later file failed with the same "Unsupported marker type" message.
  auto broken = good;
  for (size_t i = 2; i < 600; ++i) broken[i] = static_cast<uint8_t>(i * 7);
  EXPECT_NE(reason(t, broken).find("corrupt JPEG header"), std::string::npos) << reason(t, broken);
  EXPECT_EQ(reason(t, good), "accepted");
  std::fill(after.begin(), after.end(), 0);
  t.encoded(good, after.data());
  EXPECT_EQ(before, after);
  EXPECT_THROW(pipeline::probe_header(broken), RejectedInput);
  EXPECT_EQ(pipeline::probe_header(good).width, 178);  // its thread's decoder recovered too
}

INSTANTIATE_TEST_SUITE_P(Modes, TransformReject, ::testing::Values(ResizeMode::fast, ResizeMode::exact),
                         [](const auto& i) { return i.param == ResizeMode::fast ? "fast" : "exact"; });

TEST(TransformOptions, BadValuesNameTheOption) {
  auto message = [](TransformOptions o) -> std::string {
    try {
      Transform t(o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_NE(message({0, 3}).find("--size"), std::string::npos);
  EXPECT_NE(message({-5, 3}).find("--size"), std::string::npos);
  EXPECT_NE(message({64, 2}).find("--channels"), std::string::npos);
  EXPECT_NE(message({64, 4}).find("--channels"), std::string::npos);
  EXPECT_NE(message({64, 3, ResizeMode::fast, 0}).find("--max-pixels"), std::string::npos);
  EXPECT_EQ(message({64, 1, ResizeMode::exact, 1}), "accepted");
  Transform t({48, 1});
  EXPECT_EQ(t.output_elems(), 48u * 48u);
  EXPECT_EQ(t.options().size, 48);
}

TEST(TransformPixels, BadArgumentsAreInvalidArgument) {
  Transform t({64, 3});
  std::vector<uint8_t> src(100), dst(t.output_elems());
  EXPECT_THROW(t.pixels(src.data(), 10, 10, 5, dst.data()), std::invalid_argument);
  EXPECT_THROW(t.pixels(src.data(), 0, 10, 1, dst.data()), std::invalid_argument);
  EXPECT_THROW(t.pixels(nullptr, 10, 10, 1, dst.data()), std::invalid_argument);
  std::vector<float> f(t.output_elems());
  EXPECT_THROW(t.pixels(src.data(), 10, 10, 1, f.data(), 0.5f, 0.0f), std::invalid_argument);
}

TEST(TransformPixels, ExtremeAspectRatioIsRejectedThinImagesAreNot) {
  Transform t({64, 3});
  std::vector<uint8_t> dst(t.output_elems());
  std::vector<uint8_t> line(20000, 128);  // 20000 x 1: Resize(64) would be 1,280,000 x 64
  try {
    t.pixels(line.data(), 20000, 1, 1, dst.data());
    ADD_FAILURE() << "accepted";
  } catch (const RejectedInput& e) {
    EXPECT_NE(std::string(e.what()).find("extreme aspect ratio"), std::string::npos) << e.what();
  }
  t.pixels(line.data(), 300, 1, 1, dst.data());  // 19200 x 64, centre-cropped: a flat grey image
  for (uint8_t v : dst) ASSERT_EQ(v, 128);
}

TEST(ProbeHeader, ReportsFormatAndSizeWithoutDecoding) {
  const auto j = pipeline::probe_header(fixture("landscape_251x163.jpg"));
  EXPECT_EQ(j.format, pipeline::ImageFormat::jpeg);
  EXPECT_EQ(j.width, 251);
  EXPECT_EQ(j.height, 163);
  const auto p = pipeline::probe_header(fixture("gray_alpha.png"));
  EXPECT_EQ(p.format, pipeline::ImageFormat::png);
  EXPECT_EQ(p.width, 66);
  EXPECT_EQ(p.height, 90);
  EXPECT_THROW(pipeline::probe_header(bytes_of("<html></html>")), RejectedInput);
  EXPECT_THROW(pipeline::probe_header({}), RejectedInput);
}

}  // namespace
