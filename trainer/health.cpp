// Health-signal episodes (discriminator wins, mode collapse, exploding gradients, non-finite values) and the
// mean pairwise distance of a batch.
#include "trainer/health.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace trainer {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

double median_of(const std::deque<double>& w) {
  std::vector<double> v(w.begin(), w.end());
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  if (v.size() % 2) return v[mid];
  const double hi = v[mid];
  return 0.5 * (hi + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid)));
}

}  // namespace

HealthMonitor::HealthMonitor(HealthOptions opt) : opt_(opt) {
  if (opt_.d_wins_iters < 1 || opt_.median_window < 1 || opt_.median_min_samples < 1 ||
      opt_.median_min_samples > opt_.median_window || !(opt_.explode_factor > 1) || !(opt_.collapse_fraction > 0))
    throw std::invalid_argument("HealthOptions: need d_wins_iters >= 1, 1 <= median_min_samples <= median_window, "
                                "explode_factor > 1 and collapse_fraction > 0");
}

std::optional<HealthWarning> HealthMonitor::non_finite_episode(int64_t iter, const std::string& name, double value,
                                                               const std::string& hint) {
  if (std::isfinite(value)) {
    non_finite_active_.erase(name);
    return std::nullopt;
  }
  if (!non_finite_active_.insert(name).second) return std::nullopt;  // already warned in this episode
  return HealthWarning{iter, kWarnNonFinite,
                       name + " is " + (std::isnan(value) ? "NaN" : (value > 0 ? "+inf" : "-inf")) + " at iteration " +
                           std::to_string(iter) + ": " + hint};
}

std::vector<HealthWarning> HealthMonitor::observe_losses(int64_t iter, double loss_d, double loss_g) {
  std::vector<HealthWarning> out;
  const std::string hint = "training has diverged; resume from an earlier checkpoint with a lower --lr";
  if (auto w = non_finite_episode(iter, "loss_d", loss_d, hint)) out.push_back(*w);
  if (auto w = non_finite_episode(iter, "loss_g", loss_g, hint)) out.push_back(*w);

  // Discriminator wins (a NaN loss is not "below" the threshold and ends a run).
  if (loss_d < opt_.d_wins_loss) {
    ++d_low_run_;
    if (d_low_run_ >= opt_.d_wins_iters && !d_wins_active_) {
      d_wins_active_ = true;
      out.push_back({iter, kWarnDWins,
                     "Loss_D has stayed below " + num(opt_.d_wins_loss) + " for " + std::to_string(d_low_run_) +
                         " iterations (now " + num(loss_d) + ", Loss_G " + num(loss_g) +
                         "): the discriminator wins and the generator's gradients vanish; look at the samples, and "
                         "consider a lower D learning rate, label smoothing or noise on D's inputs"});
    }
  } else {
    d_low_run_ = 0;
    d_wins_active_ = false;
  }
  return out;
}

