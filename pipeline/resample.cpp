// Pillow-exact antialiased bilinear resize fused with a crop (see resample.hpp for the algorithm).
//
// Built with -ffp-contract=off (pipeline/CMakeLists.txt): Pillow computes `in0 + (xx + 0.5) * scale` with a
// separate multiply and add, and a fused multiply-add would round some window centres differently. The option
// holds for the whole file, target-attribute kernels included; the coefficients are computed in portable code
// only, and the kernels do integer arithmetic alone.
//
// Kernels, chosen per run() from simd_level() (cpu_dispatch.hpp); the ISA versions are compiled for their ISA by
// `#pragma GCC target` regions, whatever the build's -march, and never run on a CPU without it. All compute the
// 32-bit sums sum(p * k) of Pillow's scalar loops exactly, as 2^15 * sum(p * kh) + sum(p * kl) with the
// coefficient split into int16 halves kh = k >> 15, kl = k & 0x7fff, so that one int16 dot product (vpdpwssd,
// vpmaddwd) handles two taps per 32-bit lane. Neither partial sum can overflow: each is at most 255 * sum(k),
// about 2^30, like Pillow's own.
//   Portable: Pillow's loops, per block of 16 samples (horizontal) and per output row (vertical).
//   AVX-512 (F, BW, VL, VBMI, VNNI):
//     Horizontal: blocks of 16 consecutive interleaved output samples (5 1/3 RGB pixels). One vpermi2b picks,
//     for all lanes at once, the bytes of two taps from a 128-byte window of the row into the lane's 16-bit
//     halves. The per-lane byte indices and coefficient halves are precomputed per plan; the pass runs block by
//     block over all rows so that a block's tables stay in registers. Blocks whose window is wider than 128
//     bytes (downscales beyond ~6x) take the portable loop.
//     Vertical: per output row and tap pair, one vpermi2b interleaves 16 bytes of rows t and t + 1, for groups
//     of 4 blocks that share the broadcast coefficient halves.
//   AVX2:
//     Horizontal: each block as two halves of 8 samples, each half as two quarters of 4 samples, one per 128-bit
//     lane. A quarter reads a 32-byte window of the row (placed to end at the row's end at the latest, so no
//     load passes it); two vpshufb (bytes 0-15, 16-31 of the window) and an or put the bytes of two taps into
//     each lane's 16-bit halves. Blocks with a quarter wider than its window (downscales beyond ~3x) take the
//     portable loop.
//     Vertical: per output row and tap pair, vpunpck{l,h}bw + vpmovzxbw interleave 16 bytes of rows t and t + 1
//     as 16-bit pairs, for groups of 2 blocks.
#include "pipeline/resample.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

