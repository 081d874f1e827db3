// write_comparison and its page, one function per section: the runs, the charts, the latest grids, the options that
// differ, the warnings. The pieces are the single report's (report_run, report_charts, report_html, report_assets).
#include "trainer/report_compare.hpp"

#include "pipeline/atomic_file.hpp"
#include "trainer/report_assets.hpp"
#include "trainer/report_compare_charts.hpp"
#include "trainer/report_html.hpp"
#include "trainer/resume.hpp"
#include "trainer/run_layout.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;

namespace report {

namespace {

// The value a run saved for an option, in the table's canonical text; "" when it did not record it.
std::string saved_value(const SavedOptionList& saved, const opt::Row<TrainOptions>* row, const std::string& name) {
  for (const auto& [key, value] : saved)
    if (key == name) return row ? opt::canonical_text(*row, value) : value;
  return {};
}

// Whether the runs that recorded options disagree on this one.
bool values_differ(const std::vector<SavedOptionList>& runs, const std::vector<std::string>& values) {
  const std::string* first = nullptr;
  for (size_t k = 0; k < runs.size(); ++k) {
    if (runs[k].empty()) continue;
    if (first && *first != values[k]) return true;
    if (!first) first = &values[k];
  }
  return false;
}

// Every option name to compare: the table's rows in order, then the names the table does not know.
std::vector<std::string> option_names(const std::vector<SavedOptionList>& runs) {
  std::vector<std::string> names;
  for (const auto& row : train_options()) names.push_back(row.name);
  for (const auto& saved : runs)
    for (const auto& entry : saved)
      if (std::find(names.begin(), names.end(), entry.first) == names.end()) names.push_back(entry.first);
  return names;
}

}  // namespace

std::vector<OptionDifference> differing_options(const std::vector<SavedOptionList>& runs) {
  std::vector<OptionDifference> diffs;
  for (const auto& name : option_names(runs)) {
    if (name == "out") continue;
    const auto* row = opt::find(train_options(), name);
    OptionDifference d{name, {}};
    for (const auto& saved : runs) d.values.push_back(saved_value(saved, row, name));
    if (values_differ(runs, d.values)) diffs.push_back(std::move(d));
  }
  return diffs;
}

SavedOptionList saved_option_list(const fs::path& run_dir) {
  const auto saved = saved_run_options(run_dir);
  if (!saved) return {};
  try {
    return opt::parse_config_text(saved->text);
  } catch (const std::invalid_argument&) {  // not a config file: the page says the run recorded no options
    return {};
  }
}

}  // namespace report

namespace {

using report::ComparedRun;
using report::fmt;
using report::section_start;

// ---- the runs ------------------------------------------------------------------------------------------------

// Refuses, by name, what cannot be compared: a directory that is not a run, a run given twice.
void check_run_dirs(const std::vector<fs::path>& dirs) {
  std::set<fs::path> seen;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / run_layout::kMetrics, ec))
      throw std::runtime_error("report --compare: '" + dir.string() + "' is not a run directory (it has no " +
                               run_layout::kMetrics + "; runs are the --out directories of 'dcgan-onednn train')");
    if (!seen.insert(fs::weakly_canonical(dir)).second)
      throw std::invalid_argument("report --compare: the run '" + dir.string() + "' is given twice");
  }
}

// A run's folder name, or the path as given when two runs share a folder name (runs/a/x and runs/b/x).
std::vector<std::string> run_names(const std::vector<fs::path>& dirs) {
  std::vector<std::string> names;
  for (const auto& dir : dirs) names.push_back(report::run_name(dir));
  std::vector<std::string> unique = names;
  for (size_t k = 0; k < dirs.size(); ++k)
    if (std::count(names.begin(), names.end(), names[k]) > 1) unique[k] = dirs[k].lexically_normal().string();
  return unique;
}

// The runs, each named and coloured, with its options as train --resume reads them (the options the page compares).
std::vector<ComparedRun> load_runs(const std::vector<fs::path>& dirs) {
  check_run_dirs(dirs);
  const auto names = run_names(dirs);
  std::vector<ComparedRun> runs;
  for (size_t k = 0; k < dirs.size(); ++k) {
    runs.push_back({report::load_run(dirs[k]), names[k], report::run_color(k)});
    runs.back().run.options = report::saved_option_list(dirs[k]);
  }
  return runs;
}

// ---- page frame ----------------------------------------------------------------------------------------------

