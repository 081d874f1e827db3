// PNG decoding with libpng (see png.hpp). libpng reports errors by longjmp: every libpng call that can fail
// runs inside one of the small "phase" functions below, whose frames hold only trivially destructible
// locals, so a longjmp never skips a C++ destructor. The C++ caller turns a failed phase into an exception.
#include "pipeline/png.hpp"

#include <png.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <csetjmp>
#include <stdexcept>
#include <string>

namespace pipeline {
namespace {

constexpr size_t kSignatureBytes = 8;

// What the read callback and the error callback share with the C++ side.
struct ReadState {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  bool truncated = false;
  char message[256] = {};
};

void read_bytes(png_structp png, png_bytep out, size_t n) {
  auto* s = static_cast<ReadState*>(png_get_io_ptr(png));
  if (n > s->size - s->pos) {
    s->truncated = true;
    png_error(png, "unexpected end of file");
  }
  std::memcpy(out, s->data + s->pos, n);
  s->pos += n;
}

[[noreturn]] void on_error(png_structp png, png_const_charp msg) {
  auto* s = static_cast<ReadState*>(png_get_error_ptr(png));
  std::snprintf(s->message, sizeof s->message, "%s", msg ? msg : "unknown libpng error");
  png_longjmp(png, 1);
}

// Warnings (bad ancillary-chunk CRCs, unknown chunks, ...) do not stop Pillow either.
void on_warning(png_structp, png_const_charp) {}

// Owns the png_struct and png_info of one decode.
struct PngRead {
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngRead(const PngRead&) = delete;
  PngRead& operator=(const PngRead&) = delete;
  explicit PngRead(ReadState* state) {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    if (!png) throw std::runtime_error("libpng: png_create_read_struct failed (out of memory or libpng mismatch)");
    info = png_create_info_struct(png);
    if (!info) {
      png_destroy_read_struct(&png, nullptr, nullptr);
      throw std::runtime_error("libpng: png_create_info_struct failed (out of memory)");
    }
    png_set_read_fn(png, state, read_bytes);
  }
  ~PngRead() { png_destroy_read_struct(&png, &info, nullptr); }
};

struct Layout {
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int bit_depth = 0;
  int color_type = 0;
  int channels = 0;  // after the transforms
  size_t rowbytes = 0;
  bool grey16 = false;  // 16-bit grey kept at 16 bits, clipped to 8 after reading (Pillow's "I" -> RGB/L)
};

// Phase 1: signature and chunks up to the first IDAT. Returns false after a libpng error.
bool phase_read_info(png_structp png, png_infop info, Layout* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->bit_depth = png_get_bit_depth(png, info);
  out->color_type = png_get_color_type(png, info);
  return true;
}

// Phase 2: the transforms that turn the stored samples into Pillow's 8-bit modes.
bool phase_set_transforms(png_structp png, png_infop info, Layout* io) {
  if (setjmp(png_jmpbuf(png))) return false;
  io->grey16 = io->bit_depth == 16 && io->color_type == PNG_COLOR_TYPE_GRAY;
  if (io->color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (io->color_type == PNG_COLOR_TYPE_GRAY && io->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (io->bit_depth == 16 && !io->grey16) png_set_strip_16(png);
  (void)png_set_interlace_handling(png);
  png_read_update_info(png, info);
  io->channels = png_get_channels(png, info);
  io->rowbytes = png_get_rowbytes(png, info);
  return true;
}

// Phase 3: the pixel rows.
bool phase_read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  return true;
}

[[noreturn]] void reject(const ReadState& s) {
  if (s.truncated) throw RejectedInput(std::string("truncated PNG: ") + s.message);
  throw RejectedInput(std::string("corrupt PNG: ") + s.message);
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// The chunks png_read_info reads (those before the first IDAT) must each fit in the bytes that follow: libpng
// (1.6.39) allocates a text chunk's declared length before reading it, so a 64-byte file declaring a 1.9 GB tEXt
// chunk cost 1.9 GB. Such a file is truncated, and refused as libpng would refuse it, before anything is allocated.
void check_chunk_lengths(std::span<const uint8_t> bytes) {
  size_t at = kSignatureBytes;
  while (bytes.size() - at >= 8) {
    const uint32_t length = be32(bytes.data() + at);
    std::string type(reinterpret_cast<const char*>(bytes.data() + at + 4), 4);
    if (type == "IDAT") return;
    if (uint64_t{length} + 12 > bytes.size() - at) {
      for (char& c : type) c = std::isalpha(static_cast<unsigned char>(c)) ? c : '?';
      throw RejectedInput("truncated PNG: chunk '" + type + "' declares " + std::to_string(length) + " bytes, " +
                          std::to_string(bytes.size() - at - 8) + " follow its header");
    }
    at += 12 + size_t{length};
  }
}

}  // namespace

bool is_png(std::span<const uint8_t> bytes) {
  return bytes.size() >= kSignatureBytes && png_sig_cmp(bytes.data(), 0, kSignatureBytes) == 0;
}

PngHeader png_header(std::span<const uint8_t> bytes) {
  // Signature (8), then the IHDR chunk: length (4) "IHDR" (4) width (4) height (4) ...
  if (!is_png(bytes)) throw RejectedInput("not a PNG file (bad signature)");
  if (bytes.size() < 24) throw RejectedInput("truncated PNG: file ends inside the IHDR chunk");
  if (std::memcmp(bytes.data() + 12, "IHDR", 4) != 0) throw RejectedInput("corrupt PNG: first chunk is not IHDR");
  const uint32_t w = be32(bytes.data() + 16), h = be32(bytes.data() + 20);
  if (w == 0 || h == 0 || w > 0x7fffffffu || h > 0x7fffffffu)
    throw RejectedInput("corrupt PNG: IHDR declares size " + std::to_string(w) + "x" + std::to_string(h));
  return {static_cast<int>(w), static_cast<int>(h)};
}

PngImage decode_png(std::span<const uint8_t> bytes, int64_t max_pixels, std::vector<uint8_t>& pixels) {
  const PngHeader hd = png_header(bytes);
  if (static_cast<int64_t>(hd.width) * hd.height > max_pixels)
    throw RejectedInput("PNG declares " + std::to_string(hd.width) + "x" + std::to_string(hd.height) + " = " +
                        std::to_string(static_cast<int64_t>(hd.width) * hd.height) +
                        " pixels, more than --max-pixels " + std::to_string(max_pixels));
  check_chunk_lengths(bytes);
  ReadState state;
  state.data = bytes.data();
  state.size = bytes.size();
  PngRead rd(&state);
  Layout lay;
  if (!phase_read_info(rd.png, rd.info, &lay)) reject(state);
  if (!phase_set_transforms(rd.png, rd.info, &lay)) reject(state);
  if (lay.channels < 1 || lay.channels > 4)
    throw RejectedInput("corrupt PNG: unsupported layout with " + std::to_string(lay.channels) + " channels");
  const size_t h = lay.height, w = lay.width;
  const size_t packed = w * lay.channels;  // bytes per output row
  pixels.resize(std::max(packed, lay.rowbytes) * h);
  // Rows are read at libpng's row size; 16-bit grey rows (2 bytes/sample) are then narrowed in place, which
  // is why the buffer is laid out with libpng's row pitch first.
  std::vector<png_bytep> rows(h);
  for (size_t y = 0; y < h; ++y) rows[y] = pixels.data() + y * lay.rowbytes;
  if (!phase_read_rows(rd.png, rows.data())) reject(state);
  if (lay.grey16) {
    // Pillow opens 16-bit grey as mode "I"; convert('RGB'/'L') clips each value to 0..255.
    for (size_t y = 0; y < h; ++y) {
      const uint8_t* in = rows[y];
      uint8_t* out = pixels.data() + y * packed;
      for (size_t x = 0; x < w; ++x) {
        const unsigned v = (unsigned(in[2 * x]) << 8) | in[2 * x + 1];
        out[x] = static_cast<uint8_t>(v > 255 ? 255 : v);
      }
    }
  } else if (lay.rowbytes != packed) {
    for (size_t y = 1; y < h; ++y) std::memmove(pixels.data() + y * packed, rows[y], packed);
  }
  return {static_cast<int>(w), static_cast<int>(h), lay.channels};
}

}  // namespace pipeline
