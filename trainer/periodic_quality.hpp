// SWD and MS-SSIM during training (--eval-every): a fixed real subset and fixed noise, so values compare over time.
#pragma once
#include "nn/dcgan.hpp"
#include "pipeline/cache.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

class PeriodicQuality {
 public:
  // Reads up to `images` real images of the partition (a seeded random subset, a multiple of the chunk size)
  // and draws their noise from its own generator, so the training RNG stream is not touched.
  PeriodicQuality(const pipeline::Cache& cache, pipeline::Partition partition, uint64_t seed, int nz, int images = 1024);
  // Generates the fixed set in eval mode and fills the swd_* and msssim_* cells of a metrics row.
  void run(nn::Dcgan& model, std::vector<std::string>& row) const;
  int images() const { return n_; }
  int chunk() const;  // the eval-mode generator batch run() uses

 private:
  int n_ = 0, nz_ = 0, c_ = 0, s_ = 0;
  uint64_t seed_;
  std::vector<float> real_;   // [n, C, S, S] normalized
  std::vector<float> noise_;  // [n, nz]
};

}  // namespace trainer
