// Tests of the run-directory readers, the SVG chart pieces and the HTML report (structure, bounds, escaping).
// The headless-Chromium rendering check is in test_report_browser.cpp.
#include "test_run_support.hpp"
#include "trainer/report.hpp"
#include "trainer/run_files.hpp"
#include "trainer/svg_chart.hpp"

#include <gtest/gtest.h>

#include "support/run.hpp"

#include <cmath>
#include <regex>

namespace {

namespace fs = std::filesystem;

using runtest::count;

TEST(RunFiles, ReadsWhatTheTrainerWritesAndDropsATornLastLine) {
  const fs::path dir = testsupport::fresh_dir("runfiles");
  runtest::RunSpec spec;
  const int grids = runtest::write_synthetic_run(dir, spec);
  const auto m = trainer::read_metrics_csv(dir / "metrics.csv");
  EXPECT_EQ(m.rows(), 600u);
  EXPECT_TRUE(m.truncated_last_line);
  EXPECT_EQ(m.malformed_rows, 0u);
  EXPECT_EQ(m.columns.size(), runtest::metrics_header().size());
  ASSERT_NE(m.get("iter"), nullptr);
  EXPECT_EQ(m.get("iter")->back(), 599.0);
  EXPECT_EQ(m.get("nope"), nullptr);
  // Periodic columns: empty cells are NaN.
  const auto& swd = *m.get("swd_avg");
  EXPECT_TRUE(std::isfinite(swd[0]));
  EXPECT_TRUE(std::isnan(swd[1]));
  EXPECT_TRUE(std::isfinite((*m.get("grad:D:main.11.weight"))[590]));
  EXPECT_TRUE(std::isnan((*m.get("grad:D:main.11.weight"))[591]));

  const auto w = trainer::read_warnings_csv(dir / "warnings.csv");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].iter, 120);
  EXPECT_EQ(w[1].kind, "exploding_gradients");
  EXPECT_EQ(w[2].message, "possible mode collapse: \"quoted\", <b>markup</b> & a\nsecond line");

  const auto opts = trainer::read_config_file(dir / "options.cfg");
  ASSERT_FALSE(opts.empty());
  EXPECT_EQ(opts.front().first, "data");
  EXPECT_EQ(opts.front().second, "/data/celeba-cache");
  const auto info = trainer::read_key_value_text(dir / "info.txt");
  ASSERT_EQ(info.size(), 4u);
  EXPECT_EQ(info[1].first, "onednn.cpu_isa");
  EXPECT_EQ(info[1].second, "Intel AVX-512 with bfloat16");

  const auto g = trainer::list_sample_grids(dir);
  ASSERT_EQ(static_cast<int>(g.size()), grids);  // the .tmp file is ignored
  EXPECT_EQ(g.front().iter, 0);
  EXPECT_EQ(g.back().iter, 550);
}

TEST(RunFiles, ToleratesMalformedRowsAndMissingOptionalFiles) {
  const fs::path dir = testsupport::fresh_dir("runfiles_bad");
  std::ofstream(dir / "metrics.csv") << "epoch,iter,loss_d\n0,0,0.5\n0,1\n0,2,abc\n0,3,nan\n0,4,inf\n0,5,+1e-3\n";
  const auto m = trainer::read_metrics_csv(dir / "metrics.csv");
  EXPECT_EQ(m.rows(), 4u);
  EXPECT_EQ(m.malformed_rows, 2u);
  EXPECT_FALSE(m.truncated_last_line);
  EXPECT_TRUE(std::isnan((*m.get("loss_d"))[1]));
  EXPECT_TRUE(std::isinf((*m.get("loss_d"))[2]));
  EXPECT_DOUBLE_EQ((*m.get("loss_d"))[3], 1e-3);
  EXPECT_TRUE(trainer::read_warnings_csv(dir / "warnings.csv").empty());
  EXPECT_TRUE(trainer::read_config_file(dir / "options.cfg").empty());
  EXPECT_TRUE(trainer::list_sample_grids(dir).empty());
  try {
    trainer::read_metrics_csv(dir / "missing.csv");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.csv"), std::string::npos);
  }
}

