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

#include <vector>

namespace nn {

// One entry per convolution layer (nn/architecture.hpp: layer_count(S), 5 at 64), input side first.
struct PrecisionPlan {
  std::vector<Precision> generator;      // G's ConvTranspose2d layers (+ their BN/activation)
  std::vector<Precision> discriminator;  // D's Conv2d layers (+ their BN/activation)
};

// Under --precision bf16, as measured here at S = 64 (bench/bench_nn, batch 128, 2 threads, idle Zen 4,
// 2026-11-29; per step, counting how often the step runs each pass):
//   G main.12 (ngf -> nc): f32 50 ms, bf16 58 ms (the forward is oneDNN's gemm path, slower in bf16): f32.
//   D main.0 (nc -> ndf):  f32 29 ms, bf16 19 ms (3 forwards, 1 backward-data, 2 backward-weights): bf16.
//   G main.0 (nz -> 8ngf): f32 6.2 ms, bf16 5.2 ms: bf16.   D main.11 (8ndf -> 1): 3.3 vs 3.4 ms: bf16, which
//   saves the conversions around it. The middle layers run ~1.5-2x faster in bf16.
// Whole step: the earlier plan with all four thin layers in f32 took 885 ms; every layer bf16 843 ms.
// At every size the same rule: G's last layer (ngf -> nc) f32, every other layer bf16.
inline PrecisionPlan bf16_plan(int layers) {
  PrecisionPlan p{std::vector<Precision>(static_cast<size_t>(layers), Precision::bf16),
                  std::vector<Precision>(static_cast<size_t>(layers), Precision::bf16)};
  p.generator.back() = Precision::f32;
  return p;
}

// G's output and D's input [B, nc, S, S]: plain NCHW. It is the host's layout (real batches need no
// reorder when D's first layer is f32), and oneDNN 2.6 runs the nc = 3 side of the thin layers faster on
// plain NCHW than on 16-channel blocks padded from 3 (gemm deconvolution forward, gemm backward-data).
inline constexpr tag kImageLayout = tag::nchw;

inline PrecisionPlan plan_for(Precision model, int layers) {
  if (model == Precision::bf16) return bf16_plan(layers);
  return {std::vector<Precision>(static_cast<size_t>(layers), Precision::f32),
          std::vector<Precision>(static_cast<size_t>(layers), Precision::f32)};
}

}  // namespace nn
