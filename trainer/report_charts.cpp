// The report's charts and their captions: raw curves under smoothed ones, per-layer norm ramps, sparse evaluations.
#include "trainer/report_charts.hpp"

#include "trainer/report_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace trainer::report {

namespace {

// Layer colors: a viridis-like ramp from deep purple (first layer) to yellow-green (last).
std::string ramp_color(size_t i, size_t n) {
  static const double stops[][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {190, 210, 40}};
  const double t = n <= 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(n - 1) * 4.0;
  const int a = std::min(3, static_cast<int>(t));
  const double f = t - a;
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(stops[a][0] + f * (stops[a + 1][0] - stops[a][0])),
                static_cast<int>(stops[a][1] + f * (stops[a + 1][1] - stops[a][1])),
                static_cast<int>(stops[a][2] + f * (stops[a + 1][2] - stops[a][2])));
  return buf;
}

// Indices of the metrics columns whose name starts with `prefix`, in file order.
std::vector<size_t> columns_with_prefix(const MetricsTable& metrics, const std::string& prefix) {
  std::vector<size_t> cols;
  for (size_t i = 0; i < metrics.columns.size(); ++i)
    if (metrics.columns[i].rfind(prefix, 0) == 0) cols.push_back(i);
  return cols;
}

}  // namespace

std::vector<int> swd_levels(const MetricsTable& metrics) {
  std::vector<int> sizes;
  for (const auto& column : metrics.columns) {
    if (column.rfind("swd_", 0) != 0 || column.size() == 4 || column.size() > 10) continue;
    const std::string digits = column.substr(4);
    // Canonical numbers only ("swd_064" is no level), so that "swd_" + to_string(size) names the column again.
    if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        std::to_string(std::stoi(digits)) == digits)
      sizes.push_back(std::stoi(digits));
  }
  std::sort(sizes.rbegin(), sizes.rend());
  return sizes;
}

const char* warn_color(const std::string& kind) {
  if (kind == kWarnDWins) return "#d62728";
  if (kind == kWarnModeCollapse) return "#9467bd";
  if (kind == kWarnExploding) return "#ff7f0e";
  if (kind == kWarnNonFinite) return "#111111";
  return "#7f7f7f";
}

std::string warning_chips(const Run& run) {
  std::string chips;
  for (const auto& [kind, n] : warnings_by_kind(run)) chips += chip(kind + " " + std::to_string(n), warn_color(kind));
  return chips;
}

double smoothing_weight(size_t n) {
  return std::clamp(1.0 - 100.0 / std::max<double>(1.0, static_cast<double>(n)), 0.6, 0.999);
}

std::pair<double, double> last_values(const Run& run, const std::string& column) {
  const auto* values = run.metrics.get(column);
  if (!values) return {NAN, NAN};
  std::vector<double> x, y;
  finite_points(run, *values, x, y);
  if (y.empty()) return {NAN, NAN};
  const auto smoothed = smooth_ema(y, smoothing_weight(y.size()));
  return {y.back(), smoothed.back()};
}

double loss_smoothing_weight(const Run& run) {
  const auto* loss_d = run.metrics.get("loss_d");
  if (!loss_d) return 0;
  std::vector<double> x, y;
  finite_points(run, *loss_d, x, y);
  return x.empty() ? 0 : smoothing_weight(x.size());
}

int smooth_max_points(const ReportOptions& opt) { return std::max(8, opt.max_points / 3); }

std::vector<ChartSeries> raw_and_smoothed(const Run& run, const std::string& column, const std::string& name,
                                          const std::string& color, const ReportOptions& opt) {
  const auto* values = run.metrics.get(column);
  if (!values) return {};
  ChartSeries raw, smoothed;
  finite_points(run, *values, raw.x, raw.y);
  if (raw.x.empty()) return {};
  smoothed.x = raw.x;
  smoothed.y = smooth_ema(raw.y, smoothing_weight(raw.x.size()));
  raw.name = name + " (raw)";
  raw.color = color;
  raw.width = 1.0;
  raw.opacity = 0.28;
  raw.legend = false;
  smoothed.name = name;
  smoothed.color = color;
  smoothed.width = 2.0;
  smoothed.max_points = smooth_max_points(opt);
  return {std::move(raw), std::move(smoothed)};
}