// GCC 12 warns inside its own AVX-512 headers, whose _mm512_undefined_epi32() is deliberately uninitialised
// (GCC bug 105593); the warning is raised where the intrinsics are inlined, i.e. in this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace pipeline {
namespace {

constexpr int kBlock = 16;                                    // interleaved samples per kernel block
constexpr int kQuarter = 4;                                   // samples per AVX2 window (a 128-bit lane)
constexpr int kWindow2 = 32;                                  // bytes of an AVX2 window
constexpr int32_t kHalf = 1 << (kResamplePrecisionBits - 1);  // Pillow's rounding term

// Pillow's bilinear_filter: a triangle of support 1.
double bilinear(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

// Two int16 values (each within -32768..32767) as the halves of one 32-bit lane, `lo` in the low half.
uint32_t split_pair(int32_t lo, int32_t hi) {
  return static_cast<uint32_t>(static_cast<uint16_t>(static_cast<int16_t>(lo))) |
         (static_cast<uint32_t>(static_cast<uint16_t>(static_cast<int16_t>(hi))) << 16);
}

// Pillow's clip8 without its lookup table: the fixed-point sum to 0..255.
inline uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> kResamplePrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

}  // namespace

AxisFilter bilinear_axis(int in_size, float in0, float in1, int out_size) {
  if (in_size <= 0 || out_size <= 0 || !(in1 > in0))
    throw std::invalid_argument("bilinear_axis: bad sizes in=" + std::to_string(in_size) +
                                " out=" + std::to_string(out_size));
  AxisFilter f;
  f.in_size = in_size;
  f.out_size = out_size;
  // The box extent is a float difference, as in Pillow (float box[4]).
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = 1.0 * filterscale;
  f.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  f.first.resize(out_size);
  f.count.resize(out_size);
  f.coeff.assign(static_cast<size_t>(out_size) * f.ksize, 0);
  std::vector<double> k(f.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = bilinear((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x)
      if (ww != 0.0) k[x] /= ww;
    for (int x = 0; x < xmax; ++x) {
      const double p = k[x] * (1 << kResamplePrecisionBits);
      f.coeff[static_cast<size_t>(xx) * f.ksize + x] = static_cast<int32_t>(p < 0 ? -0.5 + p : 0.5 + p);
    }
    f.first[xx] = xmin;
    f.count[xx] = std::max(xmax, 0);
  }
  return f;
}

Resampler::Resampler(const ResampleSpec& s) : spec_(s) {
  auto bad = [](const std::string& what) { return std::invalid_argument("Resampler: " + what); };
  if (s.in_w <= 0 || s.in_h <= 0) throw bad("empty input image");
  if (s.resized_w <= 0 || s.resized_h <= 0) throw bad("empty resized image");
  if (!(s.box_w > 0) || !(s.box_h > 0)) throw bad("empty box");
  if (s.out_w <= 0 || s.out_h <= 0 || s.left < 0 || s.top < 0 || s.left + s.out_w > s.resized_w ||
      s.top + s.out_h > s.resized_h)
    throw bad("crop window outside the resized image");
  if (s.bpp < 1 || s.bpp > 4 || s.channels < 1 || s.channels > s.bpp) throw bad("bad bpp/channels");

  hx_ = bilinear_axis(s.in_w, 0.0f, s.box_w, s.resized_w);
  vy_ = bilinear_axis(s.in_h, 0.0f, s.box_h, s.resized_h);
  row0_ = vy_.first[s.top];
  int end = row0_;
  for (int y = s.top; y < s.top + s.out_h; ++y) end = std::max(end, vy_.first[y] + vy_.count[y]);
  nrows_ = end - row0_;

  const int ch = s.channels;
  row_samples_ = s.out_w * ch;
  const int nblocks = (row_samples_ + kBlock - 1) / kBlock;
  tmp_stride_ = nblocks * kBlock;
  const int row_bytes = s.in_w * s.bpp;
  blocks_.resize(nblocks);
  for (int b = 0; b < nblocks; ++b) {
    Block& blk = blocks_[b];
    const int j0 = b * kBlock, j1 = std::min(j0 + kBlock, row_samples_);
    blk.base = hx_.first[s.left + j0 / ch] * s.bpp;
    int max_byte = blk.base;
    for (int j = j0; j < j1; ++j) {
      const int xx = s.left + j / ch, c = j % ch;
      blk.ntaps = std::max(blk.ntaps, hx_.count[xx]);
      if (hx_.count[xx] > 0) max_byte = std::max(max_byte, (hx_.first[xx] + hx_.count[xx] - 1) * s.bpp + c);
    }
    blk.simd = max_byte - blk.base < 128;
    blk.simd2 = build_avx2_windows(blk, j0, j1);
    const int avail = row_bytes - blk.base;
    blk.mask_lo = avail >= 64 ? ~0ull : (1ull << avail) - 1;
    blk.mask_hi = avail >= 128 ? ~0ull : avail > 64 ? (1ull << (avail - 64)) - 1 : 0ull;
    blk.table = static_cast<int>(pair_idx_.size() / kBlock);
    blk.table2 = static_cast<int>(pair_shuf_.size() / (2 * kBlock * 4));
    if (!blk.simd && !blk.simd2) continue;
    // Lane j, tap t: its byte in the row and its coefficient (-1 / 0 beyond the lane's taps).
    auto tap = [&](int j, int t, int* byte, int32_t* k) {
      *byte = -1;
      *k = 0;
      if (j >= j1) return;
      const int xx = s.left + j / ch, c = j % ch;
      if (t >= hx_.count[xx]) return;
      *byte = (hx_.first[xx] + t) * s.bpp + c;
      *k = hx_.coeff[static_cast<size_t>(xx) * hx_.ksize + t];
    };
    for (int t = 0; t < blk.ntaps; t += 2) {
      uint8_t shuf[2][4][16];
      for (int l = 0; l < kBlock; ++l) {
        int i0, i1;
        int32_t k0, k1;
        tap(j0 + l, t, &i0, &k0);
        tap(j0 + l, t + 1, &i1, &k1);
        // AVX-512: indices into the block's 128-byte window (0 for a missing tap, at weight 0). Only meaningful
        // when blk.simd; 16 bits hold them whenever it is.
        const auto in_block = [&](int i) { return i < 0 ? 0u : static_cast<uint32_t>(i - blk.base) & 0xffffu; };
        pair_idx_.push_back(in_block(i0) | (in_block(i1) << 16));
        // kh = k >> 15 (arithmetic) and kl = k & 0x7fff both fit int16 for |k| <= 2^22.
        pair_kh_.push_back(split_pair(k0 >> 15, k1 >> 15));
        pair_kl_.push_back(split_pair(k0 & 0x7fff, k1 & 0x7fff));
        // AVX2: per window half, the byte's index in that half or 0x80 (vpshufb writes 0).
        const int q = l / kQuarter, at = (l % kQuarter) * 4;
        for (int h = 0; h < 2; ++h) {
          const auto in_half = [&](int i) {
            const int r = i - blk.win[q] - 16 * h;
            return static_cast<uint8_t>(i >= 0 && blk.simd2 && r >= 0 && r < 16 ? r : 0x80);
          };
          shuf[h][q][at] = in_half(i0);
          shuf[h][q][at + 1] = 0x80;
          shuf[h][q][at + 2] = in_half(i1);
          shuf[h][q][at + 3] = 0x80;
        }
      }
      pair_shuf_.insert(pair_shuf_.end(), &shuf[0][0][0], &shuf[0][0][0] + sizeof shuf);
    }
  }
  build_vertical_pairs();
}

// The AVX2 windows of a block's quarters: each starts at its first byte read, moved left as far as needed to
// end inside the row. False when a quarter's bytes do not fit its window (or the row is shorter than one).
bool Resampler::build_avx2_windows(Block& blk, int j0, int j1) const {
  const int ch = spec_.channels, bpp = spec_.bpp, row_bytes = spec_.in_w * bpp;
  if (row_bytes < kWindow2) return false;
  for (int q = 0; q < kBlock / kQuarter; ++q) {
    int lo = row_bytes, hi = -1;
    for (int j = j0 + q * kQuarter; j < std::min(j0 + (q + 1) * kQuarter, j1); ++j) {
      const int xx = spec_.left + j / ch, c = j % ch;
      if (hx_.count[xx] <= 0) continue;
      lo = std::min(lo, hx_.first[xx] * bpp + c);
      hi = std::max(hi, (hx_.first[xx] + hx_.count[xx] - 1) * bpp + c);
    }
    blk.win[q] = hi < 0 ? 0 : std::min(lo, row_bytes - kWindow2);
    if (hi >= blk.win[q] + kWindow2) return false;
  }
  return true;
}

void Resampler::build_vertical_pairs() {
  vpairs_ = (vy_.ksize + 1) / 2;
  vpair_kh_.assign(static_cast<size_t>(spec_.out_h) * vpairs_, 0);
  vpair_kl_.assign(static_cast<size_t>(spec_.out_h) * vpairs_, 0);
  for (int yy = 0; yy < spec_.out_h; ++yy) {
    const int y = spec_.top + yy;
    const int32_t* k = vy_.coeff.data() + static_cast<size_t>(y) * vy_.ksize;
    for (int t = 0; t < vy_.count[y]; t += 2) {
      const int32_t k0 = k[t], k1 = t + 1 < vy_.count[y] ? k[t + 1] : 0;
      vpair_kh_[static_cast<size_t>(yy) * vpairs_ + t / 2] = split_pair(k0 >> 15, k1 >> 15);
      vpair_kl_[static_cast<size_t>(yy) * vpairs_ + t / 2] = split_pair(k0 & 0x7fff, k1 & 0x7fff);
    }
  }
}

double Resampler::simd_fraction() const {
  const SimdLevel level = simd_level();
  if (blocks_.empty() || level == SimdLevel::scalar) return 0.0;
  // At AVX-512, a block too wide for its permute window still takes the AVX2 kernel when that one fits.
  const auto n = std::count_if(blocks_.begin(), blocks_.end(), [level](const Block& b) {
    return b.simd2 || (level == SimdLevel::avx512 && b.simd);
  });
  return static_cast<double>(n) / static_cast<double>(blocks_.size());
}

void Resampler::run(const uint8_t* src, size_t src_stride, uint8_t* dst, size_t dst_stride,
                    std::vector<uint8_t>& scratch) const {
  const size_t need = static_cast<size_t>(nrows_) * tmp_stride_;
  if (scratch.size() < need) scratch.resize(need);
  const SimdLevel level = simd_level();
  horizontal(level, src, src_stride, scratch.data());
  vertical(level, scratch.data(), dst, dst_stride);
}

// ---- AVX-512 kernels -------------------------------------------------------------------------------------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vnni")
namespace {
namespace avx512 {

// acc + the pairwise int16 dot products of a and b, per 32-bit lane.
inline __m512i dot16(__m512i acc, __m512i a, __m512i b) { return _mm512_dpwssd_epi32(acc, a, b); }

// The rounding, shift and clip that end both passes: (2^15 * acc_h + acc_l) >> 22 clipped to 0..255, where
// acc_l started at Pillow's rounding term. 16 lanes -> 16 bytes.
inline __m128i finish(__m512i acc_h, __m512i acc_l) {
  const __m512i acc = _mm512_add_epi32(_mm512_slli_epi32(acc_h, 15), acc_l);
  return _mm512_cvtusepi32_epi8(
      _mm512_max_epi32(_mm512_srai_epi32(acc, kResamplePrecisionBits), _mm512_setzero_si512()));
}

// Horizontal pass of one block over all rows. Its NP tap pairs' index and coefficient vectors stay in registers
// (NP = 0: any count, read from memory). rows: the block's window start in the first row.
template <int NP>
void horizontal_block(const uint8_t* rows, size_t src_stride, int nrows, __mmask64 mask_lo, __mmask64 mask_hi,
                      int npairs, const uint32_t* idx, const uint32_t* kh, const uint32_t* kl, uint8_t* out,
                      size_t out_stride) {
  constexpr int R = NP > 0 ? NP : 1;
  __m512i I[R], H[R], L[R];
  if constexpr (NP > 0) {
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) {
      I[p] = _mm512_loadu_si512(idx + p * kBlock);
      H[p] = _mm512_loadu_si512(kh + p * kBlock);
      L[p] = _mm512_loadu_si512(kl + p * kBlock);
    }
  }
  const __m512i half = _mm512_set1_epi32(kHalf);
  for (int r = 0; r < nrows; ++r, rows += src_stride, out += out_stride) {
    const __m512i lo = _mm512_maskz_loadu_epi8(mask_lo, rows);
    const __m512i hi = _mm512_maskz_loadu_epi8(mask_hi, rows + 64);
    __m512i acc_h = _mm512_setzero_si512(), acc_l = half;
    // The window bytes of taps 2p and 2p + 1 go to the two 16-bit halves of each lane (high bytes zeroed).
    auto pair = [&](__m512i i, __m512i h, __m512i l) {
      const __m512i px = _mm512_maskz_permutex2var_epi8(0x5555555555555555ull, lo, i, hi);
      acc_h = dot16(acc_h, px, h);
      acc_l = dot16(acc_l, px, l);
    };
    if constexpr (NP > 0) {
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) pair(I[p], H[p], L[p]);
    } else {
      for (int p = 0; p < npairs; ++p)
        pair(_mm512_loadu_si512(idx + p * kBlock), _mm512_loadu_si512(kh + p * kBlock),
             _mm512_loadu_si512(kl + p * kBlock));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), finish(acc_h, acc_l));
  }
}

void horizontal(const uint8_t* rows, size_t src_stride, int nrows, __mmask64 mask_lo, __mmask64 mask_hi,
                int npairs, const uint32_t* idx, const uint32_t* kh, const uint32_t* kl, uint8_t* out,
                size_t out_stride) {
  switch (npairs) {
    case 1: return horizontal_block<1>(rows, src_stride, nrows, mask_lo, mask_hi, 1, idx, kh, kl, out, out_stride);
    case 2: return horizontal_block<2>(rows, src_stride, nrows, mask_lo, mask_hi, 2, idx, kh, kl, out, out_stride);
    case 3: return horizontal_block<3>(rows, src_stride, nrows, mask_lo, mask_hi, 3, idx, kh, kl, out, out_stride);
    case 4: return horizontal_block<4>(rows, src_stride, nrows, mask_lo, mask_hi, 4, idx, kh, kl, out, out_stride);
    default:
      return horizontal_block<0>(rows, src_stride, nrows, mask_lo, mask_hi, npairs, idx, kh, kl, out, out_stride);
  }
}

// Vertical pass of G consecutive blocks for one output row: the coefficient pair of each tap pair is broadcast
// once for the G blocks. rows: the first tap row at the first block; valid: samples of the last block to store.
template <int G>
void vertical_blocks(const uint8_t* rows, size_t stride, int n, const uint32_t* kh, const uint32_t* kl,
                     uint8_t* out, int valid_last) {
  // Byte l of row t to byte 4l, byte l of row t + 1 (index 64 + l) to byte 4l + 2.
  alignas(64) static const uint8_t kPairIndex[64] = {
#define PAIR(l) static_cast<uint8_t>(l), 0, static_cast<uint8_t>(64 + (l)), 0
      PAIR(0), PAIR(1), PAIR(2),  PAIR(3),  PAIR(4),  PAIR(5),  PAIR(6),  PAIR(7),
      PAIR(8), PAIR(9), PAIR(10), PAIR(11), PAIR(12), PAIR(13), PAIR(14), PAIR(15),
#undef PAIR
  };
  const __m512i pair_index = _mm512_load_si512(kPairIndex);
  __m512i AH[G], AL[G];
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g) {
    AH[g] = _mm512_setzero_si512();
    AL[g] = _mm512_set1_epi32(kHalf);
  }
  for (int t = 0; t < n; t += 2) {
    const uint8_t* r0 = rows + static_cast<size_t>(t) * stride;
    const uint8_t* r1 = t + 1 < n ? r0 + stride : r0;  // a lone last tap pairs with itself, at weight 0
    const __m512i h = _mm512_set1_epi32(static_cast<int>(kh[t / 2]));
    const __m512i l = _mm512_set1_epi32(static_cast<int>(kl[t / 2]));
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      const __m512i a = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + g * kBlock)));
      const __m512i c = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r1 + g * kBlock)));
      const __m512i px = _mm512_maskz_permutex2var_epi8(0x5555555555555555ull, a, pair_index, c);
      AH[g] = dot16(AH[g], px, h);
      AL[g] = dot16(AL[g], px, l);
    }
  }
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g) {
    const __m128i v = finish(AH[g], AL[g]);
    if (g + 1 < G || valid_last == kBlock)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + g * kBlock), v);
    else
      _mm_mask_storeu_epi8(out + g * kBlock, static_cast<__mmask16>((1u << valid_last) - 1), v);
  }
}

