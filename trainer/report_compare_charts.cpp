// The comparison's charts: one curve per run, the run's colour and name, its warnings as markers in its colour.
#include "trainer/report_compare_charts.hpp"

#include "trainer/report_html.hpp"

#include <algorithm>
#include <functional>
#include <iterator>

namespace trainer::report {

namespace {

// The earliest warnings of each run, at most `per_run` each, as markers in the run's colour.
std::vector<ChartMarker> run_markers(const std::vector<ComparedRun>& runs, size_t per_run) {
  std::vector<ChartMarker> markers;
  for (const auto& r : runs)
    for (size_t i = 0; i < r.run.warnings.size() && i < per_run; ++i) {
      const auto& w = r.run.warnings[i];
      markers.push_back({static_cast<double>(w.iter), r.color,
                         r.name + ", iteration " + std::to_string(w.iter) + ", " + w.kind + ": " + w.message});
    }
  return markers;
}

// The caption sentence naming each run's marker colour; empty when no run has warnings.
std::string markers_sentence(const std::vector<ComparedRun>& runs) {
  std::string names;
  for (const auto& r : runs)
    if (!r.run.warnings.empty())
      names += " <span style=\"color:" + r.color + ";font-weight:600\">" + html_escape(r.name) + "</span>";
  if (names.empty()) return {};
  return " Dashed vertical lines mark warnings in the colour of their run (hover for the kind and message):" + names +
         ".";
}

}  // namespace

const char* run_color(size_t i) {
  static const char* const colors[kRunColors] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colors[i % kRunColors];
}

CompareCharts::CompareCharts(const std::vector<ComparedRun>& runs, const ReportOptions& opt)
    : runs_(runs), opt_(opt) {
  const size_t per_run = runs.empty() ? 0 : static_cast<size_t>(opt.max_markers) / runs.size();
  markers_ = run_markers(runs, per_run);
  markers_note_ = markers_sentence(runs);
  for (size_t k = 0; k < runs.size(); ++k) {
    const std::vector<int> levels = swd_levels(runs[k].run.metrics);
    if (k == 0) {
      shared_levels_ = levels;
      continue;
    }
    std::vector<int> both;
    std::set_intersection(shared_levels_.begin(), shared_levels_.end(), levels.begin(), levels.end(),
                          std::back_inserter(both), std::greater<>());
    shared_levels_ = both;
  }
}

ChartSpec CompareCharts::chart(const std::string& id, const std::string& title, const std::string& y_label) const {
  ChartSpec spec;
  spec.id = id;
  spec.title = title;
  spec.y_label = y_label;
  spec.markers = markers_;
  spec.max_points = opt_.max_points;
  return spec;
}

// A legend entry for a run that has no point in this chart, so that the legend still names every run.
void CompareCharts::add_no_data_entry(ChartSpec& spec, const ComparedRun& r) const {
  ChartSeries empty;
  empty.name = r.name + " (no data)";
  empty.color = r.color;
  spec.series.push_back(std::move(empty));
}

// Each run's column as the single report draws it (faint raw, bold smoothed), on a y axis spikes do not stretch.
ChartSpec CompareCharts::raw_and_smoothed_per_run(const std::string& id, const std::string& title,
                                                  const std::string& y_label, const std::string& column) const {
  ChartSpec spec = chart(id, title, y_label);
  spec.robust_y = true;
  for (const auto& r : runs_) {
    auto curves = raw_and_smoothed(r.run, column, r.name, r.color, opt_);
    if (curves.empty()) add_no_data_entry(spec, r);
    for (auto& curve : curves) spec.series.push_back(std::move(curve));
  }
  return spec;
}

// Each run's periodic evaluations of a column, dots on a line.
ChartSpec CompareCharts::dotted_per_run(const std::string& id, const std::string& title, const std::string& y_label,
                                        const std::string& column) const {
  ChartSpec spec = chart(id, title, y_label);
  for (const auto& r : runs_) {
    const auto* values = r.run.metrics.get(column);
    ChartSeries line = values ? dotted(r.run, *values, r.name, r.color, 2.0) : ChartSeries{};
    if (line.x.empty()) add_no_data_entry(spec, r);
    else spec.series.push_back(std::move(line));
  }
  return spec;
}

// Each run is smoothed with the weight of its own length, as its single report does.
std::string CompareCharts::smoothing_note() const {
  std::string weights;
  for (const auto& r : runs_)
    weights += (weights.empty() ? "" : ", ") + html_escape(r.name) + " " + fmt(loss_smoothing_weight(r.run), 3);
  return "Faint: every iteration (min/max per pixel column); bold: exponential moving average, debiased as "
         "TensorBoard smooths, with a weight set by each run's length (" + weights + ")." + markers_note_;
}

Figure CompareCharts::loss_d() const {
  return {raw_and_smoothed_per_run("c-loss-d", "Discriminator loss (Loss_D)", "Loss_D", "loss_d"), smoothing_note()};
}

Figure CompareCharts::loss_g() const {
  return {raw_and_smoothed_per_run("c-loss-g", "Generator loss (Loss_G)", "Loss_G", "loss_g"), smoothing_note()};
}

Figure CompareCharts::d_x() const {
  ChartSpec spec = raw_and_smoothed_per_run("c-dx", "D(x), real images", "mean D(x)", "d_x");
  spec.y_min = 0.0;
  spec.y_max = 1.0;
  return {std::move(spec), "Mean D output on the real batch; near 1 for long, with D(G(z)) near 0, means D is "
                           "winning." + markers_note_};
}

Figure CompareCharts::d_g_z() const {
  ChartSpec spec = raw_and_smoothed_per_run("c-dgz", "D(G(z)), generated images", "mean D(G(z))", "d_g_z1");
  spec.y_min = 0.0;
  spec.y_max = 1.0;
  return {std::move(spec), "Mean D output on the fake batch before D's update (the tutorial's D(G(z)) z1)." +
                               markers_note_};
}

Figure CompareCharts::throughput() const {
  return {raw_and_smoothed_per_run("c-speed", "Throughput", "images / s", "images_per_s"),
          "Training images per second (real batch images per iteration time). Compare runs measured on the same, "
          "otherwise idle machine." + markers_note_};
}

// Which SWD levels each run's mean covers, when the runs differ in image size.
std::string CompareCharts::swd_levels_note() const {
  std::string levels;
  bool differ = false;
  for (const auto& r : runs_) {
    const auto own = swd_levels(r.run.metrics);
    differ |= own != shared_levels_;
    std::string sizes;
    for (int s : own) sizes += (sizes.empty() ? "" : ", ") + std::to_string(s);
    levels += (levels.empty() ? "" : "; ") + html_escape(r.name) + ": " + (sizes.empty() ? "none" : sizes + " px");
  }
  if (!differ) return {};
  return " The runs differ in image size, so their means average different levels (" + levels +
         "): compare them level by level in the charts of the levels they share.";
}

Figure CompareCharts::swd_mean() const {
  return {dotted_per_run("c-swd", "SWD x1e3, mean of each run's levels", "SWD x1e3", "swd_avg"),
          "Karras et al. (2018) SWD between generated and real images on a fixed subset, averaged over the run's "
          "Laplacian pyramid levels (the black curve of its own report): lower is better. Computed every "
          "--eval-every iterations." + swd_levels_note() + markers_note_};
}

Figure CompareCharts::swd_level(int size) const {
  const std::string px = std::to_string(size);
  return {dotted_per_run("c-swd-" + px, "SWD x1e3 at the " + px + " px level", "SWD x1e3", "swd_" + px),
          "The pyramid level of " + px + " px, which every run has." + markers_note_};
}

Figure CompareCharts::msssim() const {
  return {dotted_per_run("c-msssim", "MS-SSIM of generated pairs", "MS-SSIM", "msssim_fake"),
          "Mean MS-SSIM of random pairs of generated images (Odena et al. 2017): lower means more diverse. The real "
          "pairs' value of each run is in the table of runs." + markers_note_};
}

}  // namespace trainer::report
