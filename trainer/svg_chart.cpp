// Inline-SVG line charts for the report: layout, ticks, log axis, decimation, smoothing, escaping.
#include "trainer/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <sstream>

namespace trainer {

std::string html_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string short_number(double v) {
  if (v == 0) return "0";
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e6) std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  else if (a >= 1e-3) std::snprintf(buf, sizeof buf, "%.4g", v);
  else std::snprintf(buf, sizeof buf, "%.0e", v);
  return buf;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> t;
  if (!(hi > lo) || target < 1) return t;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::vector<std::pair<double, double>> decimate_minmax(const std::vector<double>& x, const std::vector<double>& y,
                                                       int buckets) {
  std::vector<std::pair<double, double>> out;
  const size_t n = std::min(x.size(), y.size());
  if (n == 0) return out;
  if (buckets < 1 || n <= static_cast<size_t>(buckets) * 4) {
    for (size_t i = 0; i < n; ++i) out.emplace_back(x[i], y[i]);
    return out;
  }
  const double x0 = x.front(), span = x.back() - x.front();
  size_t i = 0;
  while (i < n) {
    const int b = span > 0 ? std::min(buckets - 1, static_cast<int>((x[i] - x0) / span * buckets)) : 0;
    size_t first = i, lo = i, hi = i, last = i;
    while (i < n && (span > 0 ? std::min(buckets - 1, static_cast<int>((x[i] - x0) / span * buckets)) : 0) == b) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
      last = i++;
    }
    size_t idx[4] = {first, lo, hi, last};
    std::sort(idx, idx + 4);
    for (int k = 0; k < 4; ++k)
      if (k == 0 || idx[k] != idx[k - 1]) out.emplace_back(x[idx[k]], y[idx[k]]);
  }
  return out;
}

std::vector<double> smooth_ema(const std::vector<double>& y, double weight) {
  std::vector<double> out(y.size());
  double last = 0;
  int64_t count = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) {
      out[i] = y[i];
      continue;
    }
    last = last * weight + (1 - weight) * y[i];
    ++count;
    const double debias = 1 - std::pow(weight, static_cast<double>(count));
    out[i] = debias > 0 ? last / debias : y[i];
  }
  return out;
}

namespace {

std::string fmt1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Log-axis ticks (in log10 units): round values when the range is within a decade, 1-2-5 steps up to about two
// decades, powers of ten beyond.
std::vector<double> log_ticks(double lo10, double hi10) {
  std::vector<double> t;
  if (hi10 - lo10 < 1.0) {
    for (double v : nice_ticks(std::pow(10.0, lo10), std::pow(10.0, hi10), 4))
      if (v > 0) t.push_back(std::log10(v));
    return t;
  }
  const int a = static_cast<int>(std::floor(lo10)), b = static_cast<int>(std::ceil(hi10));
  const bool fine = hi10 - lo10 <= 2.5;
  const int step = std::max(1, (b - a) / 8);
  for (int e = a; e <= b; e += step) {
    const double base = std::pow(10.0, e);
    for (double m : (fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1})) {
      const double v = std::log10(m * base);
      if (v >= lo10 - 1e-9 && v <= hi10 + 1e-9) t.push_back(v);
    }
  }
  return t;
}

// Approximate text width of the 11px sans-serif legend font.
double text_width(const std::string& s) { return 6.2 * static_cast<double>(s.size()); }

// The x1, x2, y1, y2 attributes of a <line>, one decimal each: grid, guides, markers and legend share this format.
std::string line_ends(double x1, double x2, double y1, double y2) {
  return "x1=\"" + fmt1(x1) + "\" x2=\"" + fmt1(x2) + "\" y1=\"" + fmt1(y1) + "\" y2=\"" + fmt1(y2) + '"';
}

// Where the plot sits in the SVG and which data it shows (y on the axis scale: log10 for a log axis).
struct Frame {
  double height = 0;
  double left = 0, right = 0, top = 0, bottom = 0, pw = 0, ph = 0;
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  double px(double x) const { return left + (x - xmin) / (xmax - xmin) * pw; }
  double py(double y) const { return bottom - (y - ymin) / (ymax - ymin) * ph; }
  // A vertical line from the top of the plot to its bottom at data x.
  std::string vertical(double x) const { return line_ends(px(x), px(x), top, bottom); }
};

// A legend entry and the baseline of its text (its swatch sits 4 units above).
struct LegendItem {
  std::string name, color;
  double x, y;
};