// One output row: groups of 4 blocks. valid: samples in the row.
void vertical_row(const uint8_t* rows, size_t stride, int n, const uint32_t* kh, const uint32_t* kl, uint8_t* out,
                  int nblocks, int valid) {
  for (int b = 0; b < nblocks; b += 4) {
    const int g = std::min(4, nblocks - b);
    const int last = std::min(kBlock, valid - (b + g - 1) * kBlock);
    const uint8_t* r = rows + b * kBlock;
    uint8_t* o = out + b * kBlock;
    switch (g) {
      case 4: vertical_blocks<4>(r, stride, n, kh, kl, o, last); break;
      case 3: vertical_blocks<3>(r, stride, n, kh, kl, o, last); break;
      case 2: vertical_blocks<2>(r, stride, n, kh, kl, o, last); break;
      default: vertical_blocks<1>(r, stride, n, kh, kl, o, last); break;
    }
  }
}

}  // namespace avx512
}  // namespace
#pragma GCC pop_options

// ---- AVX2 kernels ----------------------------------------------------------------------------------------------
#pragma GCC push_options
#pragma GCC target("avx2")
namespace {
namespace avx2 {

// (2^15 * acc_h + acc_l) >> 22 clipped to 0..255 (vpackssdw, vpackuswb saturate), 8 lanes -> the low 8 bytes.
inline __m128i finish(__m256i acc_h, __m256i acc_l) {
  const __m256i v =
      _mm256_srai_epi32(_mm256_add_epi32(_mm256_slli_epi32(acc_h, 15), acc_l), kResamplePrecisionBits);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return _mm_packus_epi16(w, w);
}

inline __m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Horizontal pass of 8 samples (two quarters) over all rows; NP as in avx512::horizontal_block. first: the
// first row; win_lo / win_hi: the quarters' window starts; shuf, kh, kl: the half's entries of tap pair 0.
template <int NP>
void horizontal_half(const uint8_t* first, size_t src_stride, int nrows, int win_lo, int win_hi, int npairs,
                     const uint8_t* shuf, const uint32_t* kh, const uint32_t* kl, uint8_t* out, size_t out_stride) {
  constexpr int R = NP > 0 ? NP : 1;
  constexpr int kShufPair = 2 * 4 * 16;  // bytes of shuffles per tap pair
  __m256i SA[R], SB[R], H[R], L[R];
  if constexpr (NP > 0) {
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) {
      SA[p] = load(shuf + p * kShufPair);
      SB[p] = load(shuf + p * kShufPair + 64);
      H[p] = load(kh + p * kBlock);
      L[p] = load(kl + p * kBlock);
    }
  }
  const __m256i half = _mm256_set1_epi32(kHalf);
  for (int r = 0; r < nrows; ++r, first += src_stride, out += out_stride) {
    auto window = [&](int off) {
      return _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(first + win_hi + off),
                                 reinterpret_cast<const __m128i*>(first + win_lo + off));
    };
    const __m256i a = window(0), b = window(16);
    __m256i acc_h = _mm256_setzero_si256(), acc_l = half;
    auto pair = [&](__m256i sa, __m256i sb, __m256i h, __m256i l) {
      const __m256i px = _mm256_or_si256(_mm256_shuffle_epi8(a, sa), _mm256_shuffle_epi8(b, sb));
      acc_h = _mm256_add_epi32(acc_h, _mm256_madd_epi16(px, h));
      acc_l = _mm256_add_epi32(acc_l, _mm256_madd_epi16(px, l));
    };
    if constexpr (NP > 0) {
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) pair(SA[p], SB[p], H[p], L[p]);
    } else {
      for (int p = 0; p < npairs; ++p)
        pair(load(shuf + p * kShufPair), load(shuf + p * kShufPair + 64), load(kh + p * kBlock), load(kl + p * kBlock));
    }
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), finish(acc_h, acc_l));
  }
}

