// PNG decoding with libpng, to the 8-bit pixels Pillow 9.4 holds after Image.open() (before any convert()).
//
// Pillow's PngImagePlugin modes decide the rules we reproduce:
//   1/2/4-bit grey -> "L" scaled to 0..255 (libpng's expand_gray_1_2_4_to_8 scales the same way);
//   16-bit grey    -> "I" (0..65535), which convert('RGB'/'L') clips to 255: we clip the same;
//   other 16-bit   -> the high byte ("RGB;16B", "RGBA;16B", "LA;16B"), as png_set_strip_16 does;
//   palette        -> expanded through PLTE (convert('RGB') looks the palette up); alpha and tRNS are kept
//                     as a 2nd/4th channel that callers ignore, since convert('RGB') drops alpha unblended.
// No gamma, sBIT or colour-management transforms: Pillow applies none.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "pipeline/rejected_input.hpp"

namespace pipeline {

struct PngHeader {
  int width = 0;
  int height = 0;
};

// True when the bytes start with the 8-byte PNG signature.
bool is_png(std::span<const uint8_t> bytes);

// Reads IHDR without decoding. Throws RejectedInput when it is missing or malformed.
PngHeader png_header(std::span<const uint8_t> bytes);

// Decoded 8-bit pixels, rows packed: [height, width, channels].
struct PngImage {
  int width = 0;
  int height = 0;
  int channels = 0;  // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
};

// Decodes into `pixels` (resized to fit; its capacity is reused across calls). A declared size above
// max_pixels is refused before anything is allocated. Throws RejectedInput("truncated PNG: ...",
// "corrupt PNG: ...") for damaged files; libpng's error longjmp never leaves this file.
PngImage decode_png(std::span<const uint8_t> bytes, int64_t max_pixels, std::vector<uint8_t>& pixels);

}  // namespace pipeline
