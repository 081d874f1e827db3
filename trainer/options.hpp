// Options of `dcgan-onednn train`, with the PyTorch DCGAN tutorial's values as defaults.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <string>

namespace trainer {

struct TrainOptions {
  std::string data;                 // --data: celeba-pack cache directory
  std::string out;                  // --out: run directory (created; never overwritten without --resume)
  int epochs = 5;                   // --epochs (ignored when iters > 0)
  int64_t iters = 0;                // --iters: total iterations; 0 means use epochs
  int batch = 128;                  // --batch
  double lr = 2e-4;                 // --lr (both networks, as in the tutorial)
  double beta1 = 0.5;               // --beta1 (Adam; beta2 = 0.999, eps = 1e-8)
  int nz = 100;                     // --nz: latent size
  int ngf = 64;                     // --ngf: generator feature maps
  int ndf = 64;                     // --ndf: discriminator feature maps
  uint64_t seed = 999;              // --seed (the tutorial's manualSeed)
  std::string engine = "cpu";       // --engine cpu|gpu
  std::string precision = "f32";    // --precision f32|bf16
  int threads = 0;                  // --threads: CPU threads for oneDNN (0: all)
  std::string partition = "all";    // --partition train|valid|test|all
  int64_t sample_every = 500;       // --sample-every: fixed-noise grid interval (iterations)
  int64_t checkpoint_every = 0;     // --checkpoint-every: iterations (0: only at epoch end and on signal)
  int keep_checkpoints = 3;         // --keep-checkpoints: newest N kept (0: keep all)
  int64_t log_every = 50;           // --log-every: tutorial-format log line interval
  int64_t eval_every = 0;           // --eval-every: SWD/MS-SSIM interval (0: off)
  int64_t norms_every = 1;          // --norms-every: per-layer gradient/weight norm interval
  std::string init_from;            // --init-from: HDF5 weights in PyTorch state_dict layout
  bool resume = false;              // --resume
  bool progress = true;             // progress bar on a terminal (--no-progress turns it off)
};

// Throws std::invalid_argument naming the first option whose value is out of range.
void validate(const TrainOptions& o);

// The options as a Boost.Program_options config file ("key = value" lines), readable back with --config.
std::string to_config_text(const TrainOptions& o);

// "name = value" lines of a Boost.Program_options config file, in order: '#' starts a comment, blank lines and
// [sections] are skipped. Reads options.cfg for resume checks and for the report.
std::vector<std::pair<std::string, std::string>> parse_config_text(const std::string& text);

}  // namespace trainer
