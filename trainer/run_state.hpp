// A training run opened for the loop: engine, loader, model, the loop state a checkpoint holds, logs, samplers and
// host buffers, in one struct. open_run builds it for a new run directory or from the newest checkpoint of one.
#pragma once
#include "nn/context.hpp"
#include "nn/dcgan.hpp"
#include "pipeline/dir_lock.hpp"
#include "pipeline/loader.hpp"
#include "pipeline/progress.hpp"
#include "portable_random.hpp"
#include "trainer/csv_log.hpp"
#include "trainer/health.hpp"
#include "trainer/metrics_row.hpp"
#include "trainer/options.hpp"
#include "trainer/periodic_quality.hpp"
#include "trainer/phase_clock.hpp"

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trainer {

struct RunState {
  // Locks the run directory (creating it for a new run) and checks the directory policy, then builds the engine,
  // loader, model and buffers for the options. Writes nothing else in the run directory.
  // comm: the data-parallel group (nullptr: one process). Rank 0 is the writer: it alone locks, checks, reads
  // and writes the run directory; every rank trains on its slice of each global batch.
  RunState(const TrainOptions& o, nn::Collectives* comm);
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;

  nn::Collectives* const comm;       // nullptr: one process
  const bool writer;                 // rank 0 (or the only process): the run directory is its alone
  const std::unique_ptr<pipeline::DirLock> lock;  // the writer's: one job per run directory, held until closed
  const TrainOptions opts;
  const std::filesystem::path dir;   // the run directory
  nn::Context ctx;
  pipeline::Loader loader;
  nn::Dcgan model;
  const int64_t per_epoch;           // batches per epoch (the last partial batch is dropped)
  const int64_t total;               // iterations of the whole run
  const int epochs_shown;            // the N of the log line's [epoch/N]

  // ---- the loop's state: all of it is in each checkpoint ----
  prng::Engine rng;                  // weights init and fixed noise first, then every batch's noise
  std::vector<float> fixed_noise;    // [kGridImages, nz]: the latent vectors of every sample grid
  int64_t iter = 0;                  // iterations completed
  double wall_seconds = 0;           // training wall time of those iterations, over every invocation
  std::filesystem::path last_checkpoint;  // empty until one is restored or written
  bool restored = false;             // continued from a checkpoint

  // ---- what each iteration records ----
  std::vector<nn::Param*> g_params, d_params;
  std::vector<std::string> g_names, d_names;  // state_dict names, in the order of the norm columns
  std::vector<std::string> header;   // metrics.csv columns
  MetricsLayout columns;             // where the size-dependent ones are
  std::optional<CsvLog> metrics, warnings;
  HealthMonitor health;
  std::optional<PeriodicQuality> quality;  // --eval-every
  std::optional<pipeline::Progress> progress;
  PhaseClock clock;

  // ---- host buffers (B = --batch, the global batch; b = B / ranks, this rank's slice) ----
  std::vector<float> real;   // [b, nc, S, S] this rank's slice of the batch, normalized to [-1, 1]
  std::vector<float> noise;  // [B, nz] the whole batch's latent vectors (every rank draws them; b from rank * b)
  std::vector<float> grid;   // [kGridImages, nc, S, S] G(fixed_noise) in eval mode
  std::vector<float> fake;   // [B, nc, S, S] G(noise) of the step, for the diversity check
};

// Takes the run directory's lock (a second train on it refuses, naming the process that holds it) and checks the
// directory policy (a run is never overwritten without --resume; a resumed run keeps the options that shape its
// computation), then builds the run: restored from its newest usable checkpoint, or initialized as the
// tutorial does; options.cfg and info.txt written; metrics.csv and warnings.csv opened (cut back to the
// checkpoint on resume) and the health monitor replayed; every sampler built before the first step.
// Throws std::invalid_argument for a bad option (named), std::runtime_error for everything else.
// Under a data-parallel group, every rank calls it: rank 0 does the above, then sends the model, optimizer and loop
// state to the others (broadcast), so that all start from the same bits.
std::unique_ptr<RunState> open_run(const TrainOptions& o, nn::Collectives* comm, std::ostream& out);

// This rank's latent vectors in RunState::noise.
const float* rank_noise(const RunState& s);
int ranks(const RunState& s);

// Writes checkpoints/ckpt_<iter>.h5 of the state after `run.iter` iterations, prunes old checkpoints and refreshes
// the report.
void save_checkpoint(RunState& run);

}  // namespace trainer
