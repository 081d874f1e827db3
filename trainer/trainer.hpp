// `dcgan-onednn train`: the DCGAN tutorial's training loop over a celeba-pack cache, with checkpoints that
// resume exactly, metrics, sample grids, health warnings and the report.
#pragma once
#include "trainer/options.hpp"
#include "trainer/phase_clock.hpp"

#include <cstdint>
#include <filesystem>
#include <iosfwd>

namespace trainer {

struct TrainResult {
  enum class Status { completed, interrupted };
  Status status = Status::completed;
  int signal = 0;                          // the signal that interrupted the run, if any
  std::filesystem::path run_dir;
  std::filesystem::path last_checkpoint;   // empty when none was written
  int64_t iterations = 0;                  // iterations completed in the run (including before a resume)
  // This invocation's loop, for throughput and overhead figures (bench/bench_train.cpp):
  int64_t images = 0;                      // images trained on
  PhaseClock::Seconds phases{};            // wall seconds per phase (Phase::step is the model)
};

// Runs (or with o.resume continues) a training run. Progress and log lines go to `out`; warnings too.
// Throws std::invalid_argument for a bad option (named), std::runtime_error for everything else (a bad
// cache, a non-finite value — naming the iteration and the tensor —, a full disk, ...).
// comm: data-parallel over a group of processes (every rank calls train with the same options): each computes its
// slice of --batch; rank 0 alone writes the run directory and `out`. nullptr: one process.
TrainResult train(const TrainOptions& o, std::ostream& out, nn::Collectives* comm = nullptr);

// Iterations between two comparisons of the weights across ranks (also before each checkpoint).
inline constexpr int64_t kWeightCheckEvery = 100;

}  // namespace trainer
