// Training health signals: warnings that say what is going wrong (discriminator wins, mode collapse, exploding
// gradients, non-finite values), raised once per episode, and the batch-diversity measure they use.
//
// An episode starts when a condition becomes true (the warning is returned then, once) and ends when it clears;
// the warning is re-armed then, so a later relapse warns again. The trainer prints each warning with its
// iteration and appends it to warnings.csv.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace trainer {

// Warning kinds, as written in warnings.csv.
inline constexpr const char* kWarnDWins = "d_wins";
inline constexpr const char* kWarnModeCollapse = "mode_collapse";
inline constexpr const char* kWarnExploding = "exploding_gradients";
inline constexpr const char* kWarnNonFinite = "non_finite";

struct HealthOptions {
  double d_wins_loss = 0.05;          // discriminator wins: Loss_D below this ...
  int d_wins_iters = 100;             // ... for this many consecutive iterations
  double collapse_fraction = 0.3;     // mode collapse: fake mean pairwise distance < this x the real one
  int64_t collapse_warmup_iters = 200;  // no collapse check before this iteration: an untrained G's outputs are
                                        // close together before it has learnt anything
  double explode_factor = 100;        // exploding gradients: a norm above this x its running median
  int median_window = 50;             // the running median covers the last N observations of each norm
  int median_min_samples = 5;         // no explosion check on a norm with fewer past observations
  int explode_quiet_iters = 50;       // after an exploding-gradients warning, further explosions within this many
                                      // iterations are one burst: counted into the next warning, not each printed
                                      // (a GAN recovering from a discriminator win jumps back in several layers)
};

struct HealthWarning {
  int64_t iter = 0;
  std::string kind;     // one of the kWarn* kinds
  std::string message;  // one line for a person: what, the numbers, what to try
};

class HealthMonitor {
 public:
  explicit HealthMonitor(HealthOptions opt = {});

  // Every iteration: discriminator wins, and non-finite losses.
  std::vector<HealthWarning> observe_losses(int64_t iter, double loss_d, double loss_g);
  // When norms are computed: each named norm (e.g. "grad:D:main.0.weight", "grad_norm_d") against its own running
  // median; non-finite norms. Norms that explode at the same call are reported in one warning.
  std::vector<HealthWarning> observe_norms(int64_t iter, const std::vector<std::pair<std::string, double>>& named_norms);
  // When diversity is measured: mean_pairwise_distance of a generated batch and of a real batch.
  std::vector<HealthWarning> observe_diversity(int64_t iter, double fake_pairwise, double real_pairwise);

  const HealthOptions& options() const { return opt_; }

 private:
  struct NormTrack {
    std::deque<double> window;  // the last median_window finite values
    bool exploding = false;     // inside an explosion episode
  };
  std::optional<HealthWarning> non_finite_episode(int64_t iter, const std::string& name, double value,
                                                  const std::string& hint);

  HealthOptions opt_;
  int64_t d_low_run_ = 0;       // consecutive iterations with Loss_D below the threshold
  bool d_wins_active_ = false;
  bool collapse_active_ = false;
  std::map<std::string, NormTrack> norms_;
  int64_t last_explode_warning_ = -1;  // iteration of the last exploding-gradients warning
  int explosions_held_ = 0;            // explosion starts inside the quiet period since then
  std::set<std::string> non_finite_active_;  // names whose value is non-finite in the current episode
};

// Mean Euclidean distance over all pairs (i < j) of n vectors of `dim` floats (a batch of flattened images):
// the spread of a batch. Computed on differences (not through dot products) so that near-identical images, the
// case of interest, keep their precision. Parallel on TBB. Throws std::invalid_argument when n < 2.
double mean_pairwise_distance(const float* images, int n, int dim);

// The name of the first non-finite value, if any (the trainer stops on it), e.g. "loss_d" or
// "grad:D:main.0.weight".
std::optional<std::string> first_non_finite(const std::vector<std::pair<std::string, double>>& named);

}  // namespace trainer
