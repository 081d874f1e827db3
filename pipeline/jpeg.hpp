// libjpeg-turbo decoding through its libjpeg API: an owned decompressor, header probe, DCT-scaled decode of a
// band of rows.
//
// Pixels equal Pillow 9.4's own libjpeg-turbo decode at scale 1/1: Pillow leaves libjpeg's defaults
// (JDCT_ISLOW integer IDCT, fancy upsampling), and so do we. Both link the same Debian libjpeg62-turbo 2.1.5
// through the same API, so the samples are the same. The libjpeg API rather than TurboJPEG 2.1 because only it
// can skip rows (jpeg_skip_scanlines, libjpeg.txt "Skipping rows"): the centre crop never needs about a sixth of
// CelebA's rows, whose IDCT, upsampling and colour conversion are then not done at all.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "pipeline/rejected_input.hpp"

namespace pipeline {

// How the JPEG stores colour, which decides the output pixel format we ask libjpeg for.
enum class JpegColor {
  gray,   // one component (PIL mode "L")
  color,  // YCbCr or RGB (PIL mode "RGB")
  cmyk,   // CMYK or YCCK (PIL mode "CMYK", read with Adobe's inverted convention "CMYK;I")
};

struct JpegHeader {
  int width = 0;
  int height = 0;
  JpegColor color = JpegColor::color;
};

// A libjpeg-turbo DCT scaling factor num/den; scaled sizes round up, as TJSCALED does.
struct JpegScale {
  int num = 1;
  int den = 1;
  int apply(int dim) const { return static_cast<int>((static_cast<int64_t>(dim) * num + den - 1) / den); }
  bool operator==(const JpegScale&) const = default;
};

// The output pixel layout of a decode: bytes per pixel 1 (gray), 3 (RGB) or 4 (CMYK as stored in the file).
enum class JpegPixels { gray, rgb, cmyk };
int bytes_per_pixel(JpegPixels);

// The largest power-of-two reduction (1/8, 1/4, 1/2, else 1/1) that still leaves at least need_w x need_h
// pixels of a w x h image: the factors Pillow's Image.draft() picks from, all with SIMD IDCTs in libjpeg-turbo.
JpegScale choose_jpeg_scale(int w, int h, int need_w, int need_h);

// The output rows [begin, end) a decode must produce (scaled rows); end < 0 means to the last row.
struct JpegRows {
  int begin = 0;
  int end = -1;
};

struct JpegDecoderState;  // libjpeg's jpeg_decompress_struct, its error and progress managers, the messages (jpeg.cpp)

// One libjpeg decompressor. Not thread-safe: one per worker thread. Move-only.
class JpegDecoder {
 public:
  JpegDecoder();  // throws std::runtime_error if jpeg_create_decompress fails (out of memory)
  ~JpegDecoder();
  JpegDecoder(JpegDecoder&& o) noexcept;
  JpegDecoder& operator=(JpegDecoder&& o) noexcept;
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Reads the markers up to the frame header. Throws RejectedInput("corrupt JPEG header: ...") when they are
  // unreadable. After any failure the decompressor is replaced by a fresh one, so that no state of a bad file
  // can reach the next one.
  JpegHeader header(std::span<const uint8_t> bytes);

  // Decodes at `scale` into dst, an image of scale.apply(header.height) rows of `pitch` bytes, each holding
  // scale.apply(header.width) pixels of bytes_per_pixel(format) bytes; only the rows in `rows` are written (the
  // others are left as they were). `header` is header(bytes): when it was the last call on these same bytes, the
  // markers are not parsed again. Throws RejectedInput for truncated or corrupt data ("truncated JPEG: ...",
  // "corrupt JPEG data: ..."). The one warning libjpeg raises for files Pillow reads perfectly well, extraneous
  // bytes between markers, is accepted.
  //
  // Rows past rows.end are not entropy-decoded (that is most of their cost). A file cut short is still refused
  // whatever rows were asked for: one with no end-of-image marker after the data read is "truncated JPEG".
  // Damage confined to the rows past rows.end, which cannot change the rows returned, goes unnoticed.
  void decode(std::span<const uint8_t> bytes, const JpegHeader& header, JpegScale scale, JpegPixels format,
              uint8_t* dst, int pitch, JpegRows rows = {});

 private:
  std::unique_ptr<JpegDecoderState> st_;
};

}  // namespace pipeline
