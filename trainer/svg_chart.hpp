// Line charts as inline SVG for the HTML report: axes with round ticks, linear or log y, legend, vertical event
// markers, and min/max decimation so that 10^5+ points draw as a bounded path that keeps its spikes.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace trainer {

struct ChartSeries {
  std::string name;            // legend text and hover title
  std::string color = "#1f77b4";
  std::vector<double> x, y;    // same length, x ascending; non-finite points (and y <= 0 on a log axis) are skipped
  double width = 1.6;          // stroke width in pixels
  double opacity = 1.0;
  bool legend = true;          // listed in the legend
  bool dots = false;           // also draw a dot at each point (sparse series such as periodic evaluations)
  int max_points = 0;          // decimation bound for this series (0: the chart's); smooth curves need fewer
};

struct ChartMarker {
  double x = 0;                // on the x axis
  std::string color = "#d62728";
  std::string title;           // hover text
};

struct ChartSpec {
  std::string id;              // unique within the page (names the clip path); derived from the title when empty
  std::string title;
  std::string x_label = "iteration";
  std::string y_label;
  int width = 640, height = 300;   // SVG user units (the SVG scales to its container)
  bool log_y = false;
  std::optional<double> y_min, y_max;  // fixed ends of the y axis; otherwise from the data
  // Linear axes only: set the automatic y range from the 0.5th and 99.5th percentiles of the points, so that a
  // few spikes do not flatten the rest (they are clipped at the edge, and the chart says so).
  bool robust_y = false;
  std::vector<ChartSeries> series;
  std::vector<ChartMarker> markers;  // vertical lines across the plot (warnings)
  std::vector<double> guides;        // faint vertical lines (epoch starts)
  int max_points = 1600;             // per series after decimation (4 points per pixel bucket)
};

// A complete <svg> element (UTF-8, no external references). Every text is escaped.
std::string render_svg_chart(const ChartSpec& spec);

// Min/max ("M4") decimation: for each of `buckets` equal x intervals keeps the first, last, lowest and highest
// point, in x order. Input must be finite and x-sorted; returned as (x, y) pairs.
std::vector<std::pair<double, double>> decimate_minmax(const std::vector<double>& x, const std::vector<double>& y,
                                                       int buckets);

// Exponential moving average as TensorBoard smooths scalars (weight w in [0, 1), debiased by 1 - w^k); NaNs are
// passed through and skipped.
std::vector<double> smooth_ema(const std::vector<double>& y, double weight);

// "Nice" tick values covering [lo, hi] with about `target` ticks (1, 2, 5 x 10^k steps).
std::vector<double> nice_ticks(double lo, double hi, int target);

// Compact number text for axis labels: 12, 1.5k, 3M, 0.25, 2e-05.
std::string short_number(double v);

// Escapes &, <, >, " and ' for HTML/SVG text and attributes.
std::string html_escape(const std::string& s);

}  // namespace trainer
