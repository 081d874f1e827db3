// Transform: decode (JPEG/PNG) -> colour conversion as PIL convert() -> Pillow resize fused with the centre crop
// -> one pass to CHW uint8 or normalised float (see transform.hpp for the torchvision semantics).
#include "pipeline/transform.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/chw.hpp"
#include "pipeline/jpeg.hpp"
#include "pipeline/pil_color.hpp"
#include "pipeline/png.hpp"
#include "pipeline/resample.hpp"


namespace pipeline {
namespace {

constexpr int kMaxSize = 4096;
constexpr size_t kMaxPlans = 8;  // distinct input sizes remembered per Transform (CelebA has one)

// Fast mode decodes at the largest DCT reduction that leaves at least 5/4 of the resized size on both axes,
// so Pillow's filter still does part of the reduction. With no margin, a reduction landing exactly on the
// target size (e.g. 64x100 -> 32x50 at S=32) skips the filter and differs from torchvision by up to ~4 levels
// (MAD); with 5/4 the fixture's worst JPEG is ~2 levels. CelebA (178x218 -> 64x78) keeps scale 1/2
// (89x109, a 1.39 margin): MAD 0.84 levels on the CelebA-like fixture.
constexpr int kFastMargin4 = 5;  // the margin, in quarters

// A resized long side beyond this means an absurd aspect ratio (4096:1 at S = 64); refused rather than planned.
constexpr int64_t kMaxResizedSide = 1 << 20;

// torchvision 0.14 _compute_resized_output_size: the shorter side becomes S, the longer
// int(S * long / short) in Python floats (an exact integer product, then a correctly rounded division).
std::pair<int, int> resized_size(int w, int h, int S) {
  const int64_t lo = std::min(w, h), hi = std::max(w, h);
  const auto longer = static_cast<int64_t>(static_cast<double>(S * hi) / static_cast<double>(lo));
  if (longer > kMaxResizedSide)
    throw RejectedInput("image of " + std::to_string(w) + "x" + std::to_string(h) + " has an extreme aspect ratio: Resize(" +
                        std::to_string(S) + ") would make its long side " + std::to_string(longer) + " pixels");
  if (w <= h) return {S, static_cast<int>(longer)};
  return {static_cast<int>(longer), S};
}

// torchvision center_crop: int(round((full - S) / 2.0)), where Python's round() sends halves to even.
int crop_offset(int full, int S) {
  const int d = full - S, q = d / 2;
  if (d % 2 == 0) return q;
  return q % 2 == 0 ? q : q + 1;
}

bool starts_with_ci(std::span<const uint8_t> b, size_t at, const char* lit) {
  const size_t n = std::strlen(lit);
  if (b.size() - at < n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(b[at + i]) != lit[i]) return false;
  return true;
}

// A reason for bytes that are neither JPEG nor PNG.
std::string describe_non_image(std::span<const uint8_t> b) {
  if (b.empty()) return "empty file (0 bytes), not an image";
  size_t i = 0;
  if (b.size() >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) i = 3;  // UTF-8 byte-order mark
  while (i < b.size() && i < 512 && std::isspace(b[i])) ++i;
  if (starts_with_ci(b, i, "<!doctype html") || starts_with_ci(b, i, "<html") || starts_with_ci(b, i, "<head") ||
      starts_with_ci(b, i, "<!--"))
    return "an HTML page, not an image (a failed download saved under an image name, e.g. a Google Drive quota page)";
  std::string hex;
  char buf[8];
  for (size_t k = 0; k < std::min<size_t>(4, b.size()); ++k) {
    std::snprintf(buf, sizeof buf, "%s%02x", k ? " " : "", b[k]);
    hex += buf;
  }
  return "not a JPEG or PNG image (" + std::to_string(b.size()) + " bytes starting with " + hex + ")";
}

[[noreturn]] void reject_too_large(const char* what, int64_t w, int64_t h, int64_t max_pixels) {
  throw RejectedInput(std::string(what) + " declares " + std::to_string(w) + "x" + std::to_string(h) + " = " +
                      std::to_string(w * h) + " pixels, more than --max-pixels " + std::to_string(max_pixels) +
                      " (refused before decoding: a decompression bomb or an unexpected huge image)");
}


}  // namespace

ImageFormat detect_format(std::span<const uint8_t> bytes) {
  if (bytes.size() >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8) return ImageFormat::jpeg;
  if (is_png(bytes)) return ImageFormat::png;
  return ImageFormat::unknown;
}

ImageHeader probe_header(std::span<const uint8_t> bytes) {
  switch (detect_format(bytes)) {
    case ImageFormat::jpeg: {
      thread_local JpegDecoder decoder;
      const JpegHeader h = decoder.header(bytes);
      return {ImageFormat::jpeg, h.width, h.height};
    }
    case ImageFormat::png: {
      const PngHeader h = png_header(bytes);
      return {ImageFormat::png, h.width, h.height};
    }
    case ImageFormat::unknown: break;
  }
  throw RejectedInput(describe_non_image(bytes));
}

struct Transform::Impl {
  // What the resampler reads: bpp bytes per pixel, of which the first `channels` are the image.
  struct Source {
    const uint8_t* data = nullptr;
    size_t stride = 0;
    int bpp = 0, channels = 0;
    int orig_w = 0, orig_h = 0;  // the size torchvision sees (before any DCT scaling)
    JpegScale scale;             // data holds scale.apply(orig) pixels per axis
  };
  struct PlanKey {
    int orig_w, orig_h, bpp, channels;
    JpegScale scale;
    bool operator==(const PlanKey&) const = default;
  };
  struct Plan {
    PlanKey key;
    Resampler resampler;
  };

