// CRC-32 by carry-less multiplication folding (see crc32.hpp).
#include "pipeline/crc32.hpp"

#include <zlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pipeline {
namespace {

uint32_t crc32_zlib(uint32_t crc, const uint8_t* p, size_t n) {
  // zlib's length is a uInt: feed it in pieces a uInt always holds.
  while (n > 0) {
    const size_t k = n < (size_t{1} << 30) ? n : (size_t{1} << 30);
    crc = static_cast<uint32_t>(crc32(crc, p, static_cast<uInt>(k)));
    p += k;
    n -= k;
  }
  return crc;
}

#if defined(__x86_64__)
// The bit-reflected constants of Gopal et al. (2009) for P(x) = 0x104C11DB7: x^(4*128+32) mod P and x^(4*128-32)
// mod P fold 512 bits forward, x^(128+32) and x^(128-32) 128 bits, x^64 mod P folds 64 into 32, then Barrett
// reduction with P and mu = floor(x^64 / P). Each is the 33-bit reflected value.
constexpr uint64_t kFold512Lo = 0x154442bd4, kFold512Hi = 0x1c6e41596;
constexpr uint64_t kFold128Lo = 0x1751997d0, kFold128Hi = 0x0ccaa009e;
constexpr uint64_t kFold64 = 0x163cd6124;
constexpr uint64_t kPoly = 0x1db710641, kMu = 0x1f7011641;

// a * k.lo (low halves) xor a.hi * k.hi (high halves) xor next: one 128-bit fold step.
__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i a, __m128i k, __m128i next) {
  const __m128i lo = _mm_clmulepi64_si128(a, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(a, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

// n >= 64. Returns the CRC register (not inverted) after p[0, n - n % 16); the caller does the rest.
__attribute__((target("pclmul,sse4.1"))) uint32_t fold_blocks(uint32_t reg, const uint8_t* p, size_t n) {
  auto load = [](const uint8_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(reg)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k512 = _mm_set_epi64x(static_cast<long long>(kFold512Hi), static_cast<long long>(kFold512Lo));
  for (; n >= 64; p += 64, n -= 64) {
    x0 = fold(x0, k512, load(p));
    x1 = fold(x1, k512, load(p + 16));
    x2 = fold(x2, k512, load(p + 32));
    x3 = fold(x3, k512, load(p + 48));
  }
  // Four lanes into one, then the remaining whole 16-byte blocks.
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(kFold128Hi), static_cast<long long>(kFold128Lo));
  __m128i x = fold(x0, k128, x1);
  x = fold(x, k128, x2);
  x = fold(x, k128, x3);
  for (; n >= 16; p += 16, n -= 16) x = fold(x, k128, load(p));
  // 128 -> 64 bits: the low 64 bits times x^(128-32) mod P (k128's high half), added to the high 64 bits.
  const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);
  x = _mm_xor_si128(_mm_clmulepi64_si128(x, k128, 0x10), _mm_srli_si128(x, 8));
  // 64 -> 32 bits: the low 32 bits times x^64 mod P, added to the upper 32.
  const __m128i k64 = _mm_set_epi64x(0, static_cast<long long>(kFold64));
  x = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), k64, 0x00), _mm_srli_si128(x, 4));
  // Barrett reduction: q = (low 32 bits * mu) mod x^32, r = x xor q * P; the CRC is bits 32..63.
  const __m128i pm = _mm_set_epi64x(static_cast<long long>(kMu), static_cast<long long>(kPoly));
  __m128i q = _mm_clmulepi64_si128(_mm_and_si128(x, low32), pm, 0x10);
  q = _mm_clmulepi64_si128(_mm_and_si128(q, low32), pm, 0x00);
  return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(x, q), 1));
}

bool has_pclmul() {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return yes;
}
#endif

}  // namespace

uint32_t crc32_update(uint32_t crc, std::span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
#if defined(__x86_64__)
  if (n >= 64 && has_pclmul()) {
    // zlib's CRC is the register inverted before and after: fold the inverted register, invert back.
    const size_t whole = n - n % 16;
    crc = ~fold_blocks(~crc, p, whole);
    p += whole;
    n -= whole;
  }
#endif
  return crc32_zlib(crc, p, n);
}

}  // namespace pipeline
