// The report's charts: which metrics.csv columns each one draws, with what colors, smoothing, axes and caption.
#pragma once
#include "trainer/report.hpp"
#include "trainer/report_run.hpp"
#include "trainer/svg_chart.hpp"

#include <string>
#include <utility>
#include <vector>

namespace trainer::report {

// The color of a warning kind, the same in chart markers, chips and the warnings table.
const char* warn_color(const std::string& kind);

// The image side at each SWD level of a metrics table (its swd_<S> columns), finest first: what the single
// report and the comparison chart per level.
std::vector<int> swd_levels(const MetricsTable& metrics);

// A chip per warning kind the run raised, with its count ("d_wins 3"); empty without warnings.
std::string warning_chips(const Run& run);

// TensorBoard-like smoothing weight for n points: an averaging window of about 1% of the run.
double smoothing_weight(size_t n);

// Last finite value of a column and its last smoothed value, as the charts draw them; NaN, NaN without data.
std::pair<double, double> last_values(const Run& run, const std::string& column);

// Points drawn of a smoothed curve: it draws the same line from fewer points than a raw one.
int smooth_max_points(const ReportOptions& opt);

// A column as a faint raw curve (out of the legend, named "<name> (raw)") and a bold smoothed one named `name`,
// drawn from smooth_max_points(opt) points. Empty when the column is absent or has no finite point.
std::vector<ChartSeries> raw_and_smoothed(const Run& run, const std::string& column, const std::string& name,
                                          const std::string& color, const ReportOptions& opt);

// A periodic evaluation's points: few, each drawn as a dot on the line.
ChartSeries dotted(const Run& run, const std::vector<double>& column, const std::string& name,
                   const std::string& color, double width);

// The smoothing weight of the run's Loss_D curve, the one the loss captions name (0 when it has no data).
double loss_smoothing_weight(const Run& run);

// A chart and the caption under it (HTML).
struct Figure {
  ChartSpec chart;
  std::string caption;
};

// A section of figures, two to a row on a wide screen.
std::string figures_section(const std::string& id, const std::string& heading, const std::vector<Figure>& figures);

enum class Network { generator, discriminator };

// Every chart of the page. All share the x axis (iterations), the warning markers and the epoch guides, and the
// captions say what those lines are.
class Charts {
 public:
  Charts(const Run& run, const ReportOptions& opt);

  Figure loss_d() const;  // raw and smoothed, as the seed article draws them
  Figure loss_g() const;
  Figure d_outputs() const;  // D(x), D(G(z)) before and after D's step
  Figure throughput() const;
  Figure gradient_norms(Network net) const;  // per layer and the whole network
  Figure weight_norms(Network net) const;
  Figure swd() const;     // per pyramid level and averaged
  Figure msssim() const;  // generated and real pairs

 private:
  ChartSpec chart(const std::string& id, const std::string& title, const std::string& y_label) const;
  ChartSpec robust_single(const std::string& id, const std::string& title, const std::string& y_label,
                          const std::string& column, const std::string& name, const std::string& color) const;
  bool add_raw_and_smoothed(ChartSpec& spec, const std::string& column, const std::string& name,
                            const std::string& color) const;
  void add_smoothed(ChartSpec& spec, const std::vector<double>& column, const std::string& name,
                    const std::string& color, double width) const;
  ChartSpec per_layer(const std::string& id, const std::string& title, const std::string& prefix,
                      const std::string& total_column, const std::string& total_name) const;
  std::string losses_caption() const;

  const Run& run_;
  const ReportOptions& opt_;
  std::vector<ChartMarker> markers_;  // the earliest warnings, at most opt.max_markers
  bool epoch_guides_;                 // few enough epochs to draw a line at each start
  std::string markers_note_;          // caption sentence naming the marker colors; empty without warnings
  std::string epochs_note_;           // caption sentence about the epoch guides; empty without them
};

}  // namespace trainer::report
