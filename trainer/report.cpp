// write_report and the page it writes, one function per section: summary, charts, samples, warnings, options.
// The page stays bounded in size: curves are decimated, grids subsampled, lists capped.
#include "trainer/report.hpp"

#include "pipeline/atomic_file.hpp"
#include "trainer/report_assets.hpp"
#include "trainer/report_charts.hpp"
#include "trainer/report_html.hpp"
#include "trainer/report_run.hpp"
#include "trainer/run_layout.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;

namespace {

using report::card;
using report::fmt;
using report::last_values;
using report::note_section;
using report::Run;
using report::section_start;

// ---- page frame ----------------------------------------------------------------------------------------------

// The title bar (run, path, time written) and the navigation to the sections.
std::string page_header(const Run& run, const std::string& name) {
  return "<header><h1>DCGAN training report · " + html_escape(name) + "</h1><p>" +
         html_escape(fs::absolute(run.dir).lexically_normal().string()) + " · written " + report::local_time_now() +
         " by dcgan-onednn report</p></header>\n"
         "<nav><a href=\"#summary\">Summary</a><a href=\"#losses\">Losses</a><a href=\"#dx\">D(x), D(G(z))</a>"
         "<a href=\"#norms\">Gradient norms</a><a href=\"#quality\">SWD, MS-SSIM</a><a href=\"#samples\">Samples</a>"
         "<a href=\"#warnings\">Warnings</a><a href=\"#run\">Options, machine</a></nav>\n<main>\n";
}

std::string page_footer(const Run& run) {
  std::ostringstream html;
  html << "<footer>Charts are inline SVG drawn by dcgan-onednn; curves with many points are drawn from per-pixel "
          "minima and maxima. Sources: metrics.csv ("
       << run.metrics.rows() << " rows), warnings.csv (" << run.warnings.size() << "), samples/ ("
       << run.grids.size() << " grids).</footer>\n</main>\n<script>" << report::kJs
       << "</script>\n</body>\n</html>\n";
  return html.str();
}

// ---- summary -------------------------------------------------------------------------------------------------

// What reading metrics.csv left out, so that the numbers below are not taken for the whole run.
std::string metrics_file_notes(const Run& run) {
  std::ostringstream html;
  if (run.metrics.truncated_last_line)
    html << "<div class=\"warnnote\">The last line of metrics.csv was incomplete (the run was stopped while writing "
            "it); it is left out.</div>";
  if (run.metrics.malformed_rows)
    html << "<div class=\"warnnote\">" << run.metrics.malformed_rows
         << " malformed row(s) of metrics.csv were skipped.</div>";
  return html.str();
}

// Iterations, losses and D outputs at the end of the run.
std::string training_cards(const Run& run) {
  const size_t rows = run.metrics.rows();
  const double last_iter = rows ? run.iters.back() : NAN;
  const auto* epoch = run.metrics.get("epoch");
  std::string cards = card("iterations", rows ? fmt(last_iter + 1, 10) : "0",
                           rows && epoch ? "epoch " + fmt(epoch->back(), 10) + " (0-based), " +
                                               std::to_string(rows) + " rows"
                                         : "");
  const auto [ld, ld_s] = last_values(run, "loss_d");
  const auto [lg, lg_s] = last_values(run, "loss_g");
  cards += card("Loss_D (smoothed)", fmt(ld_s), "last " + fmt(ld)) +
           card("Loss_G (smoothed)", fmt(lg_s), "last " + fmt(lg));
  const auto [dx, dx_s] = last_values(run, "d_x");
  const auto [dg, dg_s] = last_values(run, "d_g_z1");
  return cards + card("D(x) / D(G(z)) (smoothed)", fmt(dx_s, 3) + " / " + fmt(dg_s, 3),
                      "last " + fmt(dx, 3) + " / " + fmt(dg, 3));
}

// The latest SWD (with the best one and when) and MS-SSIM.
std::string quality_cards(const Run& run) {
  const auto [best, best_iter] = report::lowest_value(run, "swd_avg");
  const double swd_last = last_values(run, "swd_avg").first;
  const double msssim_fake = last_values(run, "msssim_fake").first;
  const double msssim_real = last_values(run, "msssim_real").first;
  return card("SWD x1e3 (avg of levels)", fmt(swd_last),
              std::isfinite(best) ? "best " + fmt(best) + " at iteration " + fmt(best_iter, 10) : "not evaluated yet") +
         card("MS-SSIM fake / real", fmt(msssim_fake, 3) + " / " + fmt(msssim_real, 3), "lower = more diverse");
}

// Median images/s (robust to the slow first iterations and checkpoint pauses) and the wall time.
std::string throughput_card(const Run& run) {
  const double median = report::median_value(run, "images_per_s");
  const double wall = last_values(run, "wall_s").first;
  return card("throughput (median)", std::isfinite(median) ? fmt(median, 4) + " img/s" : "–",
              "wall time " + report::duration_text(wall));
}

std::string warnings_card(const Run& run) {
  const std::string chips = report::warning_chips(run);
  return "<div class=\"card\"><div class=\"k\">warnings</div><div class=\"v\">" + std::to_string(run.warnings.size()) +
         "</div><div class=\"s\">" + (chips.empty() ? "none" : chips) + "</div></div>";
}

std::string summary_section(const Run& run) {
  return "<section id=\"summary\">" + metrics_file_notes(run) + "<div class=\"cards\">" + training_cards(run) +
         quality_cards(run) + throughput_card(run) + warnings_card(run) + "</div></section>\n";
}

// ---- samples -------------------------------------------------------------------------------------------------

// How many grids fit: at most opt.max_grids, and about opt.max_grid_bytes at the mean PNG size (at least 2).
size_t grid_budget(const std::vector<SampleGrid>& grids, const ReportOptions& opt) {
  const size_t budget = static_cast<size_t>(opt.max_grids);
  if (grids.empty()) return budget;
  uintmax_t total = 0;
  for (const auto& grid : grids) {
    std::error_code ec;
    const uintmax_t size = fs::file_size(grid.path, ec);
    total += ec ? 1 : std::max<uintmax_t>(1, size);
  }
  const double mean = static_cast<double>(total) / static_cast<double>(grids.size());
  return std::min(budget, std::max<size_t>(2, static_cast<size_t>(static_cast<double>(opt.max_grid_bytes) / mean)));
}

// Indices of the grids to embed: all when they fit, otherwise evenly spaced with the first and the last.
std::vector<size_t> pick_grids(const std::vector<SampleGrid>& grids, const ReportOptions& opt) {
  const size_t n = grids.size(), budget = grid_budget(grids, opt);
  std::vector<size_t> picked;
  if (n <= budget) {
    for (size_t i = 0; i < n; ++i) picked.push_back(i);
    return picked;
  }
  for (size_t i = 0; i < budget; ++i) {
    const size_t index = static_cast<size_t>(std::llround(static_cast<double>(i) * (n - 1) / (budget - 1)));
    if (picked.empty() || picked.back() != index) picked.push_back(index);
  }
  return picked;
}

// The thumbnails of the picked grids; a file that is not a readable PNG is counted in `unreadable` and skipped.
std::string grid_thumbnails(const Run& run, const std::vector<size_t>& picked, size_t& embedded, size_t& unreadable) {
  std::string strip;
  for (size_t i : picked) {
    const std::string png = report::read_png(run.grids[i].path);
    if (png.empty()) {
      ++unreadable;
      continue;
    }
    const std::string label = "iteration " + std::to_string(run.grids[i].iter);
    strip += "<figure><img src=\"" + report::png_data_uri(png) + "\" alt=\"" + label + "\" data-label=\"" + label +
             "\"><figcaption>" + std::to_string(run.grids[i].iter) + "</figcaption></figure>";
    ++embedded;
  }
  return strip;
}

// The paragraph above the viewer: what the grids are and, when some are left out, why.
std::string samples_note(size_t total, size_t embedded, size_t unreadable, const ReportOptions& opt) {
  std::ostringstream html;
  html << "<p class=\"note\">The same fixed noise vectors at each sampled iteration, so the same faces can be "
          "watched forming. ";
  if (embedded < total)
    html << "Showing " << embedded << " of " << total << " grids, evenly spaced over the run (first and last "
         << "included), to keep this page small (at most " << opt.max_grids << " grids and about "
         << (opt.max_grid_bytes >> 20) << " MiB of PNG). ";
  if (unreadable) html << unreadable << " grid file(s) could not be read as PNG and are left out. ";
  html << "Drag the slider or click a thumbnail.</p>";
  return html.str();
}

// The sample timeline: a slider over the embedded grids, the selected one large, the real images beside it.
// `embedded` receives how many grids the page holds.
std::string samples_section(const Run& run, const ReportOptions& opt, size_t& embedded) {
  if (run.grids.empty())
    return note_section("samples", "Fixed-noise samples",
                        "No sample grids yet (samples/iter_NNNNNNN.png appear every --sample-every iterations).");
  size_t unreadable = 0;
  const std::string strip = grid_thumbnails(run, pick_grids(run.grids, opt), embedded, unreadable);
  const std::string real = report::read_png(run.dir / run_layout::kRealSamples);
  const size_t last = embedded ? embedded - 1 : 0;
  std::ostringstream html;
  html << section_start("samples", "Fixed-noise samples") << samples_note(run.grids.size(), embedded, unreadable, opt);
  html << "<div class=\"slider\"><input type=\"range\" id=\"grid-slider\" min=\"0\" max=\"" << last
       << "\" value=\"" << last << "\" aria-label=\"sample grid\"></div>";
  html << "<div class=\"viewer\"><figure><img id=\"grid-big\" alt=\"selected sample grid\"><figcaption "
          "id=\"grid-cap\"></figcaption><noscript>JavaScript is off: the thumbnails below are the grids.</noscript>"
          "</figure>";
  if (!real.empty())
    html << "<figure><img src=\"" << report::png_data_uri(real)
         << "\" alt=\"real training images\"><figcaption>real images (first batch)</figcaption></figure>";
  html << "</div><div class=\"strip\">" << strip << "</div></section>\n";
  return html.str();
}

// ---- warnings, options, machine ------------------------------------------------------------------------------

// The earliest opt.max_warnings_listed warnings; the rest are counted and left to warnings.csv.
std::string warnings_section(const Run& run, const ReportOptions& opt) {
  if (run.warnings.empty())
    return note_section("warnings", "Warnings",
                        "None: no discriminator-wins, mode-collapse, exploding-gradient or non-finite warning was "
                        "raised.");
  std::ostringstream html;
  html << section_start("warnings", "Warnings")
       << "<table><thead><tr><th>iteration</th><th>kind</th><th>message</th></tr></thead><tbody>";
  size_t shown = 0;
  for (const auto& w : run.warnings) {
    if (static_cast<int>(shown) >= opt.max_warnings_listed) break;
    html << "<tr><td class=\"num\">" << w.iter << "</td><td>" << report::chip(w.kind, report::warn_color(w.kind))
         << "</td><td>" << html_escape(w.message) << "</td></tr>";
    ++shown;
  }
  html << "</tbody></table>";
  if (shown < run.warnings.size())
    html << "<p class=\"note\">" << run.warnings.size() - shown << " more in warnings.csv.</p>";
  html << "</section>\n";
  return html.str();
}

std::string run_section(const Run& run) {
  return section_start("run", "Options and machine") + "<div class=\"tables\"><div><h3>options.cfg</h3>" +
         report::key_value_table(run.options, "options.cfg is missing.") + "</div><div><h3>machine (info.txt)</h3>" +
         report::key_value_table(run.machine_info, "info.txt is missing.") + "</div></div></section>\n";
}

}  // namespace

