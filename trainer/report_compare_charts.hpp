// The charts of a comparison page: the single report's curves (report_charts.hpp), one per run in the run's colour,
// legend-named by the run, with each run's warnings marked on the time axis in its colour.
#pragma once
#include "trainer/report.hpp"
#include "trainer/report_charts.hpp"
#include "trainer/report_run.hpp"

#include <string>
#include <vector>

namespace trainer::report {

// One run of a comparison: its files, the name its legend entries and table columns carry, its colour.
struct ComparedRun {
  Run run;
  std::string name;
  std::string color;
};

// The colour of the i-th compared run (Tableau 10, as Matplotlib draws lines); kRunColors of them are distinct.
inline constexpr size_t kRunColors = 10;
const char* run_color(size_t i);

class CompareCharts {
 public:
  CompareCharts(const std::vector<ComparedRun>& runs, const ReportOptions& opt);

  Figure loss_d() const;  // raw and smoothed per run
  Figure loss_g() const;
  Figure d_x() const;
  Figure d_g_z() const;   // before D's step (the tutorial's D(G(z)) z1)
  Figure throughput() const;
  Figure swd_mean() const;          // each run's swd_avg, the curve the single report draws in black
  Figure swd_level(int size) const;  // one level that every run has
  Figure msssim() const;            // generated pairs
  // The SWD levels every run's metrics.csv has (all of them when the runs have one image size), finest first.
  const std::vector<int>& shared_swd_levels() const { return shared_levels_; }

 private:
  ChartSpec chart(const std::string& id, const std::string& title, const std::string& y_label) const;
  ChartSpec raw_and_smoothed_per_run(const std::string& id, const std::string& title, const std::string& y_label,
                                     const std::string& column) const;
  ChartSpec dotted_per_run(const std::string& id, const std::string& title, const std::string& y_label,
                           const std::string& column) const;
  void add_no_data_entry(ChartSpec& spec, const ComparedRun& r) const;
  std::string smoothing_note() const;
  std::string swd_levels_note() const;

  const std::vector<ComparedRun>& runs_;
  const ReportOptions& opt_;
  std::vector<ChartMarker> markers_;  // the earliest warnings of each run, in its colour
  std::string markers_note_;          // caption sentence about the markers; empty without warnings
  std::vector<int> shared_levels_;
};

}  // namespace trainer::report
