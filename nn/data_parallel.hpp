// Data-parallel gradients: after a backward pass, each Param's grad becomes its mean over the ranks (PyTorch DDP).
//
// Each rank's loss is the mean over its slice of the global batch, so the mean of the ranks' gradients is the
// gradient of the mean over the global batch: what one process computes on the whole batch. The grads are reduced
// in buckets of at most kBucketBytes (DDP's default bucket_cap_mb, 25 MB), filled in reverse Param order, the order
// backward produces them. Each bucket is one allreduce of a host staging buffer; every rank receives the same
// bits, so the optimizer keeps the weights identical on all ranks.
#pragma once
#include "nn/collectives.hpp"
#include "nn/context.hpp"
#include "nn/param.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace nn {

inline constexpr size_t kBucketBytes = 25u << 20;

class GradientAverage {
 public:
  // params: one network's Params (their grads are f32 plain). ctx.comm must be set.
  GradientAverage(Context& ctx, const std::vector<Param*>& params);

  // Every grad := (sum over ranks of grad) / ranks.
  void average();

  size_t buckets() const { return buckets_.size(); }
  size_t bytes() const;                        // reduced per average(): the grads' f32 bytes
  double seconds() const { return seconds_; }  // wall time spent in average() so far (copies and allreduce)

 private:
  struct Bucket {
    std::vector<Param*> params;  // reverse order of the network's
    std::vector<float> host;     // [sum of their numel] staging
  };
  Context& ctx_;
  std::vector<Bucket> buckets_;
  double seconds_ = 0;
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