  TransformOptions opt;
  JpegDecoder jpeg;
  std::vector<uint8_t> decoded;    // [h, w, bpp] decoder output
  std::vector<uint8_t> converted;  // [h, w, 1|3] after a colour conversion (CMYK, or RGB -> L)
  std::vector<uint8_t> scratch;    // the resampler's 8-bit intermediate rows
  std::vector<uint8_t> resized;    // [S, S, channels] interleaved, cropped resize output
  std::vector<std::unique_ptr<Plan>> plans;  // most recently used first

  explicit Impl(const TransformOptions& o) : opt(o) {}

  const Resampler& plan(const PlanKey& key) {
    for (size_t i = 0; i < plans.size(); ++i)
      if (plans[i]->key == key) {
        if (i) std::rotate(plans.begin(), plans.begin() + i, plans.begin() + i + 1);
        return plans.front()->resampler;
      }
    const int S = opt.size;
    const auto [rw, rh] = resized_size(key.orig_w, key.orig_h, S);
    ResampleSpec s;
    s.in_w = key.scale.apply(key.orig_w);
    s.in_h = key.scale.apply(key.orig_h);
    // The box is the original image's extent in decoded pixels: fractional when a DCT-scaled size rounded up.
    s.box_w = static_cast<float>(static_cast<double>(key.orig_w) * key.scale.num / key.scale.den);
    s.box_h = static_cast<float>(static_cast<double>(key.orig_h) * key.scale.num / key.scale.den);
    s.resized_w = rw;
    s.resized_h = rh;
    s.left = crop_offset(rw, S);
    s.top = crop_offset(rh, S);
    s.out_w = S;
    s.out_h = S;
    s.bpp = key.bpp;
    s.channels = key.channels;
    if (plans.size() == kMaxPlans) plans.pop_back();
    plans.insert(plans.begin(), std::make_unique<Plan>(Plan{key, Resampler(s)}));
    return plans.front()->resampler;
  }

