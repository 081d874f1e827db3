// Continuing a run exactly (see resume.hpp).
#include "trainer/resume.hpp"

#include "pipeline/atomic_file.hpp"
#include "trainer/model_state.hpp"
#include "trainer/run_files.hpp"
#include "trainer/run_layout.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <ostream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;
namespace rl = run_layout;

std::optional<SavedOptions> saved_run_options(const fs::path& run) {
  std::error_code ec;
  const fs::path cfg = run / rl::kOptions;
  if (fs::exists(cfg, ec)) {
    std::ifstream f(cfg, std::ios::binary);
    return SavedOptions{cfg, std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>())};
  }
  auto all = list_checkpoints(run);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      return SavedOptions{*it, read_checkpoint_options(*it)};
    } catch (const std::exception&) {  // unreadable: an older one may do; resume itself sets damaged ones aside
    }
  }
  return std::nullopt;
}

void check_resume_options(const fs::path& run, const TrainOptions& now) {
  const auto saved = saved_run_options(run);
  if (!saved) return;
  const auto change = opt::first_shape_change(train_options(), opt::parse_config_text(saved->text), now);
  if (change)
    throw std::invalid_argument("--" + change->name + ": the run in '" + run.string() + "' was started with " +
                                change->saved + ", not " + change->now + "; a resumed run keeps its options (leave --" +
                                change->name + " out)");
}

std::vector<fs::path> list_checkpoints(const fs::path& run) {
  std::vector<fs::path> found;
  const fs::path dir = run / rl::kCheckpointsDir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && rl::checkpoint_iteration(e.path().filename().string())) found.push_back(e.path());
  std::sort(found.begin(), found.end());
  return found;
}

namespace {

void check_adam(const AdamState& found, const AdamState& expected, const std::string& net, const std::string& file) {
  NetworkState f{found.exp_avg, {}}, e{expected.exp_avg, {}};
  check_shapes(f, e, net + " Adam exp_avg", file);
  f.tensors = found.exp_avg_sq;
  e.tensors = expected.exp_avg_sq;
  check_shapes(f, e, net + " Adam exp_avg_sq", file);
  if (found.step < 0) throw std::runtime_error("'" + file + "': negative Adam step count");
}

// Every check restore() relies on, so that a checkpoint that passes cannot fail half-way through restoring.
void check_fits(const Checkpoint& c, nn::Dcgan& model, int64_t batches_per_epoch, const std::string& file) {
  check_shapes(c.generator, capture_network(model, Net::generator), "generator", file);
  check_shapes(c.discriminator, capture_network(model, Net::discriminator), "discriminator", file);
  check_adam(c.adam_g, capture_adam(model, Net::generator), "generator", file);
  check_adam(c.adam_d, capture_adam(model, Net::discriminator), "discriminator", file);
  const int nz = model.config().nz;
  if (c.loop.fixed_noise_shape != std::vector<int64_t>{rl::kGridImages, nz} ||
      c.loop.fixed_noise.size() != size_t(rl::kGridImages) * nz)
    throw std::runtime_error("'" + file + "': fixed noise is not [" + std::to_string(rl::kGridImages) + ", " +
                             std::to_string(nz) + "]");
  if (c.loop.epoch < 0 || c.loop.batch < 0 || c.loop.batch >= batches_per_epoch)
    throw std::runtime_error("'" + file + "': loader position (epoch " + std::to_string(c.loop.epoch) + ", batch " +
                             std::to_string(c.loop.batch) + ") does not fit an epoch of " +
                             std::to_string(batches_per_epoch) + " batches (was the cache repacked?)");
  if (c.loop.iteration < 0 || c.loop.iteration > kMaxIterations || c.loop.epoch > kMaxIterations)
    throw std::runtime_error("'" + file + "': loop state out of range (iteration " + std::to_string(c.loop.iteration) +
                             ", epoch " + std::to_string(c.loop.epoch) + ")");
}

}  // namespace

namespace {

// Checkpoints set aside by an earlier resume: a run that has them is never started over silently.
std::vector<std::string> damaged_checkpoints(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".damaged") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    for (const auto& e : fs::directory_iterator(dir))  // temporaries of writes a kill -9 interrupted
      if (e.path().filename().string().find(".h5.tmp") != std::string::npos) fs::remove(e.path(), ec);
}

}  // namespace