// One block over all rows: its two halves.
void horizontal(const uint8_t* first, size_t src_stride, int nrows, const int* win, int npairs, const uint8_t* shuf,
                const uint32_t* kh, const uint32_t* kl, uint8_t* out, size_t out_stride) {
  for (int h = 0; h < 2; ++h) {
    const int lo = win[2 * h], hi = win[2 * h + 1];
    const uint8_t* s = shuf + 32 * h;
    const uint32_t *H = kh + 8 * h, *L = kl + 8 * h;
    uint8_t* o = out + 8 * h;
    switch (npairs) {
      case 1: horizontal_half<1>(first, src_stride, nrows, lo, hi, 1, s, H, L, o, out_stride); break;
      case 2: horizontal_half<2>(first, src_stride, nrows, lo, hi, 2, s, H, L, o, out_stride); break;
      case 3: horizontal_half<3>(first, src_stride, nrows, lo, hi, 3, s, H, L, o, out_stride); break;
      default: horizontal_half<0>(first, src_stride, nrows, lo, hi, npairs, s, H, L, o, out_stride); break;
    }
  }
}

// Vertical pass of G consecutive blocks (16 samples each) for one output row, as avx512::vertical_blocks.
template <int G>
void vertical_blocks(const uint8_t* rows, size_t stride, int n, const uint32_t* kh, const uint32_t* kl,
                     uint8_t* out, int valid_last) {
  __m256i AH[2 * G], AL[2 * G];
#pragma GCC unroll 4
  for (int g = 0; g < 2 * G; ++g) {
    AH[g] = _mm256_setzero_si256();
    AL[g] = _mm256_set1_epi32(kHalf);
  }
  for (int t = 0; t < n; t += 2) {
    const uint8_t* r0 = rows + static_cast<size_t>(t) * stride;
    const uint8_t* r1 = t + 1 < n ? r0 + stride : r0;  // a lone last tap pairs with itself, at weight 0
    const __m256i h = _mm256_set1_epi32(static_cast<int>(kh[t / 2]));
    const __m256i l = _mm256_set1_epi32(static_cast<int>(kl[t / 2]));
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + g * kBlock));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r1 + g * kBlock));
      // Samples 0-7 and 8-15 as (row t, row t + 1) 16-bit pairs.
      const __m256i p0 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a, c));
      const __m256i p1 = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(a, c));
      AH[2 * g] = _mm256_add_epi32(AH[2 * g], _mm256_madd_epi16(p0, h));
      AL[2 * g] = _mm256_add_epi32(AL[2 * g], _mm256_madd_epi16(p0, l));
      AH[2 * g + 1] = _mm256_add_epi32(AH[2 * g + 1], _mm256_madd_epi16(p1, h));
      AL[2 * g + 1] = _mm256_add_epi32(AL[2 * g + 1], _mm256_madd_epi16(p1, l));
    }
  }
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g) {
    const __m128i v = _mm_unpacklo_epi64(finish(AH[2 * g], AL[2 * g]), finish(AH[2 * g + 1], AL[2 * g + 1]));
    if (g + 1 < G || valid_last == kBlock) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + g * kBlock), v);
    } else {
      alignas(16) uint8_t last[kBlock];
      _mm_store_si128(reinterpret_cast<__m128i*>(last), v);
      std::memcpy(out + g * kBlock, last, static_cast<size_t>(valid_last));
    }
  }
}

