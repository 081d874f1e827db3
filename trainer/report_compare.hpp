// The comparison page of several runs, as the PyTorch DCGAN tutorial compares a 5-epoch and a 10-epoch run on one
// chart: one self-contained file (inline SVG, PNG data URIs, no network) overlaying, one colour per run, Loss_D and
// Loss_G raw and smoothed, D(x), D(G(z)), images/s, SWD and MS-SSIM over iterations; a table of the runs, the
// options that differ between them (only those), the latest sample grid of each run side by side, and each run's
// warnings on the time axis and in a table. `dcgan-onednn report --compare RUN_A RUN_B ... --out FILE` writes it.
#pragma once
#include "trainer/report.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace trainer {

// Runs on one page: at least two, and at most as many as there are distinct run colours.
inline constexpr size_t kMinComparedRuns = 2, kMaxComparedRuns = 10;

struct CompareSummary {
  std::filesystem::path path;     // the file written (opt.out)
  size_t runs = 0;
  size_t differing_options = 0;   // rows of the options table
  size_t grids_embedded = 0;      // latest grids shown (runs without one show a note)
  size_t warnings = 0;            // of all runs
  size_t bytes = 0;               // size of the HTML file
};

// Reads every run directory and writes the page to opt.out atomically; opt.max_points, max_markers (shared among
// the runs) and max_warnings_listed apply as in write_report, max_grids does not (one grid per run). Runs of
// different lengths, image sizes and precisions compare. Throws std::invalid_argument when opt.out is empty, for
// fewer than kMinComparedRuns or more than kMaxComparedRuns runs, or a run given twice; std::runtime_error naming a
// directory that is not a run (no metrics.csv) or a file that cannot be read.
CompareSummary write_comparison(const std::vector<std::filesystem::path>& run_dirs, const ReportOptions& opt);

namespace report {

// A run's saved options as (name, value) pairs; empty when the run recorded none.
using SavedOptionList = std::vector<std::pair<std::string, std::string>>;

// One option whose value differs between runs: its name and each run's value in the option table's canonical
// text ("2e-4" and "0.0002" are one value); "" where a run did not record it.
struct OptionDifference {
  std::string name;
  std::vector<std::string> values;  // one per run, in the order given
};

// The options whose values differ between the runs that recorded options (a run with an empty list takes no part):
// train_options() rows in table order, then names the table does not know (compared as text) in order of first
// appearance. --out, the run directory itself, is left out: the page names each run's directory.
std::vector<OptionDifference> differing_options(const std::vector<SavedOptionList>& runs);

// A run's options as train --resume reads them (trainer::saved_run_options: options.cfg, else the copy in its
// newest readable checkpoint); empty when it has neither, or the file is not a config file.
SavedOptionList saved_option_list(const std::filesystem::path& run_dir);

}  // namespace report

}  // namespace trainer
