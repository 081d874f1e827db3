// Pillow 9.4's colour conversions (libImaging/Convert.c), which PIL's convert('RGB') / convert('L') apply before
// torchvision's transforms: integer formulas, reproduced to the bit.
#pragma once
#include <cstdint>

namespace pipeline {

// convert('L') from RGB(A): ITU-R 601-2 luma in Pillow's 16-bit fixed point (Convert.c, L24 in rgb2l).
inline uint8_t pil_luma(const uint8_t* rgb) {
  return static_cast<uint8_t>((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
}

// Pillow's MULDIV255: a * b / 255, rounded, in integers.
inline int pil_muldiv255(int a, int b) {
  const int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

// A CMYK JPEG sample as libjpeg stores it -> RGB. PIL reads CMYK JPEGs with rawmode "CMYK;I" (Adobe's
// inverted convention, JpegImagePlugin), so C = 255 - raw; convert('RGB') is then cmyk2rgb:
// out = clip(nk - C * nk / 255) with nk = 255 - K = raw[3].
inline void pil_cmyk_inverted_to_rgb(const uint8_t* raw, uint8_t* rgb) {
  const int nk = raw[3];
  for (int i = 0; i < 3; ++i) {
    const int v = nk - pil_muldiv255(255 - raw[i], nk);
    rgb[i] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  }
}

}  // namespace pipeline
