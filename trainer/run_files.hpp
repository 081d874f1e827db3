// Reading a run directory's files for the report: metrics.csv, warnings.csv, options.cfg, info.txt and the
// sample grids. Tolerant of what a killed run leaves behind (a torn last line, temporaries).
#pragma once
#include "trainer/health.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainer {

// metrics.csv as columns of doubles. An empty cell (not computed at that iteration) is NaN, like "nan".
struct MetricsTable {
  std::vector<std::string> columns;          // the header, in order
  std::vector<std::vector<double>> data;     // data[column][row]
  bool truncated_last_line = false;          // the file did not end with a newline: its last line was dropped
  size_t malformed_rows = 0;                 // rows dropped: wrong cell count or a cell that is not a number

  size_t rows() const { return data.empty() ? 0 : data.front().size(); }
  int column(std::string_view name) const;   // index, or -1 when absent
  // The column, or nullptr when absent.
  const std::vector<double>* get(std::string_view name) const;
};

// Bounds of a metrics.csv header, checked before anything is allocated from it.
inline constexpr size_t kMaxMetricsColumns = 10'000;
inline constexpr size_t kMaxHeaderBytes = 1u << 20;

// Reads metrics.csv. Throws std::runtime_error naming the file when it cannot be read or has no header. A last
// line without its newline is a row being written when the run was killed: it is dropped (it may be cut inside a
// number), and truncated_last_line says so.
MetricsTable read_metrics_csv(const std::filesystem::path& path);

// Reads warnings.csv (header "iter,kind,message", messages CSV-quoted; a quoted message may span lines). A missing
// file is an empty list; a torn last record is dropped.
std::vector<HealthWarning> read_warnings_csv(const std::filesystem::path& path);

// "name = value" lines of a Boost.Program_options config file (options.cfg): '#' starts a comment, blank lines
// and [sections] are skipped. A missing file is an empty list.
std::vector<std::pair<std::string, std::string>> read_config_file(const std::filesystem::path& path);

// "key   value" lines (info.txt, the text output of `dcgan-onednn info`): the key is the first word, the value
// the rest of the line. A missing file is an empty list.
std::vector<std::pair<std::string, std::string>> read_key_value_text(const std::filesystem::path& path);

struct SampleGrid {
  int64_t iter = 0;
  std::filesystem::path path;
};

// samples/iter_NNNNNNN.png of a run, by iteration. Other names (temporaries of an interrupted write) are ignored.
std::vector<SampleGrid> list_sample_grids(const std::filesystem::path& run_dir);

}  // namespace trainer
