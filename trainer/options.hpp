// Options of `dcgan-onednn train`, `sample` and `eval`: each struct's initializers are the defaults (the PyTorch
// DCGAN tutorial's values for train), and each command's table (pipeline/option_table.hpp) is the one place an
// option is named, described and checked. The command line, options.cfg and the resume check derive from it.
#pragma once
#include "nn/context.hpp"
#include "pipeline/cache.hpp"
#include "pipeline/option_table.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace trainer {

// Bounds of the loop counters: iterations x batch (images) stays far inside int64.
inline constexpr int kMaxEpochs = 1'000'000;
inline constexpr int64_t kMaxIterations = int64_t{1} << 40;

// Data-parallel BatchNorm (mpirun with several ranks): statistics over the whole global batch (sync, as
// torch.nn.SyncBatchNorm: the same computation as one process) or over each rank's slice (local, plain DDP).
enum class BatchNormMode { sync, local };
inline constexpr std::pair<BatchNormMode, std::string_view> kBatchNormNames[] = {{BatchNormMode::sync, "sync"},
                                                                                {BatchNormMode::local, "local"}};

struct TrainOptions {
  std::string data;                 // celeba-pack cache directory
  std::string out;                  // run directory (created; never overwritten without --resume)
  int epochs = 5;                   // ignored when iters > 0
  int64_t iters = 0;                // total iterations; 0 means use epochs
  int batch = 128;
  double lr = 2e-4;                 // both networks, as in the tutorial
  double beta1 = 0.5;               // Adam; beta2 = 0.999, eps = 1e-8
  int nz = 100;                     // latent size
  int ngf = 64;                     // generator feature maps
  int ndf = 64;                     // discriminator feature maps
  uint64_t seed = 999;              // the tutorial's manualSeed
  nn::EngineKind engine = nn::EngineKind::cpu;
  nn::Precision precision = nn::Precision::f32;
  int threads = 0;                  // CPU threads for oneDNN (0: all)
  BatchNormMode batchnorm = BatchNormMode::sync;  // under mpirun with several ranks
  bool grad_overlap = true;         // under mpirun: reduce gradient buckets during backward (false: after it)
  pipeline::Partition partition = pipeline::Partition::all;
  int64_t sample_every = 500;       // fixed-noise grid interval (iterations)
  int64_t checkpoint_every = 0;     // iterations (0: only at epoch end and on signal)
  int keep_checkpoints = 3;         // newest N kept (0: keep all)
  int64_t log_every = 50;           // tutorial-format log line interval
  int64_t eval_every = 0;           // SWD/MS-SSIM interval (0: off)
  int64_t norms_every = 1;          // per-layer gradient/weight norm interval
  std::string init_from;            // HDF5 weights in PyTorch state_dict layout
  bool resume = false;
  bool progress = true;             // progress bar on a terminal
};

// Images one `sample` call makes (they are generated and held at once): --n, or --n x --interpolate.
inline constexpr int kMaxSampleImages = 4096;

struct SampleOptions {
  std::string checkpoint;           // checkpoint or weights file
  int n = 64;                       // images (rows with interpolate)
  std::string out;                  // FILE.png (grid) or the stem of N files FILE_0000.png ...; optional with raw
  uint64_t seed = 0;                // the latent vectors
  std::string z;                    // latent vectors from a .npy file (float32 [N, nz] or [N, nz, 1, 1]) instead
  std::string raw;                  // also the float images, as .npy float32 [N, nc, S, S]
  bool grid = false;                // one grid image instead of N files
  int interpolate = 0;              // K steps between the latent vectors of seed and seed2
  uint64_t seed2 = 1;
  nn::EngineKind engine = nn::EngineKind::cpu;
  int threads = 0;
};

struct EvalOptions {
  std::string checkpoint;
  std::string data;                 // the cache the real images come from
  int n = 8192;                     // images per set
  pipeline::Partition partition = pipeline::Partition::all;
  uint64_t seed = 0;
  nn::EngineKind engine = nn::EngineKind::cpu;
  int threads = 0;
  bool json = false;                // print one JSON object instead of text
};

// --engine and --threads: the same rows on every command that runs oneDNN (members `engine`, `threads`).
template <class O>
opt::Row<O> engine_row() {
  return opt::For<O>::choice("engine", &O::engine, nn::kEngineNames, "oneDNN engine; gpu is an Intel GPU");
}
template <class O>
opt::Row<O> threads_row() {
  return opt::For<O>::value("threads", &O::threads, "CPU threads for oneDNN (0: all, the OpenMP default)", 0,
                            opt::threads_check());
}

const opt::Table<TrainOptions>& train_options();
const opt::Table<SampleOptions>& sample_options();
const opt::Table<EvalOptions>& eval_options();

// Throws std::invalid_argument naming the first option whose value is missing or out of range.
void validate(const TrainOptions& o);
void validate(const SampleOptions& o);
void validate(const EvalOptions& o);

// The options as a config file ("name = value" lines) that `train --config` reads back: a run's options.cfg.
std::string to_config_text(const TrainOptions& o);

}  // namespace trainer