// A header far wider than any run's is refused before a column is allocated (50 MB of commas took 5.7 GB).
TEST(RunFiles, HeaderBeyondTheBoundIsRefused) {
  const fs::path dir = testsupport::fresh_dir("runfiles_wide");
  std::ofstream(dir / "metrics.csv") << std::string(trainer::kMaxMetricsColumns + 5, ',') << "\n0\n";
  try {
    trainer::read_metrics_csv(dir / "metrics.csv");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("columns, more than the 10000"), std::string::npos) << e.what();
  }
}

TEST(SvgChart, TicksSmoothingDecimationEscaping) {
  EXPECT_EQ(trainer::nice_ticks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  const auto t = trainer::nice_ticks(0.13, 0.61, 5);
  ASSERT_EQ(t.size(), 5u);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(t[i], 0.2 + 0.1 * static_cast<double>(i), 1e-12);
  EXPECT_EQ(trainer::short_number(15000), "15k");
  EXPECT_EQ(trainer::short_number(2500000), "2.5M");
  EXPECT_EQ(trainer::html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  // TensorBoard's debiased EMA: the first value is kept, then last = w*last + (1-w)*y, divided by 1 - w^k.
  const auto s = trainer::smooth_ema({1.0, 2.0, NAN, 4.0}, 0.5);
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], (0.25 + 1.0) / 0.75);
  EXPECT_TRUE(std::isnan(s[2]));
  EXPECT_DOUBLE_EQ(s[3], (0.5 * 1.25 + 2.0) / 0.875);
  // Decimation keeps every bucket's extremes (a one-point spike survives) and bounds the count.
  std::vector<double> x(100000), y(100000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i), y[i] = std::sin(i * 0.001);
  y[54321] = 50.0;
  const auto d = trainer::decimate_minmax(x, y, 400);
  EXPECT_LE(d.size(), 1600u);
  EXPECT_GE(d.size(), 800u);
  bool spike = false;
  for (const auto& p : d) spike |= (p.second == 50.0);
  EXPECT_TRUE(spike);
  for (size_t i = 1; i < d.size(); ++i) ASSERT_LE(d[i - 1].first, d[i].first);
}

TEST(SvgChart, RendersSeriesMarkersAndAnEmptyState) {
  trainer::ChartSpec c;
  c.id = "t";
  c.title = "Loss <D>";
  c.series.push_back({"a & b", "#123456", {0, 1, 2}, {1, 2, 3}});
  c.markers.push_back({1.0, "#ff0000", "warning <x>"});
  const std::string svg = trainer::render_svg_chart(c);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("Loss &lt;D&gt;"), std::string::npos);
  EXPECT_NE(svg.find("a &amp; b"), std::string::npos);
  EXPECT_NE(svg.find("warning &lt;x&gt;"), std::string::npos);
  EXPECT_NE(svg.find("clip-path=\"url(#clip-t)\""), std::string::npos);
  trainer::ChartSpec e;
  e.title = "empty";
  EXPECT_NE(trainer::render_svg_chart(e).find("no data yet"), std::string::npos);
  trainer::ChartSpec lg;
  lg.log_y = true;
  lg.series.push_back({"neg", "#000", {0, 1, 2}, {-1, 0, 10}});  // only the positive point is drawable
  EXPECT_NE(trainer::render_svg_chart(lg).find("<path"), std::string::npos);
}