std::string title_of(const std::vector<ComparedRun>& runs) {
  std::string title;
  for (const auto& r : runs) title += (title.empty() ? "" : " vs ") + r.name;
  return title;
}

std::string page_header(const std::vector<ComparedRun>& runs) {
  return "<header><h1>DCGAN run comparison · " + html_escape(title_of(runs)) + "</h1><p>" +
         std::to_string(runs.size()) + " runs · written " + report::local_time_now() +
         " by dcgan-onednn report --compare</p></header>\n"
         "<nav><a href=\"#runs\">Runs</a><a href=\"#losses\">Losses</a><a href=\"#dx\">D(x), D(G(z))</a>"
         "<a href=\"#quality\">SWD, MS-SSIM</a><a href=\"#speed\">Throughput</a><a href=\"#samples\">Samples</a>"
         "<a href=\"#options\">Options that differ</a><a href=\"#warnings\">Warnings</a></nav>\n<main>\n";
}

std::string page_footer(const std::vector<ComparedRun>& runs) {
  std::ostringstream html;
  html << "<footer>Charts are inline SVG drawn by dcgan-onednn; curves with many points are drawn from per-pixel "
          "minima and maxima. Sources:";
  for (const auto& r : runs)
    html << ' ' << html_escape(r.name) << " (metrics.csv " << r.run.metrics.rows() << " rows, warnings.csv "
         << r.run.warnings.size() << ", samples/ " << r.run.grids.size() << " grids)";
  html << ".</footer>\n</main>\n</body>\n</html>\n";
  return html.str();
}

// ---- the table of runs ---------------------------------------------------------------------------------------

// A header row naming each run beside its colour swatch.
std::string run_header_row(const std::vector<ComparedRun>& runs, const std::string& first) {
  std::string html = "<thead><tr><th>" + first + "</th>";
  for (const auto& r : runs)
    html += "<th><span class=\"swatch\" style=\"background:" + r.color + "\"></span>" + html_escape(r.name) + "</th>";
  return html + "</tr></thead>";
}

// One row: a label and one cell per run, each made by `cell` (HTML).
std::string run_row(const std::vector<ComparedRun>& runs, const std::string& label,
                    const std::function<std::string(const ComparedRun&)>& cell) {
  std::string html = "<tr><th>" + html_escape(label) + "</th>";
  for (const auto& r : runs) html += "<td>" + cell(r) + "</td>";
  return html + "</tr>";
}

// "a / b" of the smoothed last values of two columns, with `digits` significant digits.
std::string smoothed_pair(const ComparedRun& r, const char* a, const char* b, int digits) {
  return html_escape(fmt(report::last_values(r.run, a).second, digits) + " / " +
                     fmt(report::last_values(r.run, b).second, digits));
}

std::string image_size_cell(const ComparedRun& r) {
  const auto levels = report::swd_levels(r.run.metrics);
  return levels.empty() ? "–" : std::to_string(levels.front()) + " px";
}

std::string length_cell(const ComparedRun& r) {
  const size_t rows = r.run.metrics.rows();
  if (!rows) return "0";
  const auto* epoch = r.run.metrics.get("epoch");
  const std::string where = epoch ? " (epoch " + fmt(epoch->back(), 10) + ", 0-based)" : "";
  return html_escape(fmt(r.run.iters.back() + 1, 10) + where);
}

std::string swd_cell(const ComparedRun& r) {
  const auto [best, at] = report::lowest_value(r.run, "swd_avg");
  if (!std::isfinite(best)) return "not evaluated";
  return html_escape(fmt(report::last_values(r.run, "swd_avg").first) + " (best " + fmt(best) + " at " +
                     fmt(at, 10) + ")");
}

std::string warnings_cell(const ComparedRun& r) {
  const std::string chips = report::warning_chips(r.run);
  return std::to_string(r.run.warnings.size()) + (chips.empty() ? "" : " " + chips);
}

// A saved option of the run, as its options.cfg says it; "–" when it is not recorded.
std::function<std::string(const ComparedRun&)> option_cell(const char* name) {
  return [name](const ComparedRun& r) {
    for (const auto& [key, value] : r.run.options)
      if (key == name) return html_escape(value);
    return std::string("–");
  };
}

std::string directory_cell(const ComparedRun& r) {
  return "<code>" + html_escape(fs::absolute(r.run.dir).lexically_normal().string()) + "</code>";
}