ChartSeries dotted(const Run& run, const std::vector<double>& column, const std::string& name,
                   const std::string& color, double width) {
  ChartSeries line;
  finite_points(run, column, line.x, line.y);
  line.name = name;
  line.color = color;
  line.width = width;
  line.dots = true;
  return line;
}

std::string figures_section(const std::string& id, const std::string& heading, const std::vector<Figure>& figures) {
  std::string html = section_start(id, heading) + "<div class=\"grid2\">";
  for (const auto& f : figures) html += figure(f.chart, f.caption);
  return html + "</div></section>\n";
}

Charts::Charts(const Run& run, const ReportOptions& opt)
    : run_(run), opt_(opt), epoch_guides_(run.epoch_starts.size() <= 50) {
  for (const auto& w : run.warnings) {
    if (static_cast<int>(markers_.size()) >= opt.max_markers) break;
    markers_.push_back({static_cast<double>(w.iter), warn_color(w.kind),
                        "iteration " + std::to_string(w.iter) + ", " + w.kind + ": " + w.message});
  }
  if (!run.warnings.empty()) {
    markers_note_ = " Dashed vertical lines mark warnings (hover for the message):";
    for (const auto& [kind, n] : warnings_by_kind(run))
      markers_note_ += std::string(" <span style=\"color:") + warn_color(kind) + ";font-weight:600\">" +
                       html_escape(kind) + "</span>";
    markers_note_ += ".";
  }
  if (epoch_guides_ && !run.epoch_starts.empty()) epochs_note_ = " Dotted vertical lines mark the start of each epoch.";
}

ChartSpec Charts::chart(const std::string& id, const std::string& title, const std::string& y_label) const {
  ChartSpec spec;
  spec.id = id;
  spec.title = title;
  spec.y_label = y_label;
  spec.markers = markers_;
  spec.guides = epoch_guides_ ? run_.epoch_starts : std::vector<double>{};
  spec.max_points = opt_.max_points;
  return spec;
}

// Adds a column as a faint raw curve and a bold smoothed one; returns false when the column has no data.
bool Charts::add_raw_and_smoothed(ChartSpec& spec, const std::string& column, const std::string& name,
                                  const std::string& color) const {
  auto curves = raw_and_smoothed(run_, column, name, color, opt_);
  for (auto& curve : curves) spec.series.push_back(std::move(curve));
  return !curves.empty();
}

// Adds the smoothed curve of a column alone; nothing when the column has no finite point.
void Charts::add_smoothed(ChartSpec& spec, const std::vector<double>& column, const std::string& name,
                          const std::string& color, double width) const {
  ChartSeries line;
  finite_points(run_, column, line.x, line.y);
  if (line.x.empty()) return;
  line.y = smooth_ema(line.y, smoothing_weight(line.x.size()));
  line.name = name;
  line.color = color;
  line.width = width;
  line.max_points = smooth_max_points(opt_);
  spec.series.push_back(std::move(line));
}

// One smoothed line per parameter column with this prefix ("grad:G:"), plus the network's total norm.
ChartSpec Charts::per_layer(const std::string& id, const std::string& title, const std::string& prefix,
                            const std::string& total_column, const std::string& total_name) const {
  ChartSpec spec = chart(id, title, "L2 norm");
  spec.log_y = true;
  spec.height = 340;
  const std::vector<size_t> cols = columns_with_prefix(run_.metrics, prefix);
  for (size_t k = 0; k < cols.size(); ++k)
    add_smoothed(spec, run_.metrics.data[cols[k]], run_.metrics.columns[cols[k]].substr(prefix.size()),
                 ramp_color(k, cols.size()), 1.5);
  if (const auto* total = run_.metrics.get(total_column)) add_smoothed(spec, *total, total_name, "#222222", 2.4);
  return spec;
}

// One column raw and smoothed, on a y axis that a few spikes do not stretch.
ChartSpec Charts::robust_single(const std::string& id, const std::string& title, const std::string& y_label,
                                const std::string& column, const std::string& name, const std::string& color) const {
  ChartSpec spec = chart(id, title, y_label);
  spec.robust_y = true;
  add_raw_and_smoothed(spec, column, name, color);
  return spec;
}

