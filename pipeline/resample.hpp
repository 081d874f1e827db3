// Pillow-exact antialiased bilinear resize (libImaging/Resample.c, 8 bits per channel) fused with a crop.
//
// Pillow's algorithm, which we reproduce bit for bit:
//   - per axis, precompute_coeffs(): scale = box / out, support = 1 * max(scale, 1), for output i the input
//     window [int(center - support + 0.5), int(center + support + 0.5)) clipped to the image, weights
//     bilinear((x - center + 0.5) / max(scale, 1)) normalised to sum 1 in double, then
//     normalize_coeffs_8bpc(): rounded to fixed point with PRECISION_BITS = 22 fraction bits;
//   - horizontal pass first, over only the input rows the vertical pass will read, each sample
//     (1 << 21) + sum(pixel * coeff) >> 22 clipped to 0..255 (an 8-bit intermediate image), then the
//     vertical pass on that intermediate with the same rounding.
// Each output sample depends only on its own coefficients, so computing just the samples that survive the
// crop gives the same bytes as resizing everything and cropping afterwards (resample_reference does the latter).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pipeline/cpu_dispatch.hpp"

namespace pipeline {

inline constexpr int kResamplePrecisionBits = 22;  // Pillow's PRECISION_BITS = 32 - 8 - 2

// One axis of Pillow's coefficients for the bilinear filter (support 1).
struct AxisFilter {
  int in_size = 0;             // input samples available
  int out_size = 0;            // output samples
  int ksize = 0;               // coefficient slots per output sample
  std::vector<int> first;      // [out_size] first input sample read
  std::vector<int> count;      // [out_size] input samples read (<= ksize)
  std::vector<int32_t> coeff;  // [out_size, ksize] fixed point, kResamplePrecisionBits fraction bits
};

// Pillow's precompute_coeffs(in_size, in0, in1, out_size, BILINEAR) + normalize_coeffs_8bpc.
// [in0, in1) is the box along this axis in input pixels; float, as Pillow takes it.
AxisFilter bilinear_axis(int in_size, float in0, float in1, int out_size);

// Resize the box (0, 0, box_w, box_h) of an in_w x in_h image to resized_w x resized_h, then keep the
// out_w x out_h window at (left, top) of the result.
struct ResampleSpec {
  int in_w = 0, in_h = 0;            // input image size in pixels
  float box_w = 0, box_h = 0;        // box extent in input pixels (normally in_w, in_h; fractional after DCT scaling)
  int resized_w = 0, resized_h = 0;  // size after the resize
  int left = 0, top = 0;             // crop offset within the resized image
  int out_w = 0, out_h = 0;          // crop size
  int bpp = 3;                       // bytes per input pixel
  int channels = 3;                  // leading bytes of each input pixel that are resampled (1..4, <= bpp)
};

// A resampling plan: coefficients and kernel tables for one ResampleSpec, built once and reused for every
// image of that size. run() takes the kernels of simd_level() (cpu_dispatch.hpp), all bit-identical; it is const
// and allocation-free once `scratch` has grown; share a Resampler between threads freely, but give each thread
// its own scratch.
class Resampler {
 public:
  explicit Resampler(const ResampleSpec& spec);  // throws std::invalid_argument for an inconsistent spec
  const ResampleSpec& spec() const { return spec_; }

  // src: [in_h rows of src_stride bytes], pixels of bpp bytes; dst: [out_h rows of dst_stride bytes], each
  // row out_w * channels samples interleaved. scratch: the 8-bit intermediate image, grown as needed.
  void run(const uint8_t* src, size_t src_stride, uint8_t* dst, size_t dst_stride, std::vector<uint8_t>& scratch) const;

  // Input rows [first_row, end_row) are the only ones run() reads.
  int first_row() const { return row0_; }
  int end_row() const { return row0_ + nrows_; }
  // Fraction of horizontal output blocks that the active SIMD level's kernel computes (the others are too wide
  // for its window and take the portable loop); 0 at SimdLevel::scalar.
  double simd_fraction() const;

 private:
  // A block of 16 consecutive interleaved output samples of one intermediate row.
  struct Block {
    int base = 0;         // first input byte of the row the block reads
    int ntaps = 0;        // taps of the widest sample in the block
    int table = 0;        // offset of this block's [(ntaps + 1) / 2][16] tap-pair entries in pair_idx_ / pair_kh_ / pair_kl_
    int table2 = 0;       // offset of its [(ntaps + 1) / 2] entries of 128 bytes in pair_shuf_
    bool simd = false;    // all bytes read lie in [base, base + 128): the AVX-512 permute kernel applies
    bool simd2 = false;   // each quarter's bytes lie in its 32-byte window win[q]: the AVX2 shuffle kernel applies
    uint64_t mask_lo = 0; // bytes of [base, base + 64) inside the row (masked load: never read past it)
    uint64_t mask_hi = 0; // bytes of [base + 64, base + 128) inside the row
    int win[4] = {};      // per quarter (4 samples): first byte of its 32-byte window, always inside the row
  };

  void horizontal(SimdLevel level, const uint8_t* src, size_t src_stride, uint8_t* tmp) const;
  void horizontal_portable(size_t b, const uint8_t* first, size_t src_stride, uint8_t* out) const;
  void vertical(SimdLevel level, const uint8_t* tmp, uint8_t* dst, size_t dst_stride) const;
  void vertical_portable(int yy, const uint8_t* rows, uint8_t* out) const;
  bool build_avx2_windows(Block& blk, int j0, int j1) const;
  void build_vertical_pairs();

  ResampleSpec spec_;
  AxisFilter hx_, vy_;
  int row0_ = 0, nrows_ = 0;  // input rows the horizontal pass computes
  int row_samples_ = 0;       // out_w * channels
  int tmp_stride_ = 0;        // intermediate row pitch: blocks * 16
  std::vector<Block> blocks_;
  // Per tap pair (t, t + 1) and lane, two 16-bit halves: byte indices into the block's 128-byte window, and the
  // coefficient split as k = kh * 2^15 + kl (0 for padding lanes and missing taps), so that int16 dot products
  // (vpdpwssd, vpmaddwd) accumulate exactly Pillow's 32-bit sum: sum(p * k) = 2^15 * sum(p * kh) + sum(p * kl).
  std::vector<uint32_t> pair_idx_;  // [pair entries][16]
  std::vector<uint32_t> pair_kh_;   // [pair entries][16]
  std::vector<uint32_t> pair_kl_;   // [pair entries][16]
  // The AVX2 kernel's byte shuffles (vpshufb) per tap pair: [window half: bytes 0-15, 16-31][quarter][lane: 4
  // bytes, tap 2p's byte, 0, tap 2p + 1's byte, 0], 0x80 (zero) for a byte outside that half or a missing tap.
  std::vector<uint8_t> pair_shuf_;  // [pair entries][2][4][16]
  // The same split for the vertical pass, per cropped output row and tap pair (one value broadcast to all lanes).
  int vpairs_ = 0;                  // tap pairs per output row: (vy_.ksize + 1) / 2
  std::vector<uint32_t> vpair_kh_;  // [out_h][vpairs_]
  std::vector<uint32_t> vpair_kl_;  // [out_h][vpairs_]
};

// The plain reference: Pillow's two passes over the whole resized image (skipping a pass whose size does not
// change, as ImagingResampleInner does), scalar, then the crop. Used by tests to check Resampler::run.
void resample_reference(const ResampleSpec& spec, const uint8_t* src, size_t src_stride, uint8_t* dst,
                        size_t dst_stride);

}  // namespace pipeline
