// libjpeg-turbo decoding through the TurboJPEG API (see jpeg.hpp).
#include "pipeline/jpeg.hpp"

#include <turbojpeg.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace pipeline {
namespace {

// TurboJPEG's message for the last call on `h`; its error strings are per handle in 2.1.
std::string tj_message(tjhandle h) {
  const char* m = tjGetErrorStr2(h);
  return m ? std::string(m) : std::string("unknown TurboJPEG error");
}

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

// libjpeg reports running out of data as "Premature end of JPEG file" (JWRN_JPEG_EOF). Its first warning is
// the one TurboJPEG keeps, so a cut file reports this rather than the damage that follows it.
bool means_truncated(const std::string& m) { return contains(m, "Premature end of JPEG file"); }

}  // namespace

int bytes_per_pixel(JpegPixels p) {
  switch (p) {
    case JpegPixels::gray: return 1;
    case JpegPixels::rgb: return 3;
    case JpegPixels::cmyk: return 4;
  }
  return 3;
}

JpegScale choose_jpeg_scale(int w, int h, int need_w, int need_h) {
  for (int den : {8, 4, 2}) {
    const JpegScale s{1, den};
    if (s.apply(w) >= need_w && s.apply(h) >= need_h) return s;
  }
  return {1, 1};
}

JpegDecoder::JpegDecoder() : handle_(tjInitDecompress()) {
  if (!handle_)
    throw std::runtime_error(std::string("TurboJPEG: tjInitDecompress failed: ") + tjGetErrorStr2(nullptr) +
                             " (out of memory?)");
}

JpegDecoder::~JpegDecoder() {
  if (handle_) tjDestroy(static_cast<tjhandle>(handle_));
}

JpegDecoder::JpegDecoder(JpegDecoder&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}

JpegDecoder& JpegDecoder::operator=(JpegDecoder&& o) noexcept {
  if (this != &o) {
    if (handle_) tjDestroy(static_cast<tjhandle>(handle_));
    handle_ = std::exchange(o.handle_, nullptr);
  }
  return *this;
}

std::string JpegDecoder::fail_and_reset() {
  std::string m = tj_message(static_cast<tjhandle>(handle_));
  tjDestroy(static_cast<tjhandle>(handle_));
  handle_ = tjInitDecompress();
  if (!handle_)
    throw std::runtime_error("TurboJPEG: tjInitDecompress failed while recovering from '" + m + "' (out of memory?)");
  return m;
}

JpegHeader JpegDecoder::header(std::span<const uint8_t> bytes) {
  auto* h = static_cast<tjhandle>(handle_);
  int w = 0, ht = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(h, bytes.data(), static_cast<unsigned long>(bytes.size()), &w, &ht, &subsamp,
                          &colorspace) != 0) {
    const std::string m = fail_and_reset();
    throw RejectedInput((means_truncated(m) ? "truncated JPEG (header cut short): " : "corrupt JPEG header: ") + m);
  }
  // With the data cut before the frame header, libjpeg meets its own inserted end-of-image and reports a
  // stream of tables only, without an image.
  if (w <= 0 || ht <= 0)
    throw RejectedInput("truncated or corrupt JPEG: no image frame in the " + std::to_string(bytes.size()) +
                        " bytes of the file");
  JpegHeader hd;
  hd.width = w;
  hd.height = ht;
  switch (colorspace) {
    case TJCS_GRAY: hd.color = JpegColor::gray; break;
    case TJCS_CMYK:
    case TJCS_YCCK: hd.color = JpegColor::cmyk; break;
    default: hd.color = JpegColor::color; break;
  }
  return hd;
}

void JpegDecoder::decode(std::span<const uint8_t> bytes, const JpegHeader& header, JpegScale scale,
                         JpegPixels format, uint8_t* dst, int pitch) {
  auto* h = static_cast<tjhandle>(handle_);
  const int pf = format == JpegPixels::gray ? TJPF_GRAY : format == JpegPixels::rgb ? TJPF_RGB : TJPF_CMYK;
  // TJFLAG_LIMITSCANS refuses progressive files with absurd scan counts (a decode-time bomb); no FASTDCT /
  // FASTUPSAMPLE so the samples equal Pillow's (libjpeg defaults).
  const int flags = TJFLAG_LIMITSCANS;
  if (tjDecompress2(h, bytes.data(), static_cast<unsigned long>(bytes.size()), dst, scale.apply(header.width),
                    pitch, scale.apply(header.height), pf, flags) == 0)
    return;
  // After a warning libjpeg finished the image normally and the handle is sound; after an error it is replaced.
  const bool warning = tjGetErrorCode(h) == TJERR_WARNING;
  const std::string m = warning ? tj_message(h) : fail_and_reset();
  if (warning) {
    // The image was decoded completely; only a warning was raised. Pillow ignores libjpeg warnings except
    // running out of data (it then raises "image file is truncated"). Extraneous bytes before a marker are
    // harmless (common in camera files); anything else means the entropy-coded data is damaged.
    if (contains(m, "extraneous bytes")) return;
    if (means_truncated(m)) throw RejectedInput("truncated JPEG: " + m);
    static constexpr std::string_view kPrefix = "Corrupt JPEG data: ";  // libjpeg's own wording of most of them
    throw RejectedInput("corrupt JPEG data: " + (m.starts_with(kPrefix) ? m.substr(kPrefix.size()) : m));
  }
  if (means_truncated(m)) throw RejectedInput("truncated JPEG: " + m);
  throw RejectedInput("corrupt JPEG: " + m);
}

}  // namespace pipeline