// What each run is: directory, image size, precision, batch, length, wall time.
std::string identity_rows(const std::vector<ComparedRun>& runs) {
  return run_row(runs, "directory", directory_cell) + run_row(runs, "image size", image_size_cell) +
         run_row(runs, "precision", option_cell("precision")) + run_row(runs, "batch", option_cell("batch")) +
         run_row(runs, "iterations", length_cell) + run_row(runs, "wall time", [](const ComparedRun& r) {
           return html_escape(report::duration_text(report::last_values(r.run, "wall_s").first));
         });
}

// Where each run ended: speed, losses, D outputs, quality, warnings.
std::string outcome_rows(const std::vector<ComparedRun>& runs) {
  return run_row(runs, "images/s (median)",
                 [](const ComparedRun& r) { return html_escape(fmt(report::median_value(r.run, "images_per_s"))); }) +
         run_row(runs, "Loss_D / Loss_G (smoothed, last)",
                 [](const ComparedRun& r) { return smoothed_pair(r, "loss_d", "loss_g", 4); }) +
         run_row(runs, "D(x) / D(G(z)) (smoothed, last)",
                 [](const ComparedRun& r) { return smoothed_pair(r, "d_x", "d_g_z1", 3); }) +
         run_row(runs, "SWD x1e3, mean of levels (last)", swd_cell) +
         run_row(runs, "MS-SSIM generated / real (last)", [](const ComparedRun& r) {
           return html_escape(fmt(report::last_values(r.run, "msssim_fake").first, 3) + " / " +
                              fmt(report::last_values(r.run, "msssim_real").first, 3));
         }) +
         run_row(runs, "warnings", warnings_cell);
}

std::string runs_section(const std::vector<ComparedRun>& runs) {
  return section_start("runs", "Runs") + "<table class=\"runs\">" + run_header_row(runs, "") + "<tbody>" +
         identity_rows(runs) + outcome_rows(runs) + "</tbody></table></section>\n";
}

// ---- charts --------------------------------------------------------------------------------------------------

std::string chart_sections(const report::CompareCharts& charts) {
  std::vector<report::Figure> quality = {charts.swd_mean()};
  for (int size : charts.shared_swd_levels()) quality.push_back(charts.swd_level(size));
  quality.push_back(charts.msssim());
  return report::figures_section("losses", "Losses", {charts.loss_d(), charts.loss_g()}) +
         report::figures_section("dx", "Discriminator outputs", {charts.d_x(), charts.d_g_z()}) +
         report::figures_section("quality", "Sample quality", quality) +
         report::figures_section("speed", "Throughput", {charts.throughput()});
}

// ---- samples, options, warnings ------------------------------------------------------------------------------

// The latest grid of a run in a figure edged in its colour, or a note where it has none that reads as PNG.
std::string latest_grid(const ComparedRun& r, size_t& embedded) {
  const std::string edge = "<figure style=\"border-top-color:" + r.color + "\">";
  const std::string name = html_escape(r.name);
  if (r.run.grids.empty())
    return edge + "<p class=\"note\">" + name + ": no sample grid yet.</p></figure>";
  const auto& grid = r.run.grids.back();
  const std::string png = report::read_png(grid.path);
  if (png.empty())
    return edge + "<p class=\"note\">" + name + ": " + html_escape(grid.path.filename().string()) +
           " could not be read as PNG.</p></figure>";
  ++embedded;
  const std::string label = r.name + ", iteration " + std::to_string(grid.iter);
  return edge + "<img src=\"" + report::png_data_uri(png) + "\" alt=\"" + html_escape(label) + "\"><figcaption>" +
         "<span class=\"swatch\" style=\"background:" + r.color + "\"></span>" + html_escape(label) + " (latest of " +
         std::to_string(r.run.grids.size()) + ")</figcaption></figure>";
}

std::string samples_section(const std::vector<ComparedRun>& runs, size_t& embedded) {
  std::string html = section_start("samples", "Latest fixed-noise samples") +
                     "<p class=\"note\">Each run's newest grid of its fixed noise vectors (runs with the same seed "
                     "and noise size share them).</p><div class=\"sidebyside\">";
  for (const auto& r : runs) html += latest_grid(r, embedded);
  return html + "</div></section>\n";
}

// Runs that recorded no options, named under the table.
std::string unrecorded_note(const std::vector<ComparedRun>& runs) {
  std::string names;
  for (const auto& r : runs)
    if (r.run.options.empty()) names += (names.empty() ? "" : ", ") + html_escape(r.name);
  return names.empty() ? "" : "<p class=\"note\">No options.cfg (nor checkpoint) to read in: " + names +
                                  "; left out of the comparison.</p>";
}