// One output row: groups of 2 blocks. valid: samples in the row.
void vertical_row(const uint8_t* rows, size_t stride, int n, const uint32_t* kh, const uint32_t* kl, uint8_t* out,
                  int nblocks, int valid) {
  for (int b = 0; b < nblocks; b += 2) {
    const int g = std::min(2, nblocks - b);
    const int last = std::min(kBlock, valid - (b + g - 1) * kBlock);
    if (g == 2)
      vertical_blocks<2>(rows + b * kBlock, stride, n, kh, kl, out + b * kBlock, last);
    else
      vertical_blocks<1>(rows + b * kBlock, stride, n, kh, kl, out + b * kBlock, last);
  }
}

}  // namespace avx2
}  // namespace
#pragma GCC pop_options

// ---- passes ----------------------------------------------------------------------------------------------------

// tmp: [nrows_, tmp_stride_] 8-bit intermediate, interleaved samples of the cropped columns. Block by block
// (outer) over all rows (inner), so that a block's tables are loaded once per image.
void Resampler::horizontal(SimdLevel level, const uint8_t* src, size_t src_stride, uint8_t* tmp) const {
  const uint8_t* first = src + static_cast<size_t>(row0_) * src_stride;
  const size_t os = static_cast<size_t>(tmp_stride_);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    uint8_t* out = tmp + b * kBlock;
    const Block& blk = blocks_[b];
    const size_t at = static_cast<size_t>(blk.table) * kBlock;
    const int npairs = (blk.ntaps + 1) / 2;
    const uint32_t *kh = pair_kh_.data() + at, *kl = pair_kl_.data() + at;
    if (level == SimdLevel::avx512 && blk.simd) {
      avx512::horizontal(first + blk.base, src_stride, nrows_, blk.mask_lo, blk.mask_hi, npairs,
                         pair_idx_.data() + at, kh, kl, out, os);
    } else if (level >= SimdLevel::avx2 && blk.simd2) {
      const uint8_t* shuf = pair_shuf_.data() + static_cast<size_t>(blk.table2) * (2 * kBlock * 4);
      avx2::horizontal(first, src_stride, nrows_, blk.win, npairs, shuf, kh, kl, out, os);
    } else {
      horizontal_portable(b, first, src_stride, out);
    }
  }
}

