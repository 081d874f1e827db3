// Transform: encoded JPEG/PNG or decoded pixels -> torchvision Resize(S), CenterCrop(S) [, ToTensor, Normalize] as CHW.
//
// Semantics are those of torchvision 0.14 + Pillow 9.4 on a PIL image:
//   Resize(S): shorter side -> S, longer -> int(S * long / short), Pillow's antialiased bilinear
//              (libImaging/Resample.c: fixed-point coefficients, horizontal pass then vertical, uint8 in between);
//   CenterCrop(S): offsets int(round((h - S) / 2)) (Python round, half to even);
//   ToTensor + Normalize(mean, std): x = (u / 255.f - mean) / std in float32.
// ResizeMode::exact decodes at full size and is bit-identical to torchvision+PIL; ResizeMode::fast decodes JPEGs at
// the largest DCT reduction (1/2, 1/4, 1/8, like PIL's draft()) that keeps 5/4 of the resized size, then applies the
// same filter (CelebA 178x218 -> 1/2; mean absolute difference from torchvision ~0.8 levels of 255).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>

#include "pipeline/rejected_input.hpp"

namespace pipeline {

enum class ResizeMode { fast, exact };

struct TransformOptions {
  int size = 64;                      // S: Resize(S) then CenterCrop(S)
  int channels = 3;                   // 3: RGB as PIL convert('RGB'); 1: grayscale as PIL convert('L')
  ResizeMode mode = ResizeMode::fast; // exact: full-size decode, bit-identical to torchvision+PIL
  int64_t max_pixels = 50'000'000;    // refuse larger declared sizes (JPEG bombs) before allocating
};

// The image container a byte buffer holds, detected from its signature (never from a file name).
enum class ImageFormat { unknown, jpeg, png };
ImageFormat detect_format(std::span<const uint8_t> bytes);

// The size an encoded image declares in its header, read without decoding pixels.
struct ImageHeader {
  ImageFormat format = ImageFormat::unknown;
  int width = 0;
  int height = 0;
};
// Throws RejectedInput when the bytes are not a JPEG/PNG or the header is unreadable.
ImageHeader probe_header(std::span<const uint8_t> bytes);

class Transform {  // one per worker thread: owns a JPEG decoder and scratch buffers; not thread-safe
 public:
  explicit Transform(const TransformOptions&);  // validates: std::invalid_argument naming --size / --channels / --max-pixels
  ~Transform();
  Transform(Transform&&) noexcept;
  Transform& operator=(Transform&&) noexcept;
  Transform(const Transform&) = delete;
  Transform& operator=(const Transform&) = delete;

  const TransformOptions& options() const;
  size_t output_elems() const;  // channels * size * size

  // Encoded JPEG or PNG (detected from the bytes, not the name) -> dst uint8 [C,S,S] CHW: the PIL pixels after CenterCrop.
  // Throws RejectedInput for zero-byte, truncated or corrupt data, non-images, a declared size > max_pixels, or an
  // absurd aspect ratio; the Transform stays usable for the next input.
  void encoded(std::span<const uint8_t> bytes, uint8_t* dst);
  // Same with ToTensor+Normalize fused: dst float [C,S,S] = (u/255.f - mean)/std, computed exactly like torchvision in
  // float32. std == 0 is std::invalid_argument.
  void encoded(std::span<const uint8_t> bytes, float* dst, float mean = 0.5f, float std = 0.5f);
  // Decoded 8-bit pixels (IDX files): src [h,w,src_channels] interleaved, src_channels 1 (L), 2 (LA), 3 (RGB) or
  // 4 (RGBA), converted as PIL's convert() would. Bad arguments are std::invalid_argument.
  void pixels(const uint8_t* src, int w, int h, int src_channels, uint8_t* dst);
  void pixels(const uint8_t* src, int w, int h, int src_channels, float* dst, float mean = 0.5f, float std = 0.5f);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipeline
