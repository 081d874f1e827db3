// `dcgan-onednn sample` and `dcgan-onednn eval`: a generator loaded from a checkpoint, in eval mode.
#pragma once
#include "nn/context.hpp"
#include "nn/dcgan.hpp"
#include "trainer/quality.hpp"

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>

namespace trainer {

// The DCGAN a checkpoint or weights file describes (nz, ngf, ndf, nc from its tensor shapes), with its
// parameters and running statistics loaded. `batch` sizes the training primitives the model also builds
// (BatchNorm in training mode needs two images; sampling itself uses eval-mode generators of any size).
std::unique_ptr<nn::Dcgan> load_model(nn::Context& ctx, const std::filesystem::path& file, int batch = 2);

struct SampleOptions {
  std::string checkpoint;       // --checkpoint: checkpoint or weights file
  int n = 64;                   // --n: images (rows with --interpolate)
  std::string out;              // --out: FILE.png (grid) or the stem of N files FILE_0000.png ...
  uint64_t seed = 0;            // --seed: the latent vectors
  bool grid = false;            // --grid: one grid image instead of N files
  int interpolate = 0;          // --interpolate K: K steps between the latent vectors of --seed and --seed2
  uint64_t seed2 = 1;           // --seed2
  std::string engine = "cpu";
  int threads = 0;
};

// Writes the images; returns the files written. Throws std::invalid_argument naming a bad option.
std::vector<std::filesystem::path> sample(const SampleOptions& o, std::ostream& log);

struct EvalOptions {
  std::string checkpoint;       // --checkpoint
  std::string data;             // --data: the cache the real images come from
  int n = 8192;                 // --n: images per set
  std::string partition = "all";
  uint64_t seed = 0;
  std::string engine = "cpu";
  int threads = 0;
};

struct EvalResult : QualityScores {
  int n = 0;          // images per set
  double seconds = 0;
};

EvalResult evaluate(const EvalOptions& o);
std::string to_json(const EvalResult& r);

}  // namespace trainer
