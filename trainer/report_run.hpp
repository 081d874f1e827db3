// The run directory as the report reads it: metrics, warnings, sample grids, options and machine, loaded once.
#pragma once
#include "trainer/health.hpp"
#include "trainer/run_files.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace trainer::report {

struct Run {
  std::filesystem::path dir;
  MetricsTable metrics;                                           // metrics.csv
  std::vector<HealthWarning> warnings;                            // warnings.csv
  std::vector<std::pair<std::string, std::string>> options;       // options.cfg
  std::vector<std::pair<std::string, std::string>> machine_info;  // info.txt
  std::vector<SampleGrid> grids;                                  // samples/, by iteration
  std::vector<double> iters;         // iteration of each metrics row (the row index when there is no iter column)
  std::vector<double> epoch_starts;  // iterations where a new epoch begins
};

// Reads RUN_DIR: metrics.csv is required (std::runtime_error naming it otherwise), the other files are optional.
Run load_run(const std::filesystem::path& dir);

// The finite (iteration, value) points of a metrics column, for charts and summaries.
void finite_points(const Run& run, const std::vector<double>& column, std::vector<double>& x,
                   std::vector<double>& y);

// The run's folder name; for "runs/x/" (empty filename) the name of the folder itself.
std::string run_name(const std::filesystem::path& dir);

// The median of a column's finite values (robust to slow first iterations and checkpoint pauses); NaN without any.
double median_value(const Run& run, const std::string& column);

// The lowest finite value of a column and its iteration; NaN, NaN without any.
std::pair<double, double> lowest_value(const Run& run, const std::string& column);

// How many warnings of each kind the run raised.
std::map<std::string, int> warnings_by_kind(const Run& run);

}  // namespace trainer::report
