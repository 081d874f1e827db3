// Test helper: a run directory's metrics.csv as rows of cells, and without the timing columns that differ between
// any two runs (images_per_s, wall_s), for comparing runs row for row.
#pragma once
#include "support/run.hpp"
#include "trainer/csv_log.hpp"
#include "trainer/metrics_row.hpp"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace testsupport {

inline std::vector<std::vector<std::string>> metrics_rows(const std::filesystem::path& run_dir) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream in(slurp(run_dir / "metrics.csv"));
  std::string l;
  while (std::getline(in, l)) rows.push_back(trainer::csv_split(l));
  return rows;
}

inline std::vector<std::vector<std::string>> metrics_without_timing(const std::filesystem::path& run_dir) {
  auto rows = metrics_rows(run_dir);
  for (auto& r : rows) {
    std::vector<std::string> kept;
    for (size_t i = 0; i < r.size(); ++i)
      if (i != trainer::kColImagesPerS && i != trainer::kColWall) kept.push_back(r[i]);
    r = kept;
  }
  return rows;
}

}  // namespace testsupport