  // What the resampler reads from interleaved pixels with `n` channels (1 L, 2 LA, 3 RGB, 4 RGBA), given PIL's
  // convert(): {bytes per pixel, channels resampled}. L and LA resample grey alone (replicated to RGB after
  // resizing, which commutes with it); RGB and RGBA resample RGB (convert('RGB') drops alpha unblended) unless
  // --channels 1 converts them to L first.
  std::pair<int, int> source_layout(int n) const {
    if (n <= 2) return {n, 1};
    if (opt.channels == 3) return {n, 3};
    return {1, 1};
  }

  // Interleaved pixels with `n` channels -> the Source PIL's convert() implies. A conversion to L covers only
  // `rows`, the input rows the resampler reads (all of them by default).
  Source from_pixels(const uint8_t* px, int w, int h, int n, JpegScale scale, int orig_w, int orig_h,
                     JpegRows rows = {}) {
    const auto [bpp, channels] = source_layout(n);
    if (bpp == n) return Source{px, static_cast<size_t>(w) * n, bpp, channels, orig_w, orig_h, scale};
    converted.resize(static_cast<size_t>(w) * h);
    const size_t begin = static_cast<size_t>(w) * rows.begin;
    const size_t end = static_cast<size_t>(w) * (rows.end < 0 ? h : rows.end);
    for (size_t i = begin; i < end; ++i) converted[i] = pil_luma(px + i * n);
    return Source{converted.data(), static_cast<size_t>(w), 1, 1, orig_w, orig_h, scale};
  }

  Source decode_jpeg(std::span<const uint8_t> bytes) {
    const JpegHeader hd = jpeg.header(bytes);
    if (int64_t{hd.width} * hd.height > opt.max_pixels) reject_too_large("JPEG", hd.width, hd.height, opt.max_pixels);
    const auto [rw, rh] = resized_size(hd.width, hd.height, opt.size);
    const JpegScale scale =
        opt.mode == ResizeMode::fast
            ? choose_jpeg_scale(hd.width, hd.height, (rw * kFastMargin4 + 3) / 4, (rh * kFastMargin4 + 3) / 4)
            : JpegScale{1, 1};
    const int w = scale.apply(hd.width), h = scale.apply(hd.height);
    const JpegPixels fmt = hd.color == JpegColor::gray  ? JpegPixels::gray
                           : hd.color == JpegColor::cmyk ? JpegPixels::cmyk
                                                         : JpegPixels::rgb;
    const int bpp = bytes_per_pixel(fmt);
    const int n = fmt == JpegPixels::gray ? 1 : 3;  // channels after PIL's CMYK -> RGB
    const auto [src_bpp, src_channels] = source_layout(n);
    // Only the rows the resize reads after the crop are decoded: the others cost no IDCT, upsampling or colour
    // conversion, and those past the last are not even entropy-decoded (CelebA at S = 64: 16% of the rows).
    const Resampler& r = plan(PlanKey{hd.width, hd.height, src_bpp, src_channels, scale});
    const JpegRows rows{r.first_row(), r.end_row()};
    decoded.resize(static_cast<size_t>(w) * h * bpp);
    jpeg.decode(bytes, hd, scale, fmt, decoded.data(), w * bpp, rows);
    if (fmt != JpegPixels::cmyk) return from_pixels(decoded.data(), w, h, bpp, scale, hd.width, hd.height, rows);
    // CMYK -> RGB as PIL does, written over the decode buffer (3 bytes out per 4 in, front to back).
    const size_t begin = static_cast<size_t>(w) * rows.begin, end = static_cast<size_t>(w) * rows.end;
    for (size_t i = begin; i < end; ++i) {
      uint8_t rgb[3];
      pil_cmyk_inverted_to_rgb(decoded.data() + 4 * i, rgb);
      std::memcpy(decoded.data() + 3 * i, rgb, 3);
    }
    return from_pixels(decoded.data(), w, h, 3, scale, hd.width, hd.height, rows);
  }

