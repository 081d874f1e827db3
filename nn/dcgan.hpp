// The DCGAN of the PyTorch tutorial (pytorch/examples dcgan) on oneDNN: G, D, two Adams and the training step.
//
// Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep Convolutional GANs", ICLR 2016;
// https://pytorch.org/tutorials/beginner/dcgan_faces_tutorial.html. Every primitive, memory and argument map
// is built in the constructor; train_step() only executes them (see nn/primitive.hpp for the counters).
#pragma once
#include "nn/adam.hpp"
#include "nn/context.hpp"
#include "nn/param.hpp"
#include "nn/precision_plan.hpp"
#include "portable_random.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace nn {

// The tutorial's image side (its five-layer networks: 4 -> 8 -> 16 -> 32 -> 64); nn/architecture.hpp's rule builds
// 32, 64, 128 and 256.
inline constexpr int kImageSize = 64;

// Bounds of the configuration, far above any DCGAN in use (the tutorial: nz 100, ngf = ndf = 64, batch 128) and
// low enough that no size computed from them overflows and no tensor exceeds 2^29 elements (the widest layer has at
// most kMaxChannels: at 64 px, G main.3 at ngf 1024 is 8192 x 4096 x 4 x 4). A value past them is refused by
// name before anything is allocated.
inline constexpr int kMaxLatent = 4096;       // nz
inline constexpr int kMaxFeatureMaps = 1024;  // ngf, ndf (and ngf, ndf * 2^(L-2) <= kMaxChannels at size S)
inline constexpr int kMaxChannels = 8192;
inline constexpr int kMaxBatch = 65536;
struct DcganConfig {
  int nz = 100, ngf = 64, ndf = 64, nc = 3, image_size = kImageSize, batch = 128;
};

// The values of the tutorial's log line for one iteration.
struct StepResult {
  float loss_d;  // errD = errD_real + errD_fake (BCE, mean over the batch)
  float loss_g;  // errG
  float d_x;     // mean D(x) on the real batch
  float d_g_z1;  // mean D(G(z)) before D's update
  float d_g_z2;  // mean D(G(z)) after D's update (the G step)
};

class Generator;
class Discriminator;

class Dcgan {
 public:
  // Throws std::invalid_argument naming the option for a configuration the model cannot build
  // (an image_size other than 32, 64, 128, 256; nc not 1 or 3; sizes out of their bounds).
  // plan: which layers compute in which precision; default plan_for(ctx.precision, L) (nn/precision_plan.hpp).
  Dcgan(Context& ctx, const DcganConfig& cfg, const AdamConfig& adam, const PrecisionPlan* plan = nullptr);
  ~Dcgan();
  Dcgan(const Dcgan&) = delete;
  Dcgan& operator=(const Dcgan&) = delete;

  // The tutorial's weights_init: conv weights N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0 (not the
  // tutorial text's N(0, 0.02) for gamma, a known bug). Resets running stats, counters and both Adams.
  // Deterministic given rng: G's tensors in state_dict order, then D's.
  void init_weights(prng::Engine& rng);

  // One tutorial iteration. real: host [B,nc,S,S] f32 NCHW in [-1,1]; noise: host [B,nz] f32 (= [B,nz,1,1]).
  // 1) D: zero grads; D(real) label 1, backward; D(G(noise).detach()) label 0, backward (grads add); Adam D.
  // 2) G: D(fake) with the updated D (BN in training mode, as PyTorch), label 1, backward through D into G
  //    (input gradients only: D's weight gradients, which PyTorch computes and throws away, are not computed);
  //    Adam G.
  // BatchNorm running stats move as in PyTorch: G once, D three times (real, fake, G step) per iteration.
  // After it, D's Param::grad hold the D step's gradients and G's the G step's.
  StepResult train_step(const float* real, const float* noise);

  // Data-parallel (ctx.comm of several ranks): B is this rank's slice of the global batch; BatchNorm uses the whole
  // batch's statistics (ctx.sync_batchnorm), both networks' gradients are averaged over the ranks before Adam, and
  // the StepResult is the mean over ranks, so every rank returns the values one process would on the whole batch.
  // The wall time spent averaging gradients so far (copies, starts, progress and waits), the part of it spent
  // waiting after backward (communication not hidden), and the bytes one step averages (G's and D's grads).
  double gradient_average_seconds() const;
  double gradient_wait_seconds() const;
  size_t gradient_average_bytes() const;

  // Host [B,nc,S,S] f32: G(noise) of the last train_step (training-mode BN, before G's update).
  void copy_fake(float* dst) const;

  // G in eval mode (running BN stats): noise [n,nz] -> out [n,nc,S,S], any n >= 1. Builds on first use, and
  // caches, an eval-mode generator for batch n that reads the same parameters.
  void sample(const float* noise, int n, float* out);
  // Builds the eval-mode generator for batch n now (the trainer does it at start for its grid and evaluation
  // sizes, so that no primitive is created once training runs).
  void prepare_sampler(int n);

  std::vector<Param*> generator_params();
  std::vector<Param*> discriminator_params();
  std::vector<Buffer*> generator_buffers();  // running_mean, running_var per BN layer, state_dict order
  std::vector<Buffer*> discriminator_buffers();
  std::vector<BatchCount*> generator_batch_counts();  // num_batches_tracked per BN layer
  std::vector<BatchCount*> discriminator_batch_counts();
  Adam& adam_g();
  Adam& adam_d();
  const DcganConfig& config() const { return cfg_; }
  size_t image_elems() const { return static_cast<size_t>(cfg_.nc) * cfg_.image_size * cfg_.image_size; }  // C*S*S
  const PrecisionPlan& precision_plan() const;
  // The training-mode networks, for benchmarks and tests.
  Generator& generator();
  Discriminator& discriminator();
  Context& context() { return ctx_; }

 private:
  Context& ctx_;
  DcganConfig cfg_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nn