std::optional<ResumePoint> find_resume_point(const fs::path& run, nn::Dcgan& model, int64_t batches_per_epoch,
                                             std::ostream& out) {
  const fs::path dir = run / rl::kCheckpointsDir;
  remove_stale_temporaries(dir);
  StateShapes want = state_shapes(model);
  want.fixed_noise = {rl::kGridImages, model.config().nz};
  auto newest_first = list_checkpoints(run);
  std::reverse(newest_first.begin(), newest_first.end());
  for (const auto& path : newest_first) {
    Checkpoint c;
    try {
      c = load_checkpoint(path, &want);
    } catch (const UnsupportedCheckpointVersion&) {
      throw;  // a sound file of another version: kept as it is, and the run is not continued
    } catch (const CheckpointDoesNotFit& e) {
      throw std::runtime_error(std::string(e.what()) + "; the run in '" + run.string() + "' was left as it is");
    } catch (const std::exception& e) {  // unreadable: set aside (pruning must never keep it over a good one)
      fs::path aside = path;
      aside += ".damaged";
      fs::rename(path, aside);
      out << "warning: skipping checkpoint " << path.filename().string() << " (set aside as "
          << aside.filename().string() << "): " << e.what() << '\n';
      continue;
    }
    try {
      check_fits(c, model, batches_per_epoch, path.string());
    } catch (const std::exception& e) {  // sound, but not for this data or model: refuse, change nothing
      throw std::runtime_error(std::string(e.what()) + "; the run in '" + run.string() +
                               "' was left as it is (resume it with the data it was trained on)");
    }
    return ResumePoint{path, std::move(c)};
  }
  if (const auto damaged = damaged_checkpoints(dir); !damaged.empty()) {
    std::string names;
    for (const auto& n : damaged) names += "\n  " + n;
    throw std::runtime_error("no checkpoint in '" + dir.string() + "' can be resumed, and these were set aside as "
                             "damaged:" + names + "\nrefusing to start the run over (that would rewrite its " +
                             rl::kMetrics + "); to start it over anyway, delete them");
  }
  return std::nullopt;
}

void restore(nn::Dcgan& model, const Checkpoint& c) {
  restore_network(model, Net::generator, c.generator);
  restore_network(model, Net::discriminator, c.discriminator);
  restore_adam(model, Net::generator, c.adam_g);
  restore_adam(model, Net::discriminator, c.adam_d);
}

void prune_checkpoints(const fs::path& run, int keep) {
  if (keep <= 0) return;
  const auto all = list_checkpoints(run);
  for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) fs::remove(all[i]);
}

void replay_health(HealthMonitor& health, const fs::path& metrics_csv, int64_t until) {
  std::error_code ec;
  if (until <= 0 || !fs::exists(metrics_csv, ec)) return;
  const MetricsTable t = read_metrics_csv(metrics_csv);
  const auto* iter = t.get("iter");
  const auto* loss_d = t.get("loss_d");
  const auto* loss_g = t.get("loss_g");
  if (!iter || !loss_d || !loss_g) return;
  // The norms the loop hands to observe_norms: per-layer gradients, then the two whole-network norms.
  std::vector<std::pair<std::string, const std::vector<double>*>> norm_cols;
  for (size_t c = 0; c < t.columns.size(); ++c)
    if (t.columns[c].rfind("grad:", 0) == 0) norm_cols.emplace_back(t.columns[c], &t.data[c]);
  for (const char* total : {"grad_norm_g", "grad_norm_d"})
    if (const auto* col = t.get(total)) norm_cols.emplace_back(total, col);
  for (size_t r = 0; r < t.rows() && (*iter)[r] < static_cast<double>(until); ++r) {
    const auto i = static_cast<int64_t>((*iter)[r]);
    health.observe_losses(i, (*loss_d)[r], (*loss_g)[r]);
    if (norm_cols.empty() || std::isnan((*norm_cols.front().second)[r])) continue;  // no per-layer norms that row
    std::vector<std::pair<std::string, double>> named;
    for (const auto& [name, col] : norm_cols) named.emplace_back(name, (*col)[r]);
    health.observe_norms(i, named);
  }
}

}  // namespace trainer