// Legend entries flow left to right between `left` and `right`, wrapping to a new row of 15 units.
std::vector<LegendItem> layout_legend(const std::vector<ChartSeries>& series, double left, double right) {
  std::vector<LegendItem> legend;
  double lx = left, ly = 38;
  for (const auto& s : series) {
    if (!s.legend) continue;
    const double w = 22 + text_width(s.name) + 14;
    if (lx + w > right && lx > left) {
      lx = left;
      ly += 15;
    }
    legend.push_back({s.name, s.color, lx, ly});
    lx += w;
  }
  return legend;
}

// Points per series, on the axis scale (log10 for a log axis), finite only, and their extent.
struct AxisPoints {
  std::vector<std::vector<double>> x, y;
  std::vector<double> all_y;  // every series' y, filled for robust_y only
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  bool empty() const { return !(xmax >= xmin); }
};

AxisPoints axis_points(const ChartSpec& spec) {
  AxisPoints p;
  p.x.resize(spec.series.size());
  p.y.resize(spec.series.size());
  for (size_t k = 0; k < spec.series.size(); ++k) {
    const auto& s = spec.series[k];
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      double v = s.y[i];
      if (!std::isfinite(s.x[i]) || !std::isfinite(v) || (spec.log_y && v <= 0)) continue;
      if (spec.log_y) v = std::log10(v);
      p.x[k].push_back(s.x[i]);
      p.y[k].push_back(v);
      p.xmin = std::min(p.xmin, s.x[i]);
      p.xmax = std::max(p.xmax, s.x[i]);
      p.ymin = std::min(p.ymin, v);
      p.ymax = std::max(p.ymax, v);
      if (spec.robust_y) p.all_y.push_back(v);
    }
  }
  return p;
}

// robust_y: pulls [ymin, ymax] in to the 0.5th and 99.5th percentiles of all_y plus a 15% margin, so that a few
// spikes do not flatten the rest. Returns whether an end moved (the chart then says so). Reorders all_y.
bool clip_to_percentiles(std::vector<double>& all_y, double& ymin, double& ymax) {
  auto q = [&](double f) {
    const size_t i = static_cast<size_t>(f * static_cast<double>(all_y.size() - 1));
    std::nth_element(all_y.begin(), all_y.begin() + static_cast<std::ptrdiff_t>(i), all_y.end());
    return all_y[i];
  };
  const double lo = q(0.005), hi = q(0.995);
  const double pad = 0.15 * (hi - lo);
  bool clipped = false;
  if (hi - lo > 1e-9 * std::max(std::fabs(hi), std::fabs(lo))) {
    if (ymax > hi + pad) ymax = hi + pad, clipped = true;
    if (ymin < lo - pad) ymin = lo - pad, clipped = true;
  }
  return clipped;
}

// The spec's fixed y ends replace the data's; a 4% margin is added to the ends that come from the data.
void settle_y_ends(const ChartSpec& spec, double& ymin, double& ymax) {
  if (spec.y_min) ymin = spec.log_y ? std::log10(*spec.y_min) : *spec.y_min;
  if (spec.y_max) ymax = spec.log_y ? std::log10(*spec.y_max) : *spec.y_max;
  // A (nearly) constant series: rounding noise of the smoothing must not be magnified into a curve.
  if (!(ymax - ymin > 1e-9 * std::max(std::fabs(ymin), std::fabs(ymax)))) {
    const double c = 0.5 * (ymin + ymax), d = spec.log_y ? 0.5 : std::max(1e-3, std::fabs(c) * 0.1);
    ymin = c - d, ymax = c + d;
  } else if (!spec.y_min && !spec.y_max) {
    const double pad = 0.04 * (ymax - ymin);
    ymin -= pad, ymax += pad;
  } else {
    if (!spec.y_min) ymin -= 0.04 * (ymax - ymin);
    if (!spec.y_max) ymax += 0.04 * (ymax - ymin);
  }
}

// Sets f's data range from the points (0..1 on both axes without any). Returns whether robust_y clipped it.
bool fit_data_range(const ChartSpec& spec, AxisPoints& pts, Frame& f) {
  f.xmin = pts.xmin, f.xmax = pts.xmax, f.ymin = pts.ymin, f.ymax = pts.ymax;
  if (pts.empty()) f.xmin = 0, f.xmax = 1, f.ymin = 0, f.ymax = 1;
  bool clipped = false;
  if (spec.robust_y && !spec.log_y && pts.all_y.size() > 50) clipped = clip_to_percentiles(pts.all_y, f.ymin, f.ymax);
  settle_y_ends(spec, f.ymin, f.ymax);
  if (!(f.xmax > f.xmin)) f.xmax = f.xmin + 1;
  return clipped;
}