ReportSummary write_report(const fs::path& run_dir, const ReportOptions& opt) {
  if (opt.max_grids < 1 || opt.max_points < 8 || opt.max_warnings_listed < 0 || opt.max_markers < 0)
    throw std::invalid_argument("report: max_grids >= 1, max_points >= 8 and non-negative list limits are needed");
  const Run run = report::load_run(run_dir);
  const fs::path out = opt.out.empty() ? run_dir / run_layout::kReport : opt.out;
  const std::string name = report::run_name(run_dir);
  const report::Charts charts(run, opt);
  using report::figures_section;
  using report::Network;

  ReportSummary summary;
  std::string page = report::page_head(name + " · DCGAN training report");
  page += page_header(run, name);
  page += summary_section(run);
  page += figures_section("losses", "Losses", {charts.loss_d(), charts.loss_g()});
  page += figures_section("dx", "Discriminator outputs", {charts.d_outputs(), charts.throughput()});
  page += figures_section("norms", "Gradient and weight norms per layer",
                          {charts.gradient_norms(Network::generator), charts.gradient_norms(Network::discriminator),
                           charts.weight_norms(Network::generator), charts.weight_norms(Network::discriminator)});
  page += figures_section("quality", "Sample quality", {charts.swd(), charts.msssim()});
  page += samples_section(run, opt, summary.grids_embedded);
  page += warnings_section(run, opt);
  page += run_section(run);
  page += page_footer(run);

  pipeline::write_file_atomic(out, page);
  summary.path = out;
  summary.rows = run.metrics.rows();
  summary.grids_total = run.grids.size();
  summary.warnings = run.warnings.size();
  summary.bytes = page.size();
  return summary;
}

}  // namespace trainer
