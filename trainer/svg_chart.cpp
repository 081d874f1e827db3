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

}  // namespace

std::string render_svg_chart(const ChartSpec& spec) {
  const double W = spec.width, H = spec.height;
  // Legend layout first: it decides where the plot starts.
  struct LegendItem {
    std::string name, color;
    double x, y;
  };
  std::vector<LegendItem> legend;
  const double left = 58, right = W - 14;
  {
    double lx = left, ly = 38;
    for (const auto& s : spec.series) {
      if (!s.legend) continue;
      const double w = 22 + text_width(s.name) + 14;
      if (lx + w > right && lx > left) {
        lx = left;
        ly += 15;
      }
      legend.push_back({s.name, s.color, lx, ly});
      lx += w;
    }
  }
  const double top = legend.empty() ? 34 : legend.back().y + 12;
  const double bottom = H - 38;
  const double pw = right - left, ph = bottom - top;

  // Points per series, on the axis scale (log10 for a log axis), finite only.
  std::vector<std::vector<double>> sx(spec.series.size()), sy(spec.series.size());
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  std::vector<double> all_y;
  for (size_t k = 0; k < spec.series.size(); ++k) {
    const auto& s = spec.series[k];
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      double v = s.y[i];
      if (!std::isfinite(s.x[i]) || !std::isfinite(v) || (spec.log_y && v <= 0)) continue;
      if (spec.log_y) v = std::log10(v);
      sx[k].push_back(s.x[i]);
      sy[k].push_back(v);
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, v);
      ymax = std::max(ymax, v);
      if (spec.robust_y) all_y.push_back(v);
    }
  }
  const bool empty = !(xmax >= xmin);
  if (empty) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  bool clipped = false;
  if (spec.robust_y && !spec.log_y && all_y.size() > 50) {
    auto q = [&](double f) {
      const size_t i = static_cast<size_t>(f * static_cast<double>(all_y.size() - 1));
      std::nth_element(all_y.begin(), all_y.begin() + static_cast<std::ptrdiff_t>(i), all_y.end());
      return all_y[i];
    };
    const double lo = q(0.005), hi = q(0.995);
    const double pad = 0.15 * (hi - lo);
    if (hi - lo > 1e-9 * std::max(std::fabs(hi), std::fabs(lo))) {
      if (ymax > hi + pad) ymax = hi + pad, clipped = true;
      if (ymin < lo - pad) ymin = lo - pad, clipped = true;
    }
  }
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
  if (!(xmax > xmin)) xmax = xmin + 1;
  auto px = [&](double x) { return left + (x - xmin) / (xmax - xmin) * pw; };
  auto py = [&](double y) { return bottom - (y - ymin) / (ymax - ymin) * ph; };

  const std::string clip =
      "clip-" + (spec.id.empty() ? std::to_string(std::hash<std::string>{}(spec.title) % 1000000007) : spec.id);
  std::ostringstream o;
  o << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << spec.width << ' ' << spec.height
    << "\" role=\"img\" aria-label=\"" << html_escape(spec.title) << "\">\n";
  o << "<defs><clipPath id=\"" << clip << "\"><rect x=\"" << fmt1(left) << "\" y=\"" << fmt1(top) << "\" width=\""
    << fmt1(pw) << "\" height=\"" << fmt1(ph) << "\"/></clipPath></defs>\n";
  o << "<text x=\"" << fmt1(left) << "\" y=\"18\" class=\"ct\">" << html_escape(spec.title) << "</text>\n";
  if (clipped)
    o << "<text x=\"" << fmt1(right) << "\" y=\"18\" class=\"cn\" text-anchor=\"end\">y range clipped at the "
                                        "0.5-99.5th percentiles</text>\n";
  // Grid and ticks.
  o << "<g class=\"grid\">";
  const auto yt = spec.log_y ? log_ticks(ymin, ymax) : nice_ticks(ymin, ymax, 5);
  for (double v : yt) {
    if (v < ymin || v > ymax) continue;
    o << "<line x1=\"" << fmt1(left) << "\" x2=\"" << fmt1(right) << "\" y1=\"" << fmt1(py(v)) << "\" y2=\""
      << fmt1(py(v)) << "\"/>";
  }
  const auto xt = nice_ticks(xmin, xmax, 7);
  for (double v : xt)
    o << "<line x1=\"" << fmt1(px(v)) << "\" x2=\"" << fmt1(px(v)) << "\" y1=\"" << fmt1(top) << "\" y2=\""
      << fmt1(bottom) << "\"/>";
  o << "</g>\n<g class=\"ax\">";
  for (double v : yt) {
    if (v < ymin || v > ymax) continue;
    o << "<text x=\"" << fmt1(left - 6) << "\" y=\"" << fmt1(py(v) + 4) << "\" text-anchor=\"end\">"
      << html_escape(short_number(spec.log_y ? std::pow(10.0, v) : v)) << "</text>";
  }
  for (double v : xt)
    o << "<text x=\"" << fmt1(px(v)) << "\" y=\"" << fmt1(bottom + 16) << "\" text-anchor=\"middle\">"
      << html_escape(short_number(v)) << "</text>";
  o << "<text x=\"" << fmt1(left + pw / 2) << "\" y=\"" << fmt1(H - 6) << "\" text-anchor=\"middle\" class=\"al\">"
    << html_escape(spec.x_label) << "</text>";
  if (!spec.y_label.empty())
    o << "<text transform=\"translate(14," << fmt1(top + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\" "
      << "class=\"al\">" << html_escape(spec.y_label + (spec.log_y ? " (log)" : "")) << "</text>";
  o << "<rect x=\"" << fmt1(left) << "\" y=\"" << fmt1(top) << "\" width=\"" << fmt1(pw) << "\" height=\"" << fmt1(ph)
    << "\" class=\"frame\"/></g>\n";

  // Epoch guides and warning markers (behind the curves).
  for (double g : spec.guides)
    if (g > xmin && g < xmax)
      o << "<line class=\"guide\" x1=\"" << fmt1(px(g)) << "\" x2=\"" << fmt1(px(g)) << "\" y1=\"" << fmt1(top)
        << "\" y2=\"" << fmt1(bottom) << "\"/>";
  for (const auto& m : spec.markers) {
    if (m.x < xmin || m.x > xmax) continue;
    const std::string x = fmt1(px(m.x));
    o << "<g class=\"mk\"><title>" << html_escape(m.title) << "</title><line x1=\"" << x << "\" x2=\"" << x
      << "\" y1=\"" << fmt1(top) << "\" y2=\"" << fmt1(bottom) << "\" stroke=\"" << html_escape(m.color)
      << "\" stroke-width=\"1.2\" stroke-opacity=\"0.75\" stroke-dasharray=\"4 3\"/><line x1=\"" << x << "\" x2=\""
      << x << "\" y1=\"" << fmt1(top) << "\" y2=\"" << fmt1(bottom)
      << "\" stroke=\"#000\" stroke-opacity=\"0\" stroke-width=\"7\"/><path d=\"M" << x << ' ' << fmt1(top) << "l-4 -6h8z\" fill=\""
      << html_escape(m.color) << "\"/></g>";
  }
  o << "\n<g clip-path=\"url(#" << clip << ")\">\n";
  const int buckets = std::max(1, spec.max_points / 4);
  for (size_t k = 0; k < spec.series.size(); ++k) {
    const auto& s = spec.series[k];
    if (sx[k].empty()) continue;
    const auto pts = decimate_minmax(sx[k], sy[k], s.max_points > 0 ? std::max(1, s.max_points / 4) : buckets);
    o << "<path fill=\"none\" stroke=\"" << html_escape(s.color) << "\" stroke-width=\"" << s.width << '"';
    if (s.opacity < 1) o << " stroke-opacity=\"" << s.opacity << '"';
    o << " stroke-linejoin=\"round\" d=\"";
    for (size_t i = 0; i < pts.size(); ++i) o << (i ? 'L' : 'M') << fmt1(px(pts[i].first)) << ' ' << fmt1(py(pts[i].second));
    if (pts.size() == 1) o << "h0.1";  // a single point still shows (with round caps)
    o << "\" stroke-linecap=\"round\"><title>" << html_escape(s.name) << "</title></path>\n";
    if (s.dots && pts.size() <= 400)
      for (const auto& p : pts)
        o << "<circle cx=\"" << fmt1(px(p.first)) << "\" cy=\"" << fmt1(py(p.second)) << "\" r=\"2.6\" fill=\""
          << html_escape(s.color) << "\"><title>" << html_escape(s.name) << " at " << short_number(p.first) << ": "
          << (spec.log_y ? std::pow(10.0, p.second) : p.second) << "</title></circle>";
  }
  o << "</g>\n";
  if (empty)
    o << "<text x=\"" << fmt1(left + pw / 2) << "\" y=\"" << fmt1(top + ph / 2) << "\" text-anchor=\"middle\" "
      << "class=\"cn\">no data yet</text>\n";
  // Legend.
  o << "<g class=\"lg\">";
  for (const auto& l : legend)
    o << "<line x1=\"" << fmt1(l.x) << "\" x2=\"" << fmt1(l.x + 18) << "\" y1=\"" << fmt1(l.y - 4) << "\" y2=\""
      << fmt1(l.y - 4) << "\" stroke=\"" << html_escape(l.color) << "\" stroke-width=\"3\"/><text x=\""
      << fmt1(l.x + 22) << "\" y=\"" << fmt1(l.y) << "\">" << html_escape(l.name) << "</text>";
  o << "</g>\n</svg>\n";
  return o.str();
}

}  // namespace trainer
