// Which precision each convolution layer of G and D computes in, and the layout of the image tensors.
//
// THE table to edit after measuring (bench/bench_nn.cpp times every layer's three passes in f32 and bf16).
// Under --precision bf16 a layer listed bf16 runs its convolution, and the BatchNorm and activation after it, on
// bf16 tensors (oneDNN jit_bf16:avx512_core_bf16); master weights, Adam moments, weight gradients, BN
// gamma/beta and statistics stay f32. Where neighbouring layers differ, one reorder converts the activation
// (and one its gradient). Under --precision f32 everything is f32.
#pragma once
#include "nn/context.hpp"
#include "nn/memory.hpp"

#include <array>

namespace nn {

constexpr int kLayers = 5;  // convolutions per network: G main.0,3,6,9,12; D main.0,2,5,8,11

struct PrecisionPlan {
  std::array<Precision, kLayers> generator;      // G's ConvTranspose2d layers 0..4 (+ their BN/activation)
  std::array<Precision, kLayers> discriminator;  // D's Conv2d layers 0..4 (+ their BN/activation)
};

// Under --precision bf16. Thin layers stay f32: G's first (a GEMM with K = nz on a 1x1 input) and last
// (ngf -> nc = 3 output channels, which fill a fraction of bf16's 16-channel blocks), D's first (nc = 3 input
// channels) and last (8ndf -> 1 channel on 4x4). The middle layers carry almost all of the ~294 GFLOP per step.
inline constexpr PrecisionPlan kBf16Plan = {
    {Precision::f32, Precision::bf16, Precision::bf16, Precision::bf16, Precision::f32},
    {Precision::f32, Precision::bf16, Precision::bf16, Precision::bf16, Precision::f32},
};

// G's output and D's input [B, nc, 64, 64]: plain NCHW. It is the host's layout (real batches need no
// reorder when D's first layer is f32), and oneDNN 2.6 runs the nc = 3 side of the thin layers faster on
// plain NCHW than on 16-channel blocks padded from 3 (gemm deconvolution forward, gemm backward-data).
inline constexpr tag kImageLayout = tag::nchw;

inline PrecisionPlan plan_for(Precision model) {
  if (model == Precision::bf16) return kBf16Plan;
  PrecisionPlan p;
  p.generator.fill(Precision::f32);
  p.discriminator.fill(Precision::f32);
  return p;
}

}  // namespace nn
