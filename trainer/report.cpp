// Builds RUN_DIR/report.html from the run directory: summary, warnings, charts (inline SVG), sample timeline
// (PNG data URIs), options and machine. Bounded in size: curves are decimated, grids subsampled, lists capped.
#include "trainer/report.hpp"

#include "trainer/run_layout.hpp"

#include "pipeline/atomic_file.hpp"
#include "trainer/run_files.hpp"
#include "trainer/svg_chart.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace trainer {

namespace fs = std::filesystem;

namespace {

// ---- small helpers -------------------------------------------------------------------------------------------

std::string base64(const std::string& in) {
  static const char* tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += tab[v >> 18], out += tab[(v >> 12) & 63], out += tab[(v >> 6) & 63], out += tab[v & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += tab[v >> 18], out += tab[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += tab[v >> 18], out += tab[(v >> 12) & 63], out += tab[(v >> 6) & 63], out += '=';
  }
  return out;
}

// The bytes of a PNG file, or empty when it is missing or not a PNG.
std::string read_png(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return {};
  std::ostringstream s;
  s << f.rdbuf();
  std::string b = s.str();
  static const std::string magic("\x89PNG\r\n\x1a\n", 8);
  return b.compare(0, magic.size(), magic) == 0 ? b : std::string();
}

std::string fmt(double v, int digits = 4) {
  if (!std::isfinite(v)) return std::isnan(v) ? "–" : (v > 0 ? "+inf" : "-inf");
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "–";
  const long t = static_cast<long>(s + 0.5);
  char buf[48];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh %02ldm %02lds", t / 3600, (t / 60) % 60, t % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm %02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

const char* warn_color(const std::string& kind) {
  if (kind == kWarnDWins) return "#d62728";
  if (kind == kWarnModeCollapse) return "#9467bd";
  if (kind == kWarnExploding) return "#ff7f0e";
  if (kind == kWarnNonFinite) return "#111111";
  return "#7f7f7f";
}

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

// TensorBoard-like smoothing weight for n points: an averaging window of about 1% of the run.
double smoothing_weight(size_t n) { return std::clamp(1.0 - 100.0 / std::max<double>(1.0, static_cast<double>(n)), 0.6, 0.999); }

// ---- the run -------------------------------------------------------------------------------------------------

struct Run {
  fs::path dir;
  MetricsTable m;
  std::vector<HealthWarning> warnings;
  std::vector<std::pair<std::string, std::string>> options, info;
  std::vector<SampleGrid> grids;
  std::vector<double> x;             // iteration of each row
  std::vector<double> epoch_starts;  // iterations where a new epoch begins
};

Run load_run(const fs::path& dir) {
  Run r;
  r.dir = dir;
  r.m = read_metrics_csv(dir / run_layout::kMetrics);
  r.warnings = read_warnings_csv(dir / run_layout::kWarnings);
  r.options = read_config_file(dir / run_layout::kOptions);
  r.info = read_key_value_text(dir / run_layout::kInfo);
  r.grids = list_sample_grids(dir);
  if (const auto* it = r.m.get("iter")) r.x = *it;
  else
    for (size_t i = 0; i < r.m.rows(); ++i) r.x.push_back(static_cast<double>(i));
  if (const auto* ep = r.m.get("epoch"))
    for (size_t i = 1; i < ep->size(); ++i)
      if ((*ep)[i] != (*ep)[i - 1] && std::isfinite((*ep)[i])) r.epoch_starts.push_back(r.x[i]);
  return r;
}

// The finite (x, y) points of a column.
void points(const Run& r, const std::vector<double>& col, std::vector<double>& x, std::vector<double>& y) {
  x.clear(), y.clear();
  for (size_t i = 0; i < col.size() && i < r.x.size(); ++i)
    if (std::isfinite(col[i]) && std::isfinite(r.x[i])) x.push_back(r.x[i]), y.push_back(col[i]);
}

// ---- charts --------------------------------------------------------------------------------------------------

struct Charts {
  const Run& run;
  const ReportOptions& opt;
  std::vector<ChartMarker> markers;

  ChartSpec base(const std::string& id, const std::string& title, const std::string& y_label) const {
    ChartSpec s;
    s.id = id;
    s.title = title;
    s.y_label = y_label;
    s.markers = markers;
    s.guides = run.epoch_starts.size() <= 50 ? run.epoch_starts : std::vector<double>{};
    s.max_points = opt.max_points;
    return s;
  }

  // Adds a column as a faint raw curve and a bold smoothed one; returns false when the column has no data.
  bool add_raw_and_smoothed(ChartSpec& s, const std::string& col, const std::string& name, const std::string& color,
                            double* weight_out = nullptr) const {
    const auto* c = run.m.get(col);
    if (!c) return false;
    ChartSeries raw, sm;
    points(run, *c, raw.x, raw.y);
    if (raw.x.empty()) return false;
    const double w = smoothing_weight(raw.x.size());
    if (weight_out) *weight_out = w;
    sm.x = raw.x;
    sm.y = smooth_ema(raw.y, w);
    raw.name = name + " (raw)";
    raw.color = color;
    raw.width = 1.0;
    raw.opacity = 0.28;
    raw.legend = false;
    sm.name = name;
    sm.color = color;
    sm.width = 2.0;
    sm.max_points = std::max(8, opt.max_points / 3);  // smooth: fewer points draw the same line
    s.series.push_back(std::move(raw));
    s.series.push_back(std::move(sm));
    return true;
  }

  // One smoothed line per parameter column with this prefix ("grad:G:"), plus the network's total norm.
  ChartSpec per_layer(const std::string& id, const std::string& title, const std::string& prefix,
                      const std::string& total_col, const std::string& total_name) const {
    ChartSpec s = base(id, title, "L2 norm");
    s.log_y = true;
    s.height = 340;
    std::vector<size_t> cols;
    for (size_t i = 0; i < run.m.columns.size(); ++i)
      if (run.m.columns[i].rfind(prefix, 0) == 0) cols.push_back(i);
    for (size_t k = 0; k < cols.size(); ++k) {
      ChartSeries l;
      points(run, run.m.data[cols[k]], l.x, l.y);
      if (l.x.empty()) continue;
      l.y = smooth_ema(l.y, smoothing_weight(l.x.size()));
      l.name = run.m.columns[cols[k]].substr(prefix.size());
      l.color = ramp_color(k, cols.size());
      l.width = 1.5;
      l.max_points = std::max(8, opt.max_points / 3);
      s.series.push_back(std::move(l));
    }
    if (const auto* t = run.m.get(total_col)) {
      ChartSeries l;
      points(run, *t, l.x, l.y);
      if (!l.x.empty()) {
        l.y = smooth_ema(l.y, smoothing_weight(l.x.size()));
        l.name = total_name;
        l.color = "#222222";
        l.width = 2.4;
        l.max_points = std::max(8, opt.max_points / 3);
        s.series.push_back(std::move(l));
      }
    }
    return s;
  }
};

std::string figure(const ChartSpec& s, const std::string& caption) {
  return "<figure>" + render_svg_chart(s) + "<figcaption>" + caption + "</figcaption></figure>\n";
}

// ---- page ----------------------------------------------------------------------------------------------------

constexpr const char* kCss = R"css(
:root{--fg:#1d232b;--mut:#5b6470;--bd:#dde1e6;--bg:#f5f6f8;--acc:#1f77b4}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{background:#1d232b;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:#c3cad3;font-size:13px}
nav{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--bd);padding:8px 28px;font-size:13px}
nav a{color:var(--acc);text-decoration:none;margin-right:18px}
main{max-width:1440px;margin:0 auto;padding:8px 28px 40px}
h2{font-size:18px;margin:28px 0 10px;font-weight:600}
.note{color:var(--mut);font-size:13px;margin:4px 0 10px}
.warnnote{background:#fff4e5;border:1px solid #f5c27a;border-radius:6px;padding:8px 12px;margin:12px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin-top:16px}
.card{background:#fff;border:1px solid var(--bd);border-radius:8px;padding:10px 12px}
.card .k{color:var(--mut);font-size:12px}
.card .v{font-size:19px;font-weight:600;margin-top:2px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card .s{color:var(--mut);font-size:12px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:14px}
figure{background:#fff;border:1px solid var(--bd);border-radius:8px;margin:0;padding:8px 10px 6px}
figcaption{color:var(--mut);font-size:12px;padding:2px 4px 4px}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{font-size:11px;fill:#4a525c;font-family:inherit}
svg.chart .ct{font-size:14px;font-weight:600;fill:var(--fg)}
svg.chart .cn{fill:#8a929c;font-style:italic}
svg.chart .al{fill:#6b737d}
svg.chart .grid line{stroke:#eceef1;stroke-width:1}
svg.chart .frame{fill:none;stroke:#c9ced5}
svg.chart .guide{stroke:#aab2bc;stroke-width:1;stroke-dasharray:2 4}
svg.chart .mk{cursor:help}
.chip{display:inline-block;border-radius:10px;padding:1px 9px;color:#fff;font-size:12px;margin-right:6px}
table{border-collapse:collapse;background:#fff;border:1px solid var(--bd);font-size:13px;width:100%}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #eef0f2;vertical-align:top}
th{background:#f0f2f5;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td code,td.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:14px}
.viewer{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.viewer figure{flex:0 1 auto}
.viewer img{display:block;width:min(560px,86vw);height:auto;image-rendering:pixelated;background:#000}
.slider{display:flex;align-items:center;gap:10px;margin:10px 0}
.slider input{flex:1;max-width:720px}
.strip{display:flex;flex-wrap:wrap;gap:8px;margin-top:6px}
.strip figure{padding:4px;cursor:pointer}
.strip figure.sel{outline:2px solid var(--acc)}
.strip img{display:block;width:112px;height:auto;image-rendering:pixelated}
.strip figcaption{text-align:center;padding:2px 0 0}
footer{color:var(--mut);font-size:12px;margin-top:30px}
)css";

// Slider and thumbnails of the sample timeline: the big view reuses the thumbnail's data URI (no second copy).
constexpr const char* kJs = R"js(
(function () {
  var thumbs = Array.prototype.slice.call(document.querySelectorAll('.strip img'));
  var big = document.getElementById('grid-big');
  var cap = document.getElementById('grid-cap');
  var slider = document.getElementById('grid-slider');
  if (!thumbs.length || !big || !slider) return;
  function show(i) {
    i = Math.max(0, Math.min(thumbs.length - 1, i | 0));
    big.src = thumbs[i].src;
    cap.textContent = thumbs[i].getAttribute('data-label');
    slider.value = String(i);
    thumbs.forEach(function (t, k) { t.parentNode.classList.toggle('sel', k === i); });
  }
  thumbs.forEach(function (t, k) { t.parentNode.addEventListener('click', function () { show(k); }); });
  slider.addEventListener('input', function () { show(+slider.value); });
  show(thumbs.length - 1);
})();
)js";

std::string card(const std::string& k, const std::string& v, const std::string& sub = {}) {
  return "<div class=\"card\"><div class=\"k\">" + html_escape(k) + "</div><div class=\"v\">" + html_escape(v) +
         "</div>" + (sub.empty() ? "" : "<div class=\"s\">" + html_escape(sub) + "</div>") + "</div>";
}

// Last finite value of a column and the last smoothed value.
std::pair<double, double> last_values(const Run& r, const std::string& col) {
  const auto* c = r.m.get(col);
  if (!c) return {NAN, NAN};
  std::vector<double> x, y;
  points(r, *c, x, y);
  if (y.empty()) return {NAN, NAN};
  const auto sm = smooth_ema(y, smoothing_weight(y.size()));
  return {y.back(), sm.back()};
}

std::string key_value_table(const std::vector<std::pair<std::string, std::string>>& kv, const std::string& empty) {
  if (kv.empty()) return "<p class=\"note\">" + html_escape(empty) + "</p>";
  std::string o = "<table><tbody>";
  for (const auto& [k, v] : kv)
    o += "<tr><th>" + html_escape(k) + "</th><td class=\"mono\">" + html_escape(v) + "</td></tr>";
  return o + "</tbody></table>";
}

}  // namespace

ReportSummary write_report(const fs::path& run_dir, const ReportOptions& opt) {
  if (opt.max_grids < 1 || opt.max_points < 8 || opt.max_warnings_listed < 0 || opt.max_markers < 0)
    throw std::invalid_argument("report: max_grids >= 1, max_points >= 8 and non-negative list limits are needed");
  const Run run = load_run(run_dir);
  const fs::path out = opt.out.empty() ? run_dir / run_layout::kReport : opt.out;
  const size_t rows = run.m.rows();
  std::string name = fs::absolute(run_dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(run_dir).lexically_normal().parent_path().filename().string();

  std::map<std::string, int> kinds;  // warnings by kind
  for (const auto& w : run.warnings) ++kinds[w.kind];
  Charts charts{run, opt, {}};
  for (const auto& w : run.warnings) {
    if (static_cast<int>(charts.markers.size()) >= opt.max_markers) break;
    charts.markers.push_back({static_cast<double>(w.iter), warn_color(w.kind),
                              "iteration " + std::to_string(w.iter) + ", " + w.kind + ": " + w.message});
  }

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>" << html_escape(name) << " · DCGAN training report</title>\n<style>" << kCss << "</style>\n</head>\n<body>\n";
  // Header.
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char when[64];
  std::tm tmv{};
  localtime_r(&now, &tmv);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &tmv);
  h << "<header><h1>DCGAN training report · " << html_escape(name) << "</h1><p>"
    << html_escape(fs::absolute(run_dir).lexically_normal().string()) << " · written " << when
    << " by dcgan-onednn report</p></header>\n";
  h << "<nav><a href=\"#summary\">Summary</a><a href=\"#losses\">Losses</a><a href=\"#dx\">D(x), D(G(z))</a>"
    << "<a href=\"#norms\">Gradient norms</a><a href=\"#quality\">SWD, MS-SSIM</a><a href=\"#samples\">Samples</a>"
    << "<a href=\"#warnings\">Warnings</a><a href=\"#run\">Options, machine</a></nav>\n<main>\n";

  // Summary cards.
  h << "<section id=\"summary\">";
  if (run.m.truncated_last_line)
    h << "<div class=\"warnnote\">The last line of metrics.csv was incomplete (the run was stopped while writing it); "
         "it is left out.</div>";
  if (run.m.malformed_rows)
    h << "<div class=\"warnnote\">" << run.m.malformed_rows << " malformed row(s) of metrics.csv were skipped.</div>";
  h << "<div class=\"cards\">";
  const double last_iter = rows ? run.x.back() : NAN;
  const auto* ep = run.m.get("epoch");
  h << card("iterations", rows ? fmt(last_iter + 1, 10) : "0",
            rows && ep ? "epoch " + fmt(ep->back(), 10) + " (0-based), " + std::to_string(rows) + " rows" : "");
  const auto [ld, ld_s] = last_values(run, "loss_d");
  const auto [lg, lg_s] = last_values(run, "loss_g");
  h << card("Loss_D (smoothed)", fmt(ld_s), "last " + fmt(ld)) << card("Loss_G (smoothed)", fmt(lg_s), "last " + fmt(lg));
  const auto [dx, dx_s] = last_values(run, "d_x");
  const auto [dg, dg_s] = last_values(run, "d_g_z1");
  h << card("D(x) / D(G(z)) (smoothed)", fmt(dx_s, 3) + " / " + fmt(dg_s, 3), "last " + fmt(dx, 3) + " / " + fmt(dg, 3));
  {
    double best = NAN, best_it = NAN;
    if (const auto* s = run.m.get("swd_avg"))
      for (size_t i = 0; i < s->size(); ++i)
        if (std::isfinite((*s)[i]) && !((*s)[i] >= best)) best = (*s)[i], best_it = run.x[i];
    [[maybe_unused]] const auto [swd, swd_s] = last_values(run, "swd_avg");
    h << card("SWD x1e3 (avg of levels)", fmt(swd), std::isfinite(best) ? "best " + fmt(best) + " at iteration " + fmt(best_it, 10) : "not evaluated yet");
  }
  {
    [[maybe_unused]] const auto [mf, mf_s] = last_values(run, "msssim_fake");
    [[maybe_unused]] const auto [mr, mr_s] = last_values(run, "msssim_real");
    h << card("MS-SSIM fake / real", fmt(mf, 3) + " / " + fmt(mr, 3), "lower = more diverse");
  }
  {
    std::vector<double> x, ips;
    if (const auto* c = run.m.get("images_per_s")) points(run, *c, x, ips);
    double med = NAN;
    if (!ips.empty()) {
      std::nth_element(ips.begin(), ips.begin() + static_cast<std::ptrdiff_t>(ips.size() / 2), ips.end());
      med = ips[ips.size() / 2];
    }
    [[maybe_unused]] const auto [wall, wall_s] = last_values(run, "wall_s");
    h << card("throughput (median)", std::isfinite(med) ? fmt(med, 4) + " img/s" : "–", "wall time " + duration_text(wall));
  }
  {
    std::string chips;
    for (const auto& [k, n] : kinds)
      chips += "<span class=\"chip\" style=\"background:" + std::string(warn_color(k)) + "\">" + html_escape(k) + " " +
               std::to_string(n) + "</span>";
    h << "<div class=\"card\"><div class=\"k\">warnings</div><div class=\"v\">" << run.warnings.size() << "</div><div class=\"s\">"
      << (chips.empty() ? "none" : chips) << "</div></div>";
  }
  h << "</div></section>\n";

  std::string marker_note;
  if (!run.warnings.empty()) {
    marker_note = " Dashed vertical lines mark warnings (hover for the message):";
    for (const auto& [k, n] : kinds)
      marker_note += std::string(" <span style=\"color:") + warn_color(k) + ";font-weight:600\">" + html_escape(k) + "</span>";
    marker_note += ".";
  }
  const std::string epoch_note = (!run.epoch_starts.empty() && run.epoch_starts.size() <= 50)
                                     ? " Dotted vertical lines mark the start of each epoch."
                                     : "";

  // Losses: the seed article's two charts, raw and smoothed.
  h << "<section id=\"losses\"><h2>Losses</h2><div class=\"grid2\">";
  {
    ChartSpec d = charts.base("loss-d", "Discriminator loss (Loss_D)", "Loss_D");
    d.robust_y = true;
    double w = 0;
    charts.add_raw_and_smoothed(d, "loss_d", "Loss_D", "#ff7f0e", &w);
    ChartSpec g = charts.base("loss-g", "Generator loss (Loss_G)", "Loss_G");
    g.robust_y = true;
    charts.add_raw_and_smoothed(g, "loss_g", "Loss_G", "#1f77b4");
    const std::string cap = "Faint: every iteration (min/max per pixel column); bold: exponential moving average with "
                            "weight " + fmt(w, 3) + ", debiased as TensorBoard smooths." + marker_note + epoch_note;
    h << figure(d, cap) << figure(g, cap);
  }
  h << "</div></section>\n";

  // D outputs.
  h << "<section id=\"dx\"><h2>Discriminator outputs</h2><div class=\"grid2\">";
  {
    ChartSpec s = charts.base("dx", "D(x) and D(G(z))", "mean D output");
    s.y_min = 0.0;
    s.y_max = 1.0;
    charts.add_raw_and_smoothed(s, "d_x", "D(x) real", "#2ca02c");
    charts.add_raw_and_smoothed(s, "d_g_z1", "D(G(z)) before D step", "#d62728");
    charts.add_raw_and_smoothed(s, "d_g_z2", "D(G(z)) after D step", "#9467bd");
    h << figure(s, "Mean discriminator output on the real batch and on the fake batch, before and after D's update "
                   "(the tutorial's D(G(z)) z1/z2). D(x) near 1 with D(G(z)) near 0 for long means D is winning." +
                       marker_note);
    ChartSpec t = charts.base("speed", "Throughput", "images / s");
    t.robust_y = true;
    charts.add_raw_and_smoothed(t, "images_per_s", "images/s", "#17becf");
    h << figure(t, "Training images per second (real batch images per iteration time)." + marker_note);
  }
  h << "</div></section>\n";

  // Norms.
  h << "<section id=\"norms\"><h2>Gradient and weight norms per layer</h2><div class=\"grid2\">";
  h << figure(charts.per_layer("gn-g", "Generator gradient norms", "grad:G:", "grad_norm_g", "all of G"),
              "L2 norm of each parameter's gradient (smoothed), deep purple = first layer; black: the whole network."
              " Per-layer norms are logged every --norms-every iterations." + marker_note);
  h << figure(charts.per_layer("gn-d", "Discriminator gradient norms", "grad:D:", "grad_norm_d", "all of D"),
              "As for G. A layer whose norm falls by decades has stopped learning; a sudden jump of 100x is flagged "
              "as exploding." + marker_note);
  h << figure(charts.per_layer("wn-g", "Generator weight norms", "weight:G:", "weight_norm_g", "all of G"),
              "L2 norm of each parameter (smoothed).");
  h << figure(charts.per_layer("wn-d", "Discriminator weight norms", "weight:D:", "weight_norm_d", "all of D"),
              "L2 norm of each parameter (smoothed).");
  h << "</div></section>\n";

  // Quality.
  h << "<section id=\"quality\"><h2>Sample quality</h2><div class=\"grid2\">";
  {
    ChartSpec s = charts.base("swd", "Sliced Wasserstein distance (x1e3)", "SWD x1e3");
    std::vector<size_t> cols;
    for (size_t i = 0; i < run.m.columns.size(); ++i)
      if (run.m.columns[i].rfind("swd_", 0) == 0 && run.m.columns[i] != "swd_avg") cols.push_back(i);
    for (size_t k = 0; k < cols.size(); ++k) {
      ChartSeries l;
      points(run, run.m.data[cols[k]], l.x, l.y);
      l.name = "level " + run.m.columns[cols[k]].substr(4) + " px";
      l.color = ramp_color(k, cols.size() + 1);
      l.dots = true;
      l.width = 1.4;
      s.series.push_back(std::move(l));
    }
    if (const auto* c = run.m.get("swd_avg")) {
      ChartSeries l;
      points(run, *c, l.x, l.y);
      l.name = "average";
      l.color = "#222222";
      l.width = 2.4;
      l.dots = true;
      s.series.push_back(std::move(l));
    }
    h << figure(s, "Karras et al. (2018) SWD between generated and real images on a fixed subset, per Laplacian "
                   "pyramid level (finest first) and averaged: lower is better. Computed every --eval-every "
                   "iterations." + marker_note);
    ChartSpec m = charts.base("msssim", "MS-SSIM of random pairs", "MS-SSIM");
    for (const auto& [col, nm, colr] : {std::tuple<const char*, const char*, const char*>{"msssim_fake", "generated", "#d62728"},
                                        {"msssim_real", "real", "#2ca02c"}}) {
      if (const auto* c = run.m.get(col)) {
        ChartSeries l;
        points(run, *c, l.x, l.y);
        l.name = nm;
        l.color = colr;
        l.dots = true;
        m.series.push_back(std::move(l));
      }
    }
    h << figure(m, "Mean MS-SSIM of random pairs within a set (Odena et al. 2017): lower means more diverse. "
                   "Generated pairs far above real pairs suggest mode collapse." + marker_note);
  }
  h << "</div></section>\n";

  // Samples.
  h << "<section id=\"samples\"><h2>Fixed-noise samples</h2>";
  ReportSummary sum;
  sum.grids_total = run.grids.size();
  {
    std::vector<size_t> pick;
    const size_t n = run.grids.size();
    size_t k = static_cast<size_t>(opt.max_grids);
    if (n > 0) {  // the byte budget, from the mean PNG size
      uintmax_t total = 0;
      for (const auto& g : run.grids) {
        std::error_code ec;
        const uintmax_t size = fs::file_size(g.path, ec);
        total += ec ? 1 : std::max<uintmax_t>(1, size);
      }
      const double mean = static_cast<double>(total) / static_cast<double>(n);
      k = std::min(k, std::max<size_t>(2, static_cast<size_t>(static_cast<double>(opt.max_grid_bytes) / mean)));
    }
    if (n <= k) {
      for (size_t i = 0; i < n; ++i) pick.push_back(i);
    } else {
      for (size_t i = 0; i < k; ++i) {
        const size_t idx = static_cast<size_t>(std::llround(static_cast<double>(i) * (n - 1) / (k - 1)));
        if (pick.empty() || pick.back() != idx) pick.push_back(idx);
      }
    }
    std::string strip;
    size_t unreadable = 0;
    for (size_t i : pick) {
      const std::string png = read_png(run.grids[i].path);
      if (png.empty()) {
        ++unreadable;
        continue;
      }
      const std::string label = "iteration " + std::to_string(run.grids[i].iter);
      strip += "<figure><img src=\"data:image/png;base64," + base64(png) + "\" alt=\"" + label + "\" data-label=\"" +
               label + "\"><figcaption>" + std::to_string(run.grids[i].iter) + "</figcaption></figure>";
      ++sum.grids_embedded;
    }
    const std::string real = read_png(run_dir / run_layout::kRealSamples);
    if (n == 0) {
      h << "<p class=\"note\">No sample grids yet (samples/iter_NNNNNNN.png appear every --sample-every iterations).</p>";
    } else {
      h << "<p class=\"note\">The same fixed noise vectors at each sampled iteration, so the same faces can be watched "
           "forming. ";
      if (sum.grids_embedded < n)
        h << "Showing " << sum.grids_embedded << " of " << n << " grids, evenly spaced over the run (first and last "
          << "included), to keep this page small (at most " << opt.max_grids << " grids and about "
          << (opt.max_grid_bytes >> 20) << " MiB of PNG). ";
      if (unreadable) h << unreadable << " grid file(s) could not be read as PNG and are left out. ";
      h << "Drag the slider or click a thumbnail.</p>";
      h << "<div class=\"slider\"><input type=\"range\" id=\"grid-slider\" min=\"0\" max=\""
        << (sum.grids_embedded ? sum.grids_embedded - 1 : 0) << "\" value=\""
        << (sum.grids_embedded ? sum.grids_embedded - 1 : 0) << "\" aria-label=\"sample grid\"></div>";
      h << "<div class=\"viewer\"><figure><img id=\"grid-big\" alt=\"selected sample grid\"><figcaption id=\"grid-cap\">"
        << "</figcaption><noscript>JavaScript is off: the thumbnails below are the grids.</noscript></figure>";
      if (!real.empty())
        h << "<figure><img src=\"data:image/png;base64," << base64(real)
          << "\" alt=\"real training images\"><figcaption>real images (first batch)</figcaption></figure>";
      h << "</div><div class=\"strip\">" << strip << "</div>";
    }
  }
  h << "</section>\n";

  // Warnings.
  h << "<section id=\"warnings\"><h2>Warnings</h2>";
  if (run.warnings.empty()) {
    h << "<p class=\"note\">None: no discriminator-wins, mode-collapse, exploding-gradient or non-finite warning was "
         "raised.</p>";
  } else {
    h << "<table><thead><tr><th>iteration</th><th>kind</th><th>message</th></tr></thead><tbody>";
    size_t shown = 0;
    for (const auto& w : run.warnings) {
      if (static_cast<int>(shown) >= opt.max_warnings_listed) break;
      h << "<tr><td class=\"num\">" << w.iter << "</td><td><span class=\"chip\" style=\"background:"
        << warn_color(w.kind) << "\">" << html_escape(w.kind) << "</span></td><td>" << html_escape(w.message)
        << "</td></tr>";
      ++shown;
    }
    h << "</tbody></table>";
    if (shown < run.warnings.size())
      h << "<p class=\"note\">" << run.warnings.size() - shown << " more in warnings.csv.</p>";
  }
  h << "</section>\n";

  // Options and machine.
  h << "<section id=\"run\"><h2>Options and machine</h2><div class=\"tables\"><div><h3>options.cfg</h3>"
    << key_value_table(run.options, "options.cfg is missing.") << "</div><div><h3>machine (info.txt)</h3>"
    << key_value_table(run.info, "info.txt is missing.") << "</div></div></section>\n";

  h << "<footer>Charts are inline SVG drawn by dcgan-onednn; curves with many points are drawn from per-pixel "
       "minima and maxima. Sources: metrics.csv ("
    << rows << " rows), warnings.csv (" << run.warnings.size() << "), samples/ (" << run.grids.size()
    << " grids).</footer>\n</main>\n<script>" << kJs << "</script>\n</body>\n</html>\n";

  const std::string html = h.str();
  pipeline::write_file_atomic(out, html);
  sum.path = out;
  sum.rows = rows;
  sum.warnings = run.warnings.size();
  sum.bytes = html.size();
  return sum;
}

}  // namespace trainer
