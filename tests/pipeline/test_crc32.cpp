// pipeline::crc32_update against zlib's crc32 (the plain reference): every length 0..300 and long buffers, at
// every alignment, from zero and random starting CRCs, and chained over pieces.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <random>
#include <vector>

#include "pipeline/crc32.hpp"

namespace {

uint32_t zlib_crc(uint32_t crc, const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32(crc, p, static_cast<uInt>(n)));
}

TEST(Crc32, EqualsZlibForEveryLengthAlignmentAndStart) {
  std::mt19937 rng(3);
  std::vector<uint8_t> buf(70000);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  EXPECT_EQ(pipeline::crc32_update(0, {}), 0u);
  for (size_t len = 0; len <= 300; ++len)
    for (size_t off = 0; off < 16; ++off) {
      const uint32_t start = off % 2 ? static_cast<uint32_t>(rng()) : 0u;
      ASSERT_EQ(pipeline::crc32_update(start, {buf.data() + off, len}), zlib_crc(start, buf.data() + off, len))
          << "length " << len << ", offset " << off;
    }
  for (size_t len : {12288u, 12289u, 65536u + 15u, 69000u}) {
    const uint32_t start = static_cast<uint32_t>(rng());
    EXPECT_EQ(pipeline::crc32_update(start, {buf.data() + 1, len}), zlib_crc(start, buf.data() + 1, len)) << len;
  }
}

TEST(Crc32, ChainsLikeZlib) {
  std::vector<uint8_t> buf(5000);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * 131 + 7);
  uint32_t c = 0;
  for (size_t at = 0, piece = 1; at < buf.size(); at += piece, piece = piece * 3 % 701 + 1)
    c = pipeline::crc32_update(c, {buf.data() + at, std::min(piece, buf.size() - at)});
  EXPECT_EQ(c, zlib_crc(0, buf.data(), buf.size()));
  EXPECT_EQ(pipeline::crc32_update(0, {reinterpret_cast<const uint8_t*>("123456789"), 9}), 0xCBF43926u);  // check value
}

}  // namespace
