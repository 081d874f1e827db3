// Loading a run directory for the report; the file formats themselves are read by run_files.
#include "trainer/report_run.hpp"

#include "trainer/run_layout.hpp"

#include <algorithm>
#include <cmath>

namespace trainer::report {

namespace fs = std::filesystem;

Run load_run(const fs::path& dir) {
  Run run;
  run.dir = dir;
  run.metrics = read_metrics_csv(dir / run_layout::kMetrics);
  run.warnings = read_warnings_csv(dir / run_layout::kWarnings);
  run.options = read_config_file(dir / run_layout::kOptions);
  run.machine_info = read_key_value_text(dir / run_layout::kInfo);
  run.grids = list_sample_grids(dir);
  if (const auto* iter = run.metrics.get("iter")) run.iters = *iter;
  else
    for (size_t i = 0; i < run.metrics.rows(); ++i) run.iters.push_back(static_cast<double>(i));
  // An epoch starts where the epoch column changes.
  if (const auto* epoch = run.metrics.get("epoch"))
    for (size_t i = 1; i < epoch->size(); ++i)
      if ((*epoch)[i] != (*epoch)[i - 1] && std::isfinite((*epoch)[i])) run.epoch_starts.push_back(run.iters[i]);
  return run;
}

void finite_points(const Run& run, const std::vector<double>& column, std::vector<double>& x,
                   std::vector<double>& y) {
  x.clear(), y.clear();
  for (size_t i = 0; i < column.size() && i < run.iters.size(); ++i)
    if (std::isfinite(column[i]) && std::isfinite(run.iters[i])) x.push_back(run.iters[i]), y.push_back(column[i]);
}

std::string run_name(const fs::path& dir) {
  const fs::path absolute = fs::absolute(dir).lexically_normal();
  std::string name = absolute.filename().string();
  if (name.empty()) name = absolute.parent_path().filename().string();
  return name;
}

double median_value(const Run& run, const std::string& column) {
  std::vector<double> x, y;
  if (const auto* values = run.metrics.get(column)) finite_points(run, *values, x, y);
  if (y.empty()) return NAN;
  std::nth_element(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(y.size() / 2), y.end());
  return y[y.size() / 2];
}

std::pair<double, double> lowest_value(const Run& run, const std::string& column) {
  double best = NAN, best_iter = NAN;
  if (const auto* values = run.metrics.get(column))
    for (size_t i = 0; i < values->size(); ++i)
      if (std::isfinite((*values)[i]) && !((*values)[i] >= best)) best = (*values)[i], best_iter = run.iters[i];
  return {best, best_iter};
}

std::map<std::string, int> warnings_by_kind(const Run& run) {
  std::map<std::string, int> kinds;
  for (const auto& w : run.warnings) ++kinds[w.kind];
  return kinds;
}

}  // namespace trainer::report
