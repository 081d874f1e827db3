// The HTML report of a run: one self-contained file (inline SVG charts, PNG grids as data URIs, no network) with
// the loss curves raw and smoothed, D(x) and D(G(z)), per-layer gradient and weight norms, SWD and MS-SSIM over
// time, the warnings marked on the time axis, the fixed-noise sample grids as a timeline, the options and the
// machine. `dcgan-onednn report` writes it, and the trainer refreshes it at each checkpoint.
#pragma once
#include <cstddef>
#include <filesystem>

namespace trainer {

struct ReportOptions {
  std::filesystem::path out;    // where to write; empty: RUN_DIR/report.html
  int max_grids = 16;           // sample grids embedded, evenly spaced over the run (first and last kept) ...
  size_t max_grid_bytes = 5u << 20;  // ... and fewer when their PNG files would exceed this (at least 2)
  int max_points = 1600;        // points per drawn curve after min/max decimation
  int max_warnings_listed = 200;  // rows of the warnings table (all are counted)
  int max_markers = 300;        // warning markers per chart (the earliest ones)
};

struct ReportSummary {
  std::filesystem::path path;   // the file written
  size_t rows = 0;              // metrics.csv rows read
  size_t grids_total = 0, grids_embedded = 0;
  size_t warnings = 0;
  size_t bytes = 0;             // size of the HTML file
};

// Reads RUN_DIR (metrics.csv is required; the other files are optional) and writes the report atomically
// (temporary + rename). Throws std::runtime_error naming the file that is missing or unreadable.
ReportSummary write_report(const std::filesystem::path& run_dir, const ReportOptions& opt = {});

}  // namespace trainer
