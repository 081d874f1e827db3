// libjpeg-turbo decoding through the TurboJPEG API: an owned handle, header probe, DCT-scaled decode.
//
// Pixels equal Pillow 9.4's own libjpeg-turbo decode at scale 1/1: Pillow leaves libjpeg's defaults
// (JDCT_ISLOW integer IDCT, fancy upsampling), and so do we (no TJFLAG_FASTDCT, no TJFLAG_FASTUPSAMPLE).
// Both link the same Debian libjpeg62-turbo 2.1.5, so the samples are the same.
#pragma once
#include <cstdint>
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

// One TurboJPEG decompressor. Not thread-safe: one per worker thread. Move-only.
class JpegDecoder {
 public:
  JpegDecoder();  // throws std::runtime_error if tjInitDecompress fails (out of memory)
  ~JpegDecoder();
  JpegDecoder(JpegDecoder&& o) noexcept;
  JpegDecoder& operator=(JpegDecoder&& o) noexcept;
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Reads the frame header only. Throws RejectedInput("corrupt JPEG header: ...") when it is unreadable.
  // After any failure the handle is replaced by a fresh one: TurboJPEG 2.1.5's tjDecompressHeader3 returns
  // from libjpeg's error longjmp without aborting the decompressor, which then stays mid-header and fails
  // every later file with the same message.
  JpegHeader header(std::span<const uint8_t> bytes);

  // Decodes at `scale` into dst: scale.apply(header.height) rows of `pitch` bytes, each holding
  // scale.apply(header.width) pixels of bytes_per_pixel(format) bytes. `header` is header(bytes), passed in so
  // the markers are not parsed twice. Throws RejectedInput for truncated or corrupt
  // data ("truncated JPEG: ...", "corrupt JPEG data: ..."). The one warning libjpeg raises for files Pillow
  // reads perfectly well, extraneous bytes between markers, is accepted.
  void decode(std::span<const uint8_t> bytes, const JpegHeader& header, JpegScale scale, JpegPixels format,
              uint8_t* dst, int pitch);

 private:
  // The message of the failed call, after which the handle is replaced (see header()).
  std::string fail_and_reset();

  void* handle_ = nullptr;  // tjhandle
};

}  // namespace pipeline
