// The fused HWC -> CHW (+ normalise) pass (see chw.hpp).
//
// Kernels, chosen per call from simd_level() (cpu_dispatch.hpp); the ISA versions are compiled for their ISA by
// `#pragma GCC target` regions, whatever the build's -march. Floats are (u / 255 - mean) / std in float32 with
// one IEEE rounding per operation in every version (a lookup table of that expression, or vector divisions and a
// subtraction: nothing a compiler could fuse), so every path gives the bytes torchvision does.
//   Portable: plain loops; floats through a 256-entry table.
//   AVX-512 (F, BW, VBMI): 64 pixels at a time: their 192 interleaved RGB bytes (three registers a, b, c) are
//   split into three planes by byte permutes, plane p taking byte 3i + p from a||b while that is below 128 (one
//   vpermt2b) and from c above it (one masked vpermb). Tails by masked loads and stores.
//   AVX2: 32 pixels at a time, 16 per 128-bit lane: three vpshufb of the lane's 48 bytes, or-ed, give a plane.
//   Tails in the portable loop.
#include "pipeline/chw.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "pipeline/cpu_dispatch.hpp"

// GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*, GCC bug 105593) where they are inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace pipeline {
namespace {

// ---- portable --------------------------------------------------------------------------------------------------

// Pixels [i0, npx) of in [npx, k] to the planes of dst [C, npx], each sample through f.
template <class T, class F>
void chw_portable(const uint8_t* in, int k, int C, size_t npx, size_t i0, T* dst, F f) {
  if (k == 1) {
    for (size_t i = i0; i < npx; ++i) {
      const T v = f(in[i]);
      for (int c = 0; c < C; ++c) dst[c * npx + i] = v;
    }
    return;
  }
  for (int c = 0; c < C; ++c)
    for (size_t i = i0; i < npx; ++i) dst[c * npx + i] = f(in[3 * i + c]);
}

void to_chw_portable(const uint8_t* in, int k, int C, size_t npx, size_t i0, uint8_t* dst) {
  chw_portable(in, k, C, npx, i0, dst, [](uint8_t u) { return u; });
}

void to_chw_normalized_portable(const uint8_t* in, int k, int C, size_t npx, size_t i0, float* dst, float mean,
                                float std) {
  if (i0 >= npx) return;
  float lut[256];  // the 256 possible results, each computed as the scalar float32 expression
  for (int u = 0; u < 256; ++u) lut[u] = (static_cast<float>(u) / 255.0f - mean) / std;
  chw_portable(in, k, C, npx, i0, dst, [&lut](uint8_t u) { return lut[u]; });
}

// For the AVX2 deinterleave: 16 RGB pixels in three 16-byte registers a, b, c; kShuffles.m[r][p] moves the bytes
// of plane p held by register r to their places (byte i = input byte 3i + p), 0x80 (zero) elsewhere.
struct Shuffles {
  alignas(16) uint8_t m[3][3][16] = {};
  constexpr Shuffles() {
    for (int r = 0; r < 3; ++r)
      for (int p = 0; p < 3; ++p)
        for (int i = 0; i < 16; ++i) {
          const int b = 3 * i + p - 16 * r;
          m[r][p][i] = static_cast<uint8_t>(b >= 0 && b < 16 ? b : 0x80);
        }
  }
};
constexpr Shuffles kShuffles;

}  // namespace

// ---- AVX-512 ---------------------------------------------------------------------------------------------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vbmi")
namespace {
namespace avx512 {

class Deinterleave {
 public:
  Deinterleave() {
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

  static __mmask64 tail_mask(size_t left) { return left >= 64 ? ~0ull : (1ull << left) - 1; }

  // Pixels [i, min(i + 64, npx)) of in [npx, k] as planes (bytes past npx are 0); returns the planes filled.
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

 private:
  __m512i idx_ab_[3], idx_c_[3];
  __mmask64 from_c_[3];
};

const Deinterleave& deinterleave() {
  static const Deinterleave d;
  return d;
}

// 16 bytes -> 16 floats (u / 255 - mean) / std at out + off, only those below `left`.
void store_normalized(float* out, __m128i u, size_t left, size_t off, __m512 v255, __m512 vmean, __m512 vstd) {
  if (off >= left) return;
  const __mmask16 m = left - off >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (left - off)) - 1);
  const __m512 x = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(u));
  _mm512_mask_storeu_ps(out + off, m, _mm512_div_ps(_mm512_sub_ps(_mm512_div_ps(x, v255), vmean), vstd));
}

void to_chw(const uint8_t* in, int k, int C, size_t npx, uint8_t* dst) {
  const Deinterleave& d = deinterleave();
  for (size_t i = 0; i < npx; i += 64) {
    const __mmask64 m = Deinterleave::tail_mask(npx - i);
    __m512i planes[3];
    const int n = d.load(in, k, i, npx, planes);
    for (int c = 0; c < C; ++c) _mm512_mask_storeu_epi8(dst + c * npx + i, m, planes[n == 1 ? 0 : c]);
  }
}