// The plot's clip path id: the spec's, else one derived from the title.
std::string clip_id(const ChartSpec& spec) {
  return "clip-" + (spec.id.empty() ? std::to_string(std::hash<std::string>{}(spec.title) % 1000000007) : spec.id);
}

// The <svg> start tag, the plot's clip path, the title and, when robust_y clipped, the note that says so.
void write_heading(std::ostream& o, const ChartSpec& spec, const Frame& f, const std::string& clip, bool clipped) {
  o << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << spec.width << ' ' << spec.height
    << "\" role=\"img\" aria-label=\"" << html_escape(spec.title) << "\">\n";
  o << "<defs><clipPath id=\"" << clip << "\"><rect x=\"" << fmt1(f.left) << "\" y=\"" << fmt1(f.top)
    << "\" width=\"" << fmt1(f.pw) << "\" height=\"" << fmt1(f.ph) << "\"/></clipPath></defs>\n";
  o << "<text x=\"" << fmt1(f.left) << "\" y=\"18\" class=\"ct\">" << html_escape(spec.title) << "</text>\n";
  if (clipped)
    o << "<text x=\"" << fmt1(f.right) << "\" y=\"18\" class=\"cn\" text-anchor=\"end\">y range clipped at the "
                                          "0.5-99.5th percentiles</text>\n";
}

bool in_y_range(const Frame& f, double v) { return !(v < f.ymin || v > f.ymax); }

// Grid lines at the y ticks inside the range and at every x tick.
void write_grid(std::ostream& o, const Frame& f, const std::vector<double>& yt, const std::vector<double>& xt) {
  o << "<g class=\"grid\">";
  for (double v : yt)
    if (in_y_range(f, v)) o << "<line " << line_ends(f.left, f.right, f.py(v), f.py(v)) << "/>";
  for (double v : xt) o << "<line " << f.vertical(v) << "/>";
  o << "</g>\n";
}

// Tick labels (y ones back on the data scale of a log axis), the axis labels and the plot's frame.
void write_axes(std::ostream& o, const ChartSpec& spec, const Frame& f, const std::vector<double>& yt,
                const std::vector<double>& xt) {
  o << "<g class=\"ax\">";
  for (double v : yt)
    if (in_y_range(f, v))
      o << "<text x=\"" << fmt1(f.left - 6) << "\" y=\"" << fmt1(f.py(v) + 4) << "\" text-anchor=\"end\">"
        << html_escape(short_number(spec.log_y ? std::pow(10.0, v) : v)) << "</text>";
  for (double v : xt)
    o << "<text x=\"" << fmt1(f.px(v)) << "\" y=\"" << fmt1(f.bottom + 16) << "\" text-anchor=\"middle\">"
      << html_escape(short_number(v)) << "</text>";
  o << "<text x=\"" << fmt1(f.left + f.pw / 2) << "\" y=\"" << fmt1(f.height - 6)
    << "\" text-anchor=\"middle\" class=\"al\">" << html_escape(spec.x_label) << "</text>";
  if (!spec.y_label.empty())
    o << "<text transform=\"translate(14," << fmt1(f.top + f.ph / 2) << ") rotate(-90)\" text-anchor=\"middle\" "
      << "class=\"al\">" << html_escape(spec.y_label + (spec.log_y ? " (log)" : "")) << "</text>";
  o << "<rect x=\"" << fmt1(f.left) << "\" y=\"" << fmt1(f.top) << "\" width=\"" << fmt1(f.pw) << "\" height=\""
    << fmt1(f.ph) << "\" class=\"frame\"/></g>\n";
}

// Epoch guides strictly inside the x range, and warning markers: a dashed line, a wider invisible one that takes
// the hover, and a triangle above the plot. Written before the curves so that they stay behind them.
void write_guides_and_markers(std::ostream& o, const ChartSpec& spec, const Frame& f) {
  for (double g : spec.guides)
    if (g > f.xmin && g < f.xmax) o << "<line class=\"guide\" " << f.vertical(g) << "/>";
  for (const auto& m : spec.markers) {
    if (m.x < f.xmin || m.x > f.xmax) continue;
    const std::string color = html_escape(m.color);
    o << "<g class=\"mk\"><title>" << html_escape(m.title) << "</title><line " << f.vertical(m.x) << " stroke=\""
      << color << "\" stroke-width=\"1.2\" stroke-opacity=\"0.75\" stroke-dasharray=\"4 3\"/><line "
      << f.vertical(m.x) << " stroke=\"#000\" stroke-opacity=\"0\" stroke-width=\"7\"/><path d=\"M"
      << fmt1(f.px(m.x)) << ' ' << fmt1(f.top) << "l-4 -6h8z\" fill=\"" << color << "\"/></g>";
  }
}

