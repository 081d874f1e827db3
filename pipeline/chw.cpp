// The fused HWC -> CHW (+ normalise) pass (see chw.hpp).
//
// With AVX-512 VBMI, 64 pixels at a time: their 192 interleaved RGB bytes (three registers a, b, c) are split
// into three planes by byte permutes, plane p taking byte 3i + p from a||b while that is below 128 (one
// vpermt2b) and from c above it (one masked vpermb). Floats are (u / 255 - mean) / std with IEEE vector
// divisions, so every lane rounds exactly as the scalar float32 expression and as torchvision do.
#include "pipeline/chw.hpp"

#include <algorithm>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VBMI__)
#define PIPELINE_CHW_AVX512 1
#include <immintrin.h>
// GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*, GCC bug 105593) where they are inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace pipeline {
namespace {

#ifdef PIPELINE_CHW_AVX512
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
#else
template <class T, class F>
void to_chw_scalar(const uint8_t* in, int k, int C, size_t npx, T* dst, F f) {
  if (k == 1) {
    for (size_t i = 0; i < npx; ++i) {
      const T v = f(in[i]);
      for (int c = 0; c < C; ++c) dst[c * npx + i] = v;
    }
    return;
  }
  for (int c = 0; c < C; ++c)
    for (size_t i = 0; i < npx; ++i) dst[c * npx + i] = f(in[3 * i + c]);
}
#endif

}  // namespace

void to_chw(const uint8_t* in, int k, int C, size_t npx, uint8_t* dst) {
#ifdef PIPELINE_CHW_AVX512
  const Deinterleave& d = deinterleave();
  for (size_t i = 0; i < npx; i += 64) {
    const __mmask64 m = Deinterleave::tail_mask(npx - i);
    __m512i planes[3];
    const int n = d.load(in, k, i, npx, planes);
    for (int c = 0; c < C; ++c) _mm512_mask_storeu_epi8(dst + c * npx + i, m, planes[n == 1 ? 0 : c]);
  }
#else
  to_chw_scalar(in, k, C, npx, dst, [](uint8_t u) { return u; });
#endif
}

void to_chw_normalized(const uint8_t* in, int k, int C, size_t npx, float* dst, float mean, float std) {
#ifdef PIPELINE_CHW_AVX512
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
#else
  float lut[256];  // the 256 possible results, each computed as the scalar float32 expression
  for (int u = 0; u < 256; ++u) lut[u] = (static_cast<float>(u) / 255.0f - mean) / std;
  to_chw_scalar(in, k, C, npx, dst, [&lut](uint8_t u) { return lut[u]; });
#endif
}

}  // namespace pipeline