// Both loss charts name the smoothing weight of Loss_D (0 when it has no data).
std::string Charts::losses_caption() const {
  return "Faint: every iteration (min/max per pixel column); bold: exponential moving average with weight " +
         fmt(loss_smoothing_weight(run_), 3) + ", debiased as TensorBoard smooths." + markers_note_ + epochs_note_;
}

Figure Charts::loss_d() const {
  return {robust_single("loss-d", "Discriminator loss (Loss_D)", "Loss_D", "loss_d", "Loss_D", "#ff7f0e"),
          losses_caption()};
}

Figure Charts::loss_g() const {
  return {robust_single("loss-g", "Generator loss (Loss_G)", "Loss_G", "loss_g", "Loss_G", "#1f77b4"),
          losses_caption()};
}

Figure Charts::d_outputs() const {
  ChartSpec spec = chart("dx", "D(x) and D(G(z))", "mean D output");
  spec.y_min = 0.0;
  spec.y_max = 1.0;
  add_raw_and_smoothed(spec, "d_x", "D(x) real", "#2ca02c");
  add_raw_and_smoothed(spec, "d_g_z1", "D(G(z)) before D step", "#d62728");
  add_raw_and_smoothed(spec, "d_g_z2", "D(G(z)) after D step", "#9467bd");
  return {std::move(spec), "Mean discriminator output on the real batch and on the fake batch, before and after "
                           "D's update (the tutorial's D(G(z)) z1/z2). D(x) near 1 with D(G(z)) near 0 for long "
                           "means D is winning." + markers_note_};
}

Figure Charts::throughput() const {
  return {robust_single("speed", "Throughput", "images / s", "images_per_s", "images/s", "#17becf"),
          "Training images per second (real batch images per iteration time)." + markers_note_};
}

Figure Charts::gradient_norms(Network net) const {
  if (net == Network::generator)
    return {per_layer("gn-g", "Generator gradient norms", "grad:G:", "grad_norm_g", "all of G"),
            "L2 norm of each parameter's gradient (smoothed), deep purple = first layer; black: the whole network. "
            "Per-layer norms are logged every --norms-every iterations." + markers_note_};
  return {per_layer("gn-d", "Discriminator gradient norms", "grad:D:", "grad_norm_d", "all of D"),
          "As for G. A layer whose norm falls by decades has stopped learning; a sudden jump of 100x is flagged as "
          "exploding." + markers_note_};
}

Figure Charts::weight_norms(Network net) const {
  const std::string caption = "L2 norm of each parameter (smoothed).";
  if (net == Network::generator)
    return {per_layer("wn-g", "Generator weight norms", "weight:G:", "weight_norm_g", "all of G"), caption};
  return {per_layer("wn-d", "Discriminator weight norms", "weight:D:", "weight_norm_d", "all of D"), caption};
}

Figure Charts::swd() const {
  ChartSpec spec = chart("swd", "Sliced Wasserstein distance (x1e3)", "SWD x1e3");
  const std::vector<int> levels = swd_levels(run_.metrics);
  for (size_t k = 0; k < levels.size(); ++k)
    spec.series.push_back(dotted(run_, *run_.metrics.get("swd_" + std::to_string(levels[k])),
                                 "level " + std::to_string(levels[k]) + " px", ramp_color(k, levels.size() + 1), 1.4));
  if (const auto* avg = run_.metrics.get("swd_avg"))
    spec.series.push_back(dotted(run_, *avg, "average", "#222222", 2.4));
  return {std::move(spec), "Karras et al. (2018) SWD between generated and real images on a fixed subset, per "
                           "Laplacian pyramid level (finest first) and averaged: lower is better. Computed every "
                           "--eval-every iterations." + markers_note_};
}

Figure Charts::msssim() const {
  ChartSpec spec = chart("msssim", "MS-SSIM of random pairs", "MS-SSIM");
  const ChartSeries defaults;
  const std::tuple<const char*, const char*, const char*> sets[] = {{"msssim_fake", "generated", "#d62728"},
                                                                    {"msssim_real", "real", "#2ca02c"}};
  for (const auto& [column, name, color] : sets)
    if (const auto* values = run_.metrics.get(column))
      spec.series.push_back(dotted(run_, *values, name, color, defaults.width));
  return {std::move(spec), "Mean MS-SSIM of random pairs within a set (Odena et al. 2017): lower means more "
                           "diverse. Generated pairs far above real pairs suggest mode collapse." + markers_note_};
}

}  // namespace trainer::report