  Source decode(std::span<const uint8_t> bytes) {
    switch (detect_format(bytes)) {
      case ImageFormat::jpeg: return decode_jpeg(bytes);
      case ImageFormat::png: {
        const PngImage im = decode_png(bytes, opt.max_pixels, decoded);
        return from_pixels(decoded.data(), im.width, im.height, im.channels, {1, 1}, im.width, im.height);
      }
      case ImageFormat::unknown: break;
    }
    throw RejectedInput(describe_non_image(bytes));
  }

  // Resize + crop into `resized`; returns the channels it holds (1 or 3).
  int resample(const Source& s) {
    const Resampler& r = plan(PlanKey{s.orig_w, s.orig_h, s.bpp, s.channels, s.scale});
    const size_t row = static_cast<size_t>(opt.size) * s.channels;
    resized.resize(row * opt.size);
    r.run(s.data, s.stride, resized.data(), row, scratch);
    return s.channels;
  }

  // The fused output pass: interleaved [S, S, k] -> planar [C, S, S] uint8, or normalised float.
  void emit(int k, uint8_t* dst) const {
    to_chw(resized.data(), k, opt.channels, static_cast<size_t>(opt.size) * opt.size, dst);
  }
  void emit(int k, float* dst, float mean, float std) const {
    to_chw_normalized(resized.data(), k, opt.channels, static_cast<size_t>(opt.size) * opt.size, dst, mean, std);
  }

  Source from_caller_pixels(const uint8_t* src, int w, int h, int n) {
    if (!src) throw std::invalid_argument("Transform::pixels: null source");
    if (w <= 0 || h <= 0) throw std::invalid_argument("Transform::pixels: empty image " + std::to_string(w) + "x" +
                                                      std::to_string(h));
    if (n < 1 || n > 4)
      throw std::invalid_argument("Transform::pixels: src_channels must be 1, 2, 3 or 4, got " + std::to_string(n));
    if (int64_t{w} * h > opt.max_pixels) reject_too_large("image", w, h, opt.max_pixels);
    return from_pixels(src, w, h, n, {1, 1}, w, h);
  }
};

Transform::Transform(const TransformOptions& o) {
  if (o.size < 1 || o.size > kMaxSize)
    throw std::invalid_argument("--size must be between 1 and " + std::to_string(kMaxSize) + ", got " +
                                std::to_string(o.size));
  if (o.channels != 1 && o.channels != 3)
    throw std::invalid_argument("--channels must be 1 (grayscale) or 3 (RGB), got " + std::to_string(o.channels));
  if (o.max_pixels <= 0)
    throw std::invalid_argument("--max-pixels must be positive, got " + std::to_string(o.max_pixels));
  impl_ = std::make_unique<Impl>(o);
}

Transform::~Transform() = default;
Transform::Transform(Transform&&) noexcept = default;
Transform& Transform::operator=(Transform&&) noexcept = default;

const TransformOptions& Transform::options() const { return impl_->opt; }

size_t Transform::output_elems() const {
  return static_cast<size_t>(impl_->opt.channels) * impl_->opt.size * impl_->opt.size;
}

void Transform::encoded(std::span<const uint8_t> bytes, uint8_t* dst) {
  impl_->emit(impl_->resample(impl_->decode(bytes)), dst);
}

void Transform::encoded(std::span<const uint8_t> bytes, float* dst, float mean, float std) {
  if (std == 0.0f) throw std::invalid_argument("normalize: std must not be 0 (division by zero)");
  impl_->emit(impl_->resample(impl_->decode(bytes)), dst, mean, std);
}

void Transform::pixels(const uint8_t* src, int w, int h, int src_channels, uint8_t* dst) {
  impl_->emit(impl_->resample(impl_->from_caller_pixels(src, w, h, src_channels)), dst);
}

void Transform::pixels(const uint8_t* src, int w, int h, int src_channels, float* dst, float mean, float std) {
  if (std == 0.0f) throw std::invalid_argument("normalize: std must not be 0 (division by zero)");
  impl_->emit(impl_->resample(impl_->from_caller_pixels(src, w, h, src_channels)), dst, mean, std);
}

}  // namespace pipeline