std::vector<HealthWarning> HealthMonitor::observe_norms(int64_t iter,
                                                        const std::vector<std::pair<std::string, double>>& named_norms) {
  std::vector<HealthWarning> out;
  std::string first;  // the first norm that started an explosion episode at this call, with its numbers
  std::vector<std::string> others;
  for (const auto& [name, value] : named_norms) {
    if (auto w = non_finite_episode(iter, name, value, "the gradients have overflowed; resume from an earlier "
                                                       "checkpoint with a lower --lr")) {
      out.push_back(*w);
      continue;
    }
    if (!std::isfinite(value)) continue;
    NormTrack& t = norms_[name];
    if (static_cast<int>(t.window.size()) >= opt_.median_min_samples) {
      const double med = median_of(t.window);
      const bool high = med > 0 && value > opt_.explode_factor * med;
      if (high && !t.exploding) {
        if (first.empty())
          first = name + " = " + num(value) + " is " + num(value / med) + "x its running median " + num(med);
        else
          others.push_back(name);
      }
      t.exploding = high;
    }
    t.window.push_back(value);
    if (static_cast<int>(t.window.size()) > opt_.median_window) t.window.pop_front();
  }
  if (!first.empty() && last_explode_warning_ >= 0 && iter - last_explode_warning_ < opt_.explode_quiet_iters) {
    explosions_held_ += 1 + static_cast<int>(others.size());  // same burst: reported with the next warning
    first.clear();
  }
  if (!first.empty()) {
    std::string msg = "exploding gradients at iteration " + std::to_string(iter) + ": " + first;
    if (explosions_held_ > 0)
      msg += " (after " + std::to_string(explosions_held_) + " more explosions in the " +
             std::to_string(opt_.explode_quiet_iters) + " iterations after the previous warning)";
    last_explode_warning_ = iter;
    explosions_held_ = 0;
    if (!others.empty()) {
      msg += "; also ";
      for (size_t i = 0; i < others.size() && i < 4; ++i) msg += (i ? ", " : "") + others[i];
      if (others.size() > 4) msg += " and " + std::to_string(others.size() - 4) + " more";
    }
    msg += " (threshold " + num(opt_.explode_factor) + "x): lower --lr, or check the data for outliers";
    out.push_back({iter, kWarnExploding, msg});
  }
  return out;
}

std::vector<HealthWarning> HealthMonitor::observe_diversity(int64_t iter, double fake_pairwise, double real_pairwise) {
  std::vector<HealthWarning> out;
  if (iter < opt_.collapse_warmup_iters || !std::isfinite(fake_pairwise) || !(real_pairwise > 0) ||
      !std::isfinite(real_pairwise))
    return out;
  const double ratio = fake_pairwise / real_pairwise;
  if (ratio < opt_.collapse_fraction) {
    if (!collapse_active_) {
      collapse_active_ = true;
      out.push_back({iter, kWarnModeCollapse,
                     "possible mode collapse at iteration " + std::to_string(iter) +
                         ": generated images are much closer to each other than real ones (mean pairwise distance " +
                         num(fake_pairwise) + " vs " + num(real_pairwise) + ", ratio " + num(ratio) + " < " +
                         num(opt_.collapse_fraction) + "); look at the sample grid for repeated faces"});
    }
  } else {
    collapse_active_ = false;
  }
  return out;
}

double mean_pairwise_distance(const float* images, int n, int dim) {
  if (n < 2 || dim < 1)
    throw std::invalid_argument("mean_pairwise_distance: need at least 2 vectors of dim >= 1, got " +
                                std::to_string(n) + " of " + std::to_string(dim));
  std::vector<double> row_sum(n, 0.0);  // row_sum[i] = sum over j > i of |x_i - x_j|
  tbb::parallel_for(0, n - 1, [&](int i) {
    const float* xi = images + static_cast<size_t>(i) * dim;
    double acc = 0;
    for (int j = i + 1; j < n; ++j) {
      const float* xj = images + static_cast<size_t>(j) * dim;
      // 16 independent float lanes (vectorizable without reassociation), summed in double at the end.
      float lane[16] = {};
      int k = 0;
      for (; k + 16 <= dim; k += 16)
        for (int l = 0; l < 16; ++l) {
          const float d = xi[k + l] - xj[k + l];
          lane[l] += d * d;
        }
      double d2 = 0;
      for (; k < dim; ++k) d2 += static_cast<double>(xi[k] - xj[k]) * (xi[k] - xj[k]);
      for (float v : lane) d2 += v;
      acc += std::sqrt(d2);
    }
    row_sum[i] = acc;
  });
  double total = 0;
  for (double v : row_sum) total += v;
  return total / (0.5 * static_cast<double>(n) * (n - 1));
}

std::optional<std::string> first_non_finite(const std::vector<std::pair<std::string, double>>& named) {
  for (const auto& [name, value] : named)
    if (!std::isfinite(value)) return name;
  return std::nullopt;
}

}  // namespace trainer