void to_chw_normalized(const uint8_t* in, int k, int C, size_t npx, float* dst, float mean, float std) {
  const Deinterleave& d = deinterleave();
  const __m512 v255 = _mm512_set1_ps(255.0f), vmean = _mm512_set1_ps(mean), vstd = _mm512_set1_ps(std);
  for (size_t i = 0; i < npx; i += 64) {
    __m512i planes[3];
    const int n = d.load(in, k, i, npx, planes);
    const size_t left = npx - i;
    for (int c = 0; c < C; ++c) {
      const __m512i v = planes[n == 1 ? 0 : c];
      float* out = dst + c * npx + i;
      store_normalized(out, _mm512_extracti32x4_epi32(v, 0), left, 0, v255, vmean, vstd);
      store_normalized(out, _mm512_extracti32x4_epi32(v, 1), left, 16, v255, vmean, vstd);
      store_normalized(out, _mm512_extracti32x4_epi32(v, 2), left, 32, v255, vmean, vstd);
      store_normalized(out, _mm512_extracti32x4_epi32(v, 3), left, 48, v255, vmean, vstd);
    }
  }
}

}  // namespace avx512
}  // namespace
#pragma GCC pop_options

// ---- AVX2 ------------------------------------------------------------------------------------------------------
#pragma GCC push_options
#pragma GCC target("avx2")
namespace {
namespace avx2 {

constexpr size_t kStep = 32;  // pixels per iteration

// 16 bytes at lo, 16 at hi.
inline __m256i lanes(const uint8_t* hi, const uint8_t* lo) {
  return _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(hi), reinterpret_cast<const __m128i*>(lo));
}

// Pixels [i, i + 32) of in [npx, k] as planes of 32 bytes; returns the planes filled (1 or 3).
inline int load(const uint8_t* in, int k, size_t i, __m256i* planes) {
  if (k == 1) {
    planes[0] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    return 1;
  }
  // Lane 0: pixels i..i+15 (bytes 0-47 from p), lane 1: pixels i+16..i+31 (bytes 48-95).
  const uint8_t* p = in + 3 * i;
  const __m256i r[3] = {lanes(p + 48, p), lanes(p + 64, p + 16), lanes(p + 80, p + 32)};
  for (int q = 0; q < 3; ++q) {
    __m256i v = _mm256_setzero_si256();
    for (int s = 0; s < 3; ++s)
      v = _mm256_or_si256(v, _mm256_shuffle_epi8(r[s], _mm256_broadcastsi128_si256(_mm_load_si128(
                                                           reinterpret_cast<const __m128i*>(kShuffles.m[s][q])))));
    planes[q] = v;
  }
  return 3;
}

void to_chw(const uint8_t* in, int k, int C, size_t npx, uint8_t* dst) {
  size_t i = 0;
  for (; i + kStep <= npx; i += kStep) {
    __m256i planes[3];
    const int n = load(in, k, i, planes);
    for (int c = 0; c < C; ++c)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + c * npx + i), planes[n == 1 ? 0 : c]);
  }
  to_chw_portable(in, k, C, npx, i, dst);
}

// 8 bytes -> 8 floats (u / 255 - mean) / std.
inline __m256 normalize8(__m128i u, __m256 v255, __m256 vmean, __m256 vstd) {
  const __m256 x = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(u));
  return _mm256_div_ps(_mm256_sub_ps(_mm256_div_ps(x, v255), vmean), vstd);
}

void to_chw_normalized(const uint8_t* in, int k, int C, size_t npx, float* dst, float mean, float std) {
  const __m256 v255 = _mm256_set1_ps(255.0f), vmean = _mm256_set1_ps(mean), vstd = _mm256_set1_ps(std);
  size_t i = 0;
  for (; i + kStep <= npx; i += kStep) {
    __m256i planes[3];
    const int n = load(in, k, i, planes);
    for (int c = 0; c < C; ++c) {
      const __m256i v = planes[n == 1 ? 0 : c];
      const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
      float* out = dst + c * npx + i;
      _mm256_storeu_ps(out, normalize8(lo, v255, vmean, vstd));
      _mm256_storeu_ps(out + 8, normalize8(_mm_srli_si128(lo, 8), v255, vmean, vstd));
      _mm256_storeu_ps(out + 16, normalize8(hi, v255, vmean, vstd));
      _mm256_storeu_ps(out + 24, normalize8(_mm_srli_si128(hi, 8), v255, vmean, vstd));
    }
  }
  to_chw_normalized_portable(in, k, C, npx, i, dst, mean, std);
}

}  // namespace avx2
}  // namespace
#pragma GCC pop_options

void to_chw(const uint8_t* in, int k, int C, size_t npx, uint8_t* dst) {
  switch (simd_level()) {
    case SimdLevel::avx512: return avx512::to_chw(in, k, C, npx, dst);
    case SimdLevel::avx2: return avx2::to_chw(in, k, C, npx, dst);
    case SimdLevel::scalar: break;
  }
  to_chw_portable(in, k, C, npx, 0, dst);
}

void to_chw_normalized(const uint8_t* in, int k, int C, size_t npx, float* dst, float mean, float std) {
  switch (simd_level()) {
    case SimdLevel::avx512: return avx512::to_chw_normalized(in, k, C, npx, dst, mean, std);
    case SimdLevel::avx2: return avx2::to_chw_normalized(in, k, C, npx, dst, mean, std);
    case SimdLevel::scalar: break;
  }
  to_chw_normalized_portable(in, k, C, npx, 0, dst, mean, std);
}

}  // namespace pipeline