// Pillow's horizontal loop for the samples of block b, over all rows.
void Resampler::horizontal_portable(size_t b, const uint8_t* first, size_t src_stride, uint8_t* out) const {
  const int ch = spec_.channels, bpp = spec_.bpp, left = spec_.left, ks = hx_.ksize;
  const int j0 = static_cast<int>(b) * kBlock, j1 = std::min(j0 + kBlock, row_samples_);
  for (int r = 0; r < nrows_; ++r, out += tmp_stride_) {
    const uint8_t* row = first + static_cast<size_t>(r) * src_stride;
    for (int j = j0; j < j1; ++j) {
      const int xx = left + j / ch, c = j % ch;
      const int32_t* k = hx_.coeff.data() + static_cast<size_t>(xx) * ks;
      const uint8_t* p = row + static_cast<size_t>(hx_.first[xx]) * bpp + c;
      int32_t acc = kHalf;
      for (int t = 0; t < hx_.count[xx]; ++t) acc += int32_t(p[t * bpp]) * k[t];
      out[j - j0] = clip8(acc);
    }
    for (int j = j1; j < j0 + kBlock; ++j) out[j - j0] = 0;
  }
}

void Resampler::vertical(SimdLevel level, const uint8_t* tmp, uint8_t* dst, size_t dst_stride) const {
  const int nblocks = static_cast<int>(blocks_.size());
  const size_t st = static_cast<size_t>(tmp_stride_);
  for (int yy = 0; yy < spec_.out_h; ++yy) {
    const int y = spec_.top + yy;
    const int n = vy_.count[y];
    const uint8_t* rows = tmp + static_cast<size_t>(vy_.first[y] - row0_) * tmp_stride_;
    uint8_t* out = dst + static_cast<size_t>(yy) * dst_stride;
    const uint32_t* kh = vpair_kh_.data() + static_cast<size_t>(yy) * vpairs_;
    const uint32_t* kl = vpair_kl_.data() + static_cast<size_t>(yy) * vpairs_;
    switch (level) {
      case SimdLevel::avx512: avx512::vertical_row(rows, st, n, kh, kl, out, nblocks, row_samples_); break;
      case SimdLevel::avx2: avx2::vertical_row(rows, st, n, kh, kl, out, nblocks, row_samples_); break;
      case SimdLevel::scalar: vertical_portable(yy, rows, out); break;
    }
  }
}

