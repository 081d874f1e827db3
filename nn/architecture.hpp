// The DCGAN architecture rule for any power-of-two image size S from 32 to 256: the one place layer counts,
// channel widths and spatial sizes are derived from (S, nz, ngf, ndf, nc). At S = 64 it is the PyTorch tutorial's.
//
// The rule (Radford et al. 2015; the tutorial's networks; the common 128-px variants): with L = log2(S) - 1
// convolutions per network,
//   G: ConvTranspose2d(nz -> ngf * 2^(L-2), 4, 1, 0) to 4x4, then L - 2 blocks of ConvTranspose2d(4, 2, 1) +
//      BatchNorm + ReLU, each doubling the side and halving the channels down to ngf, then
//      ConvTranspose2d(ngf -> nc, 4, 2, 1) + Tanh to S x S;
//   D: the mirror: Conv2d(nc -> ndf, 4, 2, 1) + LeakyReLU(0.2) (no BatchNorm), then L - 2 blocks of
//      Conv2d(4, 2, 1) + BatchNorm + LeakyReLU(0.2) doubling the channels up to ndf * 2^(L-2) at 4x4, then
//      Conv2d(-> 1, 4, 1, 0) and Sigmoid.
// state_dict names follow nn.Sequential's numbering: G's convolution i is main.{3i} (BatchNorm main.{3i+1}); D's is
// main.0, then main.{3i-1} (BatchNorm main.{3i}). The layer tables and parameter counts are in nn/README.md.
#pragma once
#include "nn/convolution.hpp"

#include <cstdint>
#include <string>

namespace nn {

inline constexpr int kMinImageSize = 32;
inline constexpr int kMaxImageSize = 256;

// 32, 64, 128 or 256.
constexpr bool supported_image_size(int s) {
  return s >= kMinImageSize && s <= kMaxImageSize && (s & (s - 1)) == 0;
}

// Convolutions per network: log2(S) - 1 (5 at 64).
constexpr int layer_count(int image_size) {
  int l = -1;
  for (int s = image_size; s > 1; s >>= 1) ++l;
  return l;
}

// The widest layer of a network with `feature_maps` (ngf or ndf) at this size: feature_maps * 2^(L-2).
constexpr int64_t widest_channels(int feature_maps, int image_size) {
  return int64_t{feature_maps} << (layer_count(image_size) - 2);
}

// Geometry of G's layer i (0 <= i < L): noise [B, nz, 1, 1] -> image [B, nc, S, S].
inline ConvGeometry generator_layer(int64_t batch, int nz, int ngf, int nc, int image_size, int i) {
  const int last = layer_count(image_size) - 1;
  const int64_t in = i == 0 ? nz : widest_channels(ngf, image_size) >> (i - 1);
  const int64_t out = i == last ? nc : widest_channels(ngf, image_size) >> i;
  const int64_t in_size = i == 0 ? 1 : int64_t{4} << (i - 1);
  return {batch, in, out, in_size, int64_t{4} << i, 4, i == 0 ? 1 : 2, i == 0 ? 0 : 1};
}

// Geometry of D's layer i: image [B, nc, S, S] -> logit [B, 1, 1, 1].
inline ConvGeometry discriminator_layer(int64_t batch, int nc, int ndf, int image_size, int i) {
  const int last = layer_count(image_size) - 1;
  const int64_t in = i == 0 ? nc : int64_t{ndf} << (i - 1);
  const int64_t out = i == last ? 1 : int64_t{ndf} << i;
  const int64_t in_size = int64_t{image_size} >> i;
  return {batch, in, out, in_size, i == last ? 1 : in_size / 2, 4, i == last ? 1 : 2, i == last ? 0 : 1};
}

// state_dict prefixes of layer i's convolution and of the BatchNorm after it.
inline std::string generator_conv_name(int i) { return "main." + std::to_string(3 * i); }
inline std::string generator_bn_name(int i) { return "main." + std::to_string(3 * i + 1); }
inline std::string discriminator_conv_name(int i) { return "main." + std::to_string(i == 0 ? 0 : 3 * i - 1); }
inline std::string discriminator_bn_name(int i) { return "main." + std::to_string(3 * i); }

}  // namespace nn
