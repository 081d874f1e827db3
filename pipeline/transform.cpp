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

#include "pipeline/jpeg.hpp"
#include "pipeline/png.hpp"
#include "pipeline/resample.hpp"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VBMI__)
#define PIPELINE_TRANSFORM_AVX512 1
#include <immintrin.h>
// GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*, GCC bug 105593) where they are inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

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

// torchvision 0.14 _compute_resized_output_size: the shorter side becomes S, the longer
// int(S * long / short) in Python floats (an exact integer product, then a correctly rounded division).
// A resized long side beyond this means an absurd aspect ratio (4096:1 at S = 64); refused rather than planned.
constexpr int64_t kMaxResizedSide = 1 << 20;

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

// PIL convert('L') from RGB(A): ITU-R 601-2 luma in Pillow's 16-bit fixed point (Convert.c, L24).
inline uint8_t luma(const uint8_t* p) {
  return static_cast<uint8_t>((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
}

// Pillow's MULDIV255: a * b / 255, rounded, in integers.
inline int muldiv255(int a, int b) {
  const int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

// PIL reads CMYK JPEGs with rawmode "CMYK;I" (Adobe's inverted samples), then convert('RGB') is cmyk2rgb:
// with c = 255 - raw, nk = 255 - k: out = clip(nk - c * nk / 255).
inline void cmyk_inverted_to_rgb(const uint8_t* raw, uint8_t* rgb) {
  const int nk = 255 - (255 - raw[3]);
  for (int i = 0; i < 3; ++i) {
    const int v = nk - muldiv255(255 - raw[i], nk);
    rgb[i] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  }
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

#ifdef PIPELINE_TRANSFORM_AVX512
// The fused output pass with AVX-512 VBMI: 64 pixels at a time, their 192 interleaved RGB bytes (three
// registers a, b, c) are split into three planes by byte permutes: plane p takes byte 3i + p, from a||b while
// that is below 128 (one vpermt2b) and from c above (one masked vpermb). Floats are (u / 255 - mean) / std
// with IEEE vector divisions, so each lane rounds exactly as torchvision's float32 ops do.
class PlanarWriter {
 public:
  PlanarWriter() {
    alignas(64) uint8_t ab[3][64], c[3][64];
    for (int p = 0; p < 3; ++p) {
      from_c_[p] = 0;
      for (int i = 0; i < 64; ++i) {
        const int b = 3 * i + p;
        ab[p][i] = static_cast<uint8_t>(b < 128 ? b : 0);
        c[p][i] = static_cast<uint8_t>(b >= 128 ? b - 128 : 0);
        if (b >= 128) from_c_[p] |= 1ull << i;
      }
      idx_ab_[p] = _mm512_load_si512(ab[p]);
      idx_c_[p] = _mm512_load_si512(c[p]);
    }
  }

  // in: [npx, k] interleaved (k = 1 or 3); dst: C planes of npx. k == 1 with C == 3 replicates grey.
  void u8(const uint8_t* in, int k, int C, size_t npx, uint8_t* dst) const {
    for (size_t i = 0; i < npx; i += 64) {
      const __mmask64 m = tail_mask(npx - i);
      __m512i planes[3];
      const int n = load(in, k, i, npx, planes);
      for (int c = 0; c < C; ++c) _mm512_mask_storeu_epi8(dst + c * npx + i, m, planes[n == 1 ? 0 : c]);
    }
  }

  void f32(const uint8_t* in, int k, int C, size_t npx, float* dst, float mean, float std) const {
    const __m512 v255 = _mm512_set1_ps(255.0f), vmean = _mm512_set1_ps(mean), vstd = _mm512_set1_ps(std);
    for (size_t i = 0; i < npx; i += 64) {
      __m512i planes[3];
      const int n = load(in, k, i, npx, planes);
      const size_t left = npx - i;
      for (int c = 0; c < C; ++c) {
        const __m512i v = planes[n == 1 ? 0 : c];
        float* out = dst + c * npx + i;
        store4(out, _mm512_extracti32x4_epi32(v, 0), left, 0, v255, vmean, vstd);
        store4(out, _mm512_extracti32x4_epi32(v, 1), left, 16, v255, vmean, vstd);
        store4(out, _mm512_extracti32x4_epi32(v, 2), left, 32, v255, vmean, vstd);
        store4(out, _mm512_extracti32x4_epi32(v, 3), left, 48, v255, vmean, vstd);
      }
    }
  }

 private:
  static __mmask64 tail_mask(size_t left) { return left >= 64 ? ~0ull : (1ull << left) - 1; }

  // Pixels [i, i + 64) as planes; returns how many planes were filled (1 or 3).
  int load(const uint8_t* in, int k, size_t i, size_t npx, __m512i* planes) const {
    const size_t left = npx - i;
    if (k == 1) {
      planes[0] = _mm512_maskz_loadu_epi8(tail_mask(left), in + i);
      return 1;
    }
    const size_t bytes = 3 * std::min<size_t>(left, 64);
    const uint8_t* p = in + 3 * i;
    const __m512i a = _mm512_maskz_loadu_epi8(tail_mask(bytes), p);
    const __m512i b = _mm512_maskz_loadu_epi8(bytes > 64 ? tail_mask(bytes - 64) : 0, p + 64);
    const __m512i c = _mm512_maskz_loadu_epi8(bytes > 128 ? tail_mask(bytes - 128) : 0, p + 128);
    for (int q = 0; q < 3; ++q)
      planes[q] = _mm512_mask_permutexvar_epi8(_mm512_permutex2var_epi8(a, idx_ab_[q], b), from_c_[q], idx_c_[q], c);
    return 3;
  }

  // 16 bytes -> 16 floats (u / 255 - mean) / std, stored at out + off (only those below `left`).
  static void store4(float* out, __m128i u, size_t left, size_t off, __m512 v255, __m512 vmean, __m512 vstd) {
    if (off >= left) return;
    const __mmask16 m = left - off >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (left - off)) - 1);
    const __m512 x = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(u));
    _mm512_mask_storeu_ps(out + off, m, _mm512_div_ps(_mm512_sub_ps(_mm512_div_ps(x, v255), vmean), vstd));
  }

  __m512i idx_ab_[3], idx_c_[3];
  __mmask64 from_c_[3];
};

const PlanarWriter& planar_writer() {
  static const PlanarWriter w;
  return w;
}
#endif

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
  float lut[256] = {};
  float lut_mean = 0, lut_std = 0;
  bool lut_valid = false;

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

  // Interleaved pixels with `n` channels (1 L, 2 LA, 3 RGB, 4 RGBA) -> the Source PIL's convert() implies.
  Source from_pixels(const uint8_t* px, int w, int h, int n, JpegScale scale, int orig_w, int orig_h) {
    Source s{px, static_cast<size_t>(w) * n, n, 0, orig_w, orig_h, scale};
    if (n <= 2) {
      s.channels = 1;  // L or LA: grey is replicated to RGB after resizing (resizing commutes with it)
    } else if (opt.channels == 3) {
      s.channels = 3;  // RGB, or RGBA whose alpha convert('RGB') drops unblended
    } else {
      converted.resize(static_cast<size_t>(w) * h);
      const size_t npx = static_cast<size_t>(w) * h;
      for (size_t i = 0; i < npx; ++i) converted[i] = luma(px + i * n);
      s = Source{converted.data(), static_cast<size_t>(w), 1, 1, orig_w, orig_h, scale};
    }
    return s;
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
    decoded.resize(static_cast<size_t>(w) * h * bpp);
    jpeg.decode(bytes, hd, scale, fmt, decoded.data(), w * bpp);
    if (fmt != JpegPixels::cmyk) return from_pixels(decoded.data(), w, h, bpp, scale, hd.width, hd.height);
    // CMYK -> RGB as PIL does, written over the decode buffer (3 bytes out per 4 in, front to back).
    const size_t npx = static_cast<size_t>(w) * h;
    for (size_t i = 0; i < npx; ++i) {
      uint8_t rgb[3];
      cmyk_inverted_to_rgb(decoded.data() + 4 * i, rgb);
      std::memcpy(decoded.data() + 3 * i, rgb, 3);
    }
    return from_pixels(decoded.data(), w, h, 3, scale, hd.width, hd.height);
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
  // k == 1 with C == 3 is grey replicated to RGB, as PIL's convert('RGB') of an "L" image.
  void emit(int k, uint8_t* dst) const {
#ifdef PIPELINE_TRANSFORM_AVX512
    planar_writer().u8(resized.data(), k, opt.channels, static_cast<size_t>(opt.size) * opt.size, dst);
#else
    emit_scalar(k, dst, [](uint8_t u) { return u; });
#endif
  }
  void emit(int k, float* dst, float mean, float std) {
#ifdef PIPELINE_TRANSFORM_AVX512
    planar_writer().f32(resized.data(), k, opt.channels, static_cast<size_t>(opt.size) * opt.size, dst, mean, std);
#else
    const float* lut = normalise_lut(mean, std);
    emit_scalar(k, dst, [lut](uint8_t u) { return lut[u]; });
#endif
  }

  template <class T, class F>
  void emit_scalar(int k, T* dst, F f) const {
    const int S = opt.size, C = opt.channels;
    const size_t plane = static_cast<size_t>(S) * S;
    const uint8_t* in = resized.data();
    if (k == 1) {
      for (size_t i = 0; i < plane; ++i) {
        const T v = f(in[i]);
        for (int c = 0; c < C; ++c) dst[c * plane + i] = v;
      }
      return;
    }
    for (size_t i = 0; i < plane; ++i) {
      dst[i] = f(in[3 * i]);
      dst[plane + i] = f(in[3 * i + 1]);
      dst[2 * plane + i] = f(in[3 * i + 2]);
    }
  }

  // ToTensor + Normalize in float32 as torchvision computes them: (u / 255 - mean) / std, one rounding per op.
  const float* normalise_lut(float mean, float std) {
    if (!lut_valid || mean != lut_mean || std != lut_std) {
      for (int u = 0; u < 256; ++u) lut[u] = (static_cast<float>(u) / 255.0f - mean) / std;
      lut_mean = mean;
      lut_std = std;
      lut_valid = true;
    }
    return lut;
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
