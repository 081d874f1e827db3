// Continuing a run: option checks against the run's options.cfg, choosing the newest checkpoint that is
// complete and fits, setting damaged ones aside, pruning old ones, and restoring the health monitor's memory.
#pragma once
#include "nn/dcgan.hpp"
#include "trainer/checkpoint.hpp"
#include "trainer/health.hpp"
#include "trainer/options.hpp"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace trainer {

// Throws std::invalid_argument naming the first option that shapes the computation (the rows of train_options()
// flagged opt::kShapes) whose value differs from the run's saved options.cfg: a resumed run keeps its options, and
// a mismatch must never make it start over.
void check_resume_options(const std::filesystem::path& run, const TrainOptions& now);

// The options a run saved: its options.cfg, or, when that file is gone, the copy in its newest readable checkpoint.
struct SavedOptions {
  std::filesystem::path source;  // the file they were read from
  std::string text;              // config text (to_config_text)
};
std::optional<SavedOptions> saved_run_options(const std::filesystem::path& run);

// checkpoints/ckpt_*.h5 of a run, oldest first.
std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& run);

struct ResumePoint {
  std::filesystem::path path;
  Checkpoint checkpoint;
};

// The newest checkpoint that loads and fits everything it will be restored into: both networks' tensors, both
// Adam states, the fixed noise [kGridImages, nz], a loader position inside an epoch of `batches_per_epoch`.
// Unreadable checkpoints newer than it are renamed *.damaged (so pruning never keeps them over good ones), with a
// message on `out`; stale temporaries of killed writes are removed. A sound checkpoint that does not fit (the
// cache was repacked) stops the resume with nothing changed. nullopt when the run has no checkpoint yet; throws
// std::runtime_error when it has checkpoints (or damaged ones set aside earlier) but none can be used: a run is
// never started over from 0 behind the user's back.
std::optional<ResumePoint> find_resume_point(const std::filesystem::path& run, nn::Dcgan& model,
                                             int64_t batches_per_epoch, std::ostream& out);

// Restores the model, both optimizers and the loop state of a checkpoint chosen by find_resume_point.
void restore(nn::Dcgan& model, const Checkpoint& c);

// Deletes all but the newest `keep` checkpoints (keep <= 0: none).
void prune_checkpoints(const std::filesystem::path& run, int keep);

// Feeds the kept metrics.csv rows (iter < until) back into a fresh monitor, so that episodes in progress and the
// gradient-norm medians continue as in an uninterrupted run. The warnings it returns were already recorded.
void replay_health(HealthMonitor& health, const std::filesystem::path& metrics_csv, int64_t until);

}  // namespace trainer