// One series' decimated points as a path with its name as hover title; with `dots`, also a dot per point that
// shows its value (unless there are too many to be useful).
void write_series(std::ostream& o, const ChartSeries& s, const std::vector<std::pair<double, double>>& pts,
                  const Frame& f, bool log_y) {
  o << "<path fill=\"none\" stroke=\"" << html_escape(s.color) << "\" stroke-width=\"" << s.width << '"';
  if (s.opacity < 1) o << " stroke-opacity=\"" << s.opacity << '"';
  o << " stroke-linejoin=\"round\" d=\"";
  for (size_t i = 0; i < pts.size(); ++i)
    o << (i ? 'L' : 'M') << fmt1(f.px(pts[i].first)) << ' ' << fmt1(f.py(pts[i].second));
  if (pts.size() == 1) o << "h0.1";  // a single point still shows (with round caps)
  o << "\" stroke-linecap=\"round\"><title>" << html_escape(s.name) << "</title></path>\n";
  if (s.dots && pts.size() <= 400)
    for (const auto& p : pts)
      o << "<circle cx=\"" << fmt1(f.px(p.first)) << "\" cy=\"" << fmt1(f.py(p.second)) << "\" r=\"2.6\" fill=\""
        << html_escape(s.color) << "\"><title>" << html_escape(s.name) << " at " << short_number(p.first) << ": "
        << (log_y ? std::pow(10.0, p.second) : p.second) << "</title></circle>";
}

// Every series with points, decimated to its own bound or the chart's, inside the plot's clip path.
void write_curves(std::ostream& o, const ChartSpec& spec, const AxisPoints& pts, const Frame& f,
                  const std::string& clip) {
  o << "\n<g clip-path=\"url(#" << clip << ")\">\n";
  const int buckets = std::max(1, spec.max_points / 4);
  for (size_t k = 0; k < spec.series.size(); ++k) {
    const auto& s = spec.series[k];
    if (pts.x[k].empty()) continue;
    const int series_buckets = s.max_points > 0 ? std::max(1, s.max_points / 4) : buckets;
    write_series(o, s, decimate_minmax(pts.x[k], pts.y[k], series_buckets), f, spec.log_y);
  }
  o << "</g>\n";
}

// Drawn last so that the swatches and names sit above any curve that reaches the legend rows.
void write_legend(std::ostream& o, const std::vector<LegendItem>& legend) {
  o << "<g class=\"lg\">";
  for (const auto& l : legend)
    o << "<line " << line_ends(l.x, l.x + 18, l.y - 4, l.y - 4) << " stroke=\"" << html_escape(l.color)
      << "\" stroke-width=\"3\"/><text x=\"" << fmt1(l.x + 22) << "\" y=\"" << fmt1(l.y) << "\">"
      << html_escape(l.name) << "</text>";
  o << "</g>\n";
}

}  // namespace

std::string render_svg_chart(const ChartSpec& spec) {
  Frame f;
  f.height = spec.height;
  f.left = 58;
  f.right = static_cast<double>(spec.width) - 14;
  // Legend layout first: it decides where the plot starts.
  const auto legend = layout_legend(spec.series, f.left, f.right);
  f.top = legend.empty() ? 34 : legend.back().y + 12;
  f.bottom = f.height - 38;
  f.pw = f.right - f.left;
  f.ph = f.bottom - f.top;
  AxisPoints pts = axis_points(spec);
  const bool clipped = fit_data_range(spec, pts, f);

  const std::string clip = clip_id(spec);
  std::ostringstream o;
  write_heading(o, spec, f, clip, clipped);
  const auto yt = spec.log_y ? log_ticks(f.ymin, f.ymax) : nice_ticks(f.ymin, f.ymax, 5);
  const auto xt = nice_ticks(f.xmin, f.xmax, 7);
  write_grid(o, f, yt, xt);
  write_axes(o, spec, f, yt, xt);
  write_guides_and_markers(o, spec, f);
  write_curves(o, spec, pts, f, clip);
  if (pts.empty())
    o << "<text x=\"" << fmt1(f.left + f.pw / 2) << "\" y=\"" << fmt1(f.top + f.ph / 2) << "\" text-anchor=\"middle\" "
      << "class=\"cn\">no data yet</text>\n";
  write_legend(o, legend);
  o << "</svg>\n";
  return o.str();
}

}  // namespace trainer
