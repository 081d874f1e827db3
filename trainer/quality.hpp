// What `eval` and the periodic evaluation share: a seeded real subset, eval-mode generation, SWD and MS-SSIM.
#pragma once
#include "nn/dcgan.hpp"
#include "pipeline/cache.hpp"

#include <cstdint>
#include <vector>

namespace trainer {

// Up to n_max images of a partition, a random subset chosen by `seed` (read in ascending order), rounded down
// to a multiple of `multiple` when there are more than `multiple`. Returns [n, C, S, S] normalized; n in *n.
std::vector<float> real_subset(const pipeline::Cache& cache, pipeline::Partition partition, int n_max, uint64_t seed,
                               int multiple, int* n);

// G in eval mode (running BatchNorm statistics) on noise [n, nz], in batches of `chunk` (one cached eval-mode
// generator per batch size). Returns [n, nc, S, S].
std::vector<float> generate(nn::Dcgan& model, const std::vector<float>& noise, int n, int chunk = 128);

struct QualityScores {
  std::vector<double> swd_per_level;  // SWD x 1e3 per pyramid level, finest first
  std::vector<int> swd_level_sizes;   // the image side at each level: 64, 32, 16 for 64x64 images
  double swd_average = 0;
  double msssim_fake = 0, msssim_real = 0;  // mean MS-SSIM of random pairs within each set (diversity)
};

// SWD between the sets (ProGAN's settings, directions and patches from `seed`) and each set's MS-SSIM diversity
// over `pairs` random pairs.
QualityScores score(const float* real, const float* fake, int n, int c, int s, uint64_t seed, int pairs);

}  // namespace trainer
