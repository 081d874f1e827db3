// Data-parallel gradients: after a backward pass, each Param's grad becomes its mean over the ranks (PyTorch DDP).
//
// Each rank's loss is the mean over its slice of the global batch, so the mean of the ranks' gradients is the
// gradient of the mean over the global batch: what one process computes on the whole batch.
//
// Overlap (DDP's bucketed reducer, Li et al., "PyTorch Distributed", VLDB 2020): the grads are reduced in buckets
// of whole layers, filled in the order backward finishes them (last layer first), and a bucket's allreduce starts,
// non-blocking, as soon as its first (lowest) layer is done, while backward goes on below it. Between two layers
// the network calls hook(), which also lets started sums advance (MPI progresses them only inside MPI calls);
// finish() waits for what is left. Without overlap (ctx.overlap_gradient_average false) hook() is empty and
// finish() starts every bucket itself, in the same order: the same sums. DDP's 25 MB bucket would hold every layer
// of a DCGAN (D at 64 px: 11 MB), so nothing would overlap: a bucket here is one layer, with small neighbours merged
// until it holds kMinBucketBytes (the size DDP gives its first bucket), so that no allreduce is a few hundred bytes
// of latency.
// Every rank receives the same bits, so the optimizer keeps the weights identical on all ranks.
#pragma once
#include "nn/collectives.hpp"
#include "nn/context.hpp"
#include "nn/param.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace nn {

inline constexpr size_t kMinBucketBytes = 1u << 20;

class GradientAverage {
 public:
  // layers: one network's Params per layer, in forward order (their grads are f32 plain). ctx.comm must be set;
  // ctx.overlap_gradient_average chooses whether buckets start during backward.
  GradientAverage(Context& ctx, const std::vector<std::vector<Param*>>& layers);

  // What the network's backward calls after layer k's grads are final (k = L-1 down to 0): when that completes a
  // bucket, its allreduce starts, and the started ones advance. Empty without overlap.
  LayerDone hook();
  // Starts the buckets not started yet, waits for every one and writes grad := (sum over ranks of grad) / ranks.
  void finish();

  size_t buckets() const { return buckets_.size(); }
  size_t bytes() const;                                // reduced per step: the grads' f32 bytes
  double seconds() const { return seconds_; }          // wall time in the hook and finish() so far
  double wait_seconds() const { return wait_seconds_; }  // of which waiting in finish(): communication not hidden

 private:
  struct Bucket {
    size_t first_layer = 0;      // the bucket is complete when this layer (its lowest) is done
    std::vector<Param*> params;  // its layers' Params, last layer first
    std::vector<float> host;     // [sum of their numel] staging
    bool started = false;        // this step
  };
  void layer_done(size_t k);
  void start(Bucket& b);

  Context& ctx_;
  const bool overlap_;
  std::vector<Bucket> buckets_;  // in the order backward fills them
  double seconds_ = 0, wait_seconds_ = 0;
};

class Dcgan;

// Everything a training step reads, from `root` into every rank: both networks' Params, BatchNorm running statistics
// and counts, both Adams' moments and step counts. Weights initialized (or restored from a checkpoint) on one rank
// are then the same on all, bit for bit.
void broadcast_model(Dcgan& model, Collectives& comm, int root);

// Compares a 64-bit hash (FNV-1a) of each Param's value across the ranks. Returns nullopt when all agree, else
// "<tensor> differs: rank 0 has <hash>, rank 2 has <hash>" for the first tensor that does not.
std::optional<std::string> find_diverged_weights(Dcgan& model, Collectives& comm);

}  // namespace nn