TEST(Report, HoldsChartsImagesTablesAndNoNetworkReferences) {
  const fs::path dir = testsupport::fresh_dir("report_basic");
  const int grids = runtest::write_synthetic_run(dir, {});
  const auto s = trainer::write_report(dir);
  EXPECT_EQ(s.path, dir / "report.html");
  EXPECT_EQ(s.rows, 600u);
  EXPECT_EQ(s.grids_total, static_cast<size_t>(grids));
  EXPECT_EQ(s.grids_embedded, static_cast<size_t>(grids));  // 12 <= 16: all of them
  EXPECT_EQ(s.warnings, 3u);
  const std::string html = testsupport::slurp(s.path);
  EXPECT_EQ(html.size(), s.bytes);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  // Charts: 2 losses, D outputs, throughput, 4 norm charts, SWD, MS-SSIM.
  EXPECT_EQ(count(html, "<svg class=\"chart\""), 10u);
  EXPECT_EQ(count(html, "data:image/png;base64,"), static_cast<size_t>(grids) + 1);  // + real_samples.png
  // Every per-layer column is a curve; each warning is marked on every time chart.
  EXPECT_NE(html.find("<title>main.12.weight</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>main.11.weight</title>"), std::string::npos);
  EXPECT_GE(count(html, "<g class=\"mk\">"), 3u * 8);
  // Warnings are escaped (the message holds markup and quotes).
  EXPECT_EQ(html.find("<b>markup</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;markup&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("last line of metrics.csv was incomplete"), std::string::npos);
  EXPECT_NE(html.find("Intel AVX-512 with bfloat16"), std::string::npos);
  EXPECT_NE(html.find("/data/celeba-cache"), std::string::npos);
  // Self-contained: no fetches (the SVG namespace is a name, not a request).
  const std::regex net(R"((src|href)\s*=\s*["']?(https?:|//)|url\(\s*["']?https?:|@import)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(html, net));
  // Atomic write: no temporary left beside it.
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(Report, SubsamplesManyGridsEvenlyKeepingFirstAndLast) {
  const fs::path dir = testsupport::fresh_dir("report_grids");
  runtest::RunSpec spec;
  spec.rows = 400;
  spec.sample_every = 10;  // 40 grids
  runtest::write_synthetic_run(dir, spec);
  trainer::ReportOptions opt;
  opt.max_grids = 7;
  opt.out = dir / "custom.html";
  const auto s = trainer::write_report(dir, opt);
  EXPECT_EQ(s.grids_total, 40u);
  EXPECT_EQ(s.grids_embedded, 7u);
  const std::string html = testsupport::slurp(dir / "custom.html");
  EXPECT_FALSE(fs::exists(dir / "report.html"));
  EXPECT_NE(html.find("Showing 7 of 40 grids"), std::string::npos);
  EXPECT_NE(html.find("data-label=\"iteration 0\""), std::string::npos);
  EXPECT_NE(html.find("data-label=\"iteration 390\""), std::string::npos);
  EXPECT_NE(html.find("data-label=\"iteration 130\""), std::string::npos);  // round(2 * 39 / 6) = 13 -> iter 130
}

TEST(Report, StaysBoundedForALongRun) {
  // 200k iterations of the per-iteration columns (norms and evaluations periodic): drawing is decimated, so the
  // page stays small whatever the length.
  const fs::path dir = testsupport::fresh_dir("report_long");
  {
    std::ofstream f(dir / "metrics.csv");
    f << "epoch,batch,iter,loss_d,loss_g,d_x,d_g_z1,d_g_z2,images_per_s,swd_avg,grad:G:main.0.weight\n";
    std::mt19937 gen(5);
    std::normal_distribution<double> g(0, 1);
    for (int i = 0; i < 200000; ++i)
      f << i / 1583 << ',' << i % 1583 << ',' << i << ',' << 0.7 + 0.2 * g(gen) << ',' << 3 + g(gen) << ','
        << 0.7 << ',' << 0.3 << ',' << 0.3 << ',' << 100 << ',' << (i % 5000 == 0 ? "42" : "") << ','
        << (i % 50 == 0 ? "0.5" : "") << '\n';
  }
  const auto s = trainer::write_report(dir);
  EXPECT_EQ(s.rows, 200000u);
  EXPECT_LT(s.bytes, 1500u * 1024) << "curves must be decimated";
  const std::string html = testsupport::slurp(s.path);
  EXPECT_EQ(html.find("Dotted vertical lines mark the start of each epoch"), std::string::npos)
      << "127 epochs: too many guides to draw";
  EXPECT_NE(html.find("Faint: every iteration"), std::string::npos);
}

TEST(Report, EmptyRunAndMissingMetrics) {
  const fs::path dir = testsupport::fresh_dir("report_empty");
  try {
    trainer::write_report(dir);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.csv"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "metrics.csv") << "epoch,batch,iter,loss_d,loss_g\n";  // a run that has just started
  const auto s = trainer::write_report(dir);
  EXPECT_EQ(s.rows, 0u);
  const std::string html = testsupport::slurp(s.path);
  EXPECT_NE(html.find("no data yet"), std::string::npos);
  EXPECT_NE(html.find("No sample grids yet"), std::string::npos);
}

}  // namespace