std::string options_section(const std::vector<ComparedRun>& runs, const std::vector<report::OptionDifference>& diffs) {
  std::string html = section_start("options", "Options that differ") +
                     "<p class=\"note\">Only the options whose values differ, read from each run's options.cfg as "
                     "train --resume reads it; --out (the run directory) is left out. A run's full options are in "
                     "its own report.</p>";
  if (diffs.empty()) html += "<p class=\"note\">None: the runs were trained with the same options.</p>";
  else {
    html += "<table class=\"diff\">" + run_header_row(runs, "option") + "<tbody>";
    for (const auto& d : diffs) {
      html += "<tr><th>" + html_escape(d.name) + "</th>";
      for (const auto& v : d.values) html += "<td class=\"mono\">" + (v.empty() ? "–" : html_escape(v)) + "</td>";
      html += "</tr>";
    }
    html += "</tbody></table>";
  }
  return html + unrecorded_note(runs) + "</section>\n";
}

// Every run's warnings by iteration (then run), the earliest opt.max_warnings_listed; the rest are counted.
std::string warnings_section(const std::vector<ComparedRun>& runs, const ReportOptions& opt) {
  std::vector<std::pair<const HealthWarning*, const ComparedRun*>> all;
  for (const auto& r : runs)
    for (const auto& w : r.run.warnings) all.emplace_back(&w, &r);
  if (all.empty())
    return report::note_section("warnings", "Warnings", "None: no run raised a warning.");
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first->iter < b.first->iter; });
  std::ostringstream html;
  html << section_start("warnings", "Warnings")
       << "<p class=\"note\">Also marked on every chart's time axis in the colour of their run.</p><table><thead><tr>"
          "<th>iteration</th><th>run</th><th>kind</th><th>message</th></tr></thead><tbody>";
  const size_t shown = std::min(all.size(), static_cast<size_t>(opt.max_warnings_listed));
  for (size_t i = 0; i < shown; ++i) {
    const auto& [w, r] = all[i];
    html << "<tr><td class=\"num\">" << w->iter << "</td><td>" << report::chip(r->name, r->color.c_str()) << "</td><td>"
         << report::chip(w->kind, report::warn_color(w->kind)) << "</td><td>" << html_escape(w->message)
         << "</td></tr>";
  }
  html << "</tbody></table>";
  if (shown < all.size()) html << "<p class=\"note\">" << all.size() - shown << " more in the runs' warnings.csv.</p>";
  html << "</section>\n";
  return html.str();
}

void check_options(const std::vector<fs::path>& dirs, const ReportOptions& opt) {
  if (opt.out.empty())
    throw std::invalid_argument("--out: is required with --compare (the page belongs to no one run)");
  if (dirs.size() < kMinComparedRuns || dirs.size() > kMaxComparedRuns)
    throw std::invalid_argument("--compare: takes " + std::to_string(kMinComparedRuns) + " to " +
                                std::to_string(kMaxComparedRuns) + " run directories (one colour each), got " +
                                std::to_string(dirs.size()));
  if (opt.max_points < 8 || opt.max_warnings_listed < 0 || opt.max_markers < 0)
    throw std::invalid_argument("report: max_points >= 8 and non-negative list limits are needed");
}

}  // namespace

CompareSummary write_comparison(const std::vector<fs::path>& run_dirs, const ReportOptions& opt) {
  check_options(run_dirs, opt);
  const std::vector<ComparedRun> runs = load_runs(run_dirs);
  std::vector<report::SavedOptionList> saved;
  for (const auto& r : runs) saved.push_back(r.run.options);
  const auto diffs = report::differing_options(saved);
  const report::CompareCharts charts(runs, opt);

  CompareSummary summary;
  std::string page = report::page_head(title_of(runs) + " · DCGAN run comparison", report::kCompareCss);
  page += page_header(runs);
  page += runs_section(runs);
  page += chart_sections(charts);
  page += samples_section(runs, summary.grids_embedded);
  page += options_section(runs, diffs);
  page += warnings_section(runs, opt);
  page += page_footer(runs);

  pipeline::write_file_atomic(opt.out, page);
  summary.path = opt.out;
  summary.runs = runs.size();
  summary.differing_options = diffs.size();
  for (const auto& r : runs) summary.warnings += r.run.warnings.size();
  summary.bytes = page.size();
  return summary;
}

}  // namespace trainer
