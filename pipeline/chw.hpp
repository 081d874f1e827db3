// The fused last pass of the transform: interleaved HWC uint8 -> planar CHW uint8, or torchvision's
// ToTensor + Normalize in float32, in one pass over the cropped pixels.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pipeline {

// in: [npx, k] interleaved samples (k = 1 or 3); dst: [C, npx]. k == 1 with C == 3 replicates grey into the
// three planes, as PIL's convert('RGB') of an "L" image does (resizing commutes with it).
void to_chw(const uint8_t* in, int k, int C, size_t npx, uint8_t* dst);

// The same with dst = (u / 255 - mean) / std in float32, one IEEE rounding per operation: exactly torchvision
// 0.14's ToTensor (img.float().div(255)) followed by Normalize (sub_(mean).div_(std)). std must not be 0.
void to_chw_normalized(const uint8_t* in, int k, int C, size_t npx, float* dst, float mean, float std);

}  // namespace pipeline