// Pillow's vertical loop for output row yy, 16 samples at a time.
void Resampler::vertical_portable(int yy, const uint8_t* rows, uint8_t* out) const {
  const int y = spec_.top + yy, n = vy_.count[y];
  const int32_t* k = vy_.coeff.data() + static_cast<size_t>(y) * vy_.ksize;
  for (int b = 0; b < static_cast<int>(blocks_.size()); ++b) {
    const int valid = std::min(kBlock, row_samples_ - b * kBlock);
    int32_t acc[kBlock];
    for (int l = 0; l < kBlock; ++l) acc[l] = kHalf;
    const uint8_t* p = rows + b * kBlock;
    for (int t = 0; t < n; ++t)
      for (int l = 0; l < kBlock; ++l) acc[l] += int32_t(p[t * tmp_stride_ + l]) * k[t];
    for (int l = 0; l < valid; ++l) out[b * kBlock + l] = clip8(acc[l]);
  }
}

void resample_reference(const ResampleSpec& s, const uint8_t* src, size_t src_stride, uint8_t* dst,
                        size_t dst_stride) {
  const int ch = s.channels;
  const AxisFilter hx = bilinear_axis(s.in_w, 0.0f, s.box_w, s.resized_w);
  const AxisFilter vy = bilinear_axis(s.in_h, 0.0f, s.box_h, s.resized_h);
  // ImagingResampleInner's tests, including its comparison of the box's right edge with the output size.
  const bool need_h = s.resized_w != s.in_w || s.box_w != static_cast<float>(s.resized_w);
  const bool need_v = s.resized_h != s.in_h || s.box_h != static_cast<float>(s.resized_h);
  const int y_first = vy.first[0];
  const int y_last = vy.first[s.resized_h - 1] + vy.count[s.resized_h - 1];

  // Source as a plain [h][w][ch] image.
  std::vector<uint8_t> img(static_cast<size_t>(s.in_w) * s.in_h * ch);
  for (int y = 0; y < s.in_h; ++y)
    for (int x = 0; x < s.in_w; ++x)
      for (int c = 0; c < ch; ++c)
        img[(static_cast<size_t>(y) * s.in_w + x) * ch + c] = src[y * src_stride + static_cast<size_t>(x) * s.bpp + c];
  int cur_w = s.in_w, cur_h = s.in_h, shift = 0;
  if (need_h) {
    std::vector<uint8_t> tmp(static_cast<size_t>(s.resized_w) * (y_last - y_first) * ch);
    for (int y = y_first; y < y_last; ++y)
      for (int xx = 0; xx < s.resized_w; ++xx)
        for (int c = 0; c < ch; ++c) {
          int32_t acc = kHalf;
          for (int t = 0; t < hx.count[xx]; ++t)
            acc += int32_t(img[(static_cast<size_t>(y) * cur_w + hx.first[xx] + t) * ch + c]) *
                   hx.coeff[static_cast<size_t>(xx) * hx.ksize + t];
          tmp[(static_cast<size_t>(y - y_first) * s.resized_w + xx) * ch + c] = clip8(acc);
        }
    img.swap(tmp);
    cur_w = s.resized_w;
    cur_h = y_last - y_first;
    shift = y_first;
  }
  if (need_v) {
    std::vector<uint8_t> out(static_cast<size_t>(cur_w) * s.resized_h * ch);
    for (int yy = 0; yy < s.resized_h; ++yy)
      for (int x = 0; x < cur_w; ++x)
        for (int c = 0; c < ch; ++c) {
          int32_t acc = kHalf;
          for (int t = 0; t < vy.count[yy]; ++t)
            acc += int32_t(img[(static_cast<size_t>(vy.first[yy] - shift + t) * cur_w + x) * ch + c]) *
                   vy.coeff[static_cast<size_t>(yy) * vy.ksize + t];
          out[(static_cast<size_t>(yy) * cur_w + x) * ch + c] = clip8(acc);
        }
    img.swap(out);
    cur_h = s.resized_h;
    shift = 0;
  }
  // Without a vertical pass the rows kept are the original ones; the crop's rows index the full image.
  for (int y = 0; y < s.out_h; ++y)
    for (int x = 0; x < s.out_w; ++x)
      for (int c = 0; c < ch; ++c)
        dst[y * dst_stride + static_cast<size_t>(x) * ch + c] =
            img[(static_cast<size_t>(s.top + y - shift) * cur_w + s.left + x) * ch + c];
  (void)cur_h;
}

}  // namespace pipeline
