// Tests of the comparison page (trainer/report_compare.hpp): one curve per run in each chart, the options that
// differ and only those, the latest grids, warnings per run, refusals named. The browser check is in
// test_report_browser.cpp.
#include "test_run_support.hpp"
#include "trainer/report_compare.hpp"

#include <gtest/gtest.h>

#include "support/run.hpp"

#include <regex>

namespace {

namespace fs = std::filesystem;

using runtest::count;

// The page's charts, each as its own string.
std::vector<std::string> charts_of(const std::string& html) {
  std::vector<std::string> charts;
  for (size_t p = html.find("<svg class=\"chart\""); p != std::string::npos;
       p = html.find("<svg class=\"chart\"", p + 1))
    charts.push_back(html.substr(p, html.find("</svg>", p) - p));
  return charts;
}

// Two runs as the tutorial compares them, here of different lengths, sizes and precisions.
struct TwoRuns {
  fs::path dir, a, b;
};

TwoRuns write_two_runs(const std::string& name) {
  TwoRuns t;
  t.dir = testsupport::fresh_dir(name);
  t.a = t.dir / "f32";
  t.b = t.dir / "bf16";
  fs::create_directories(t.a);
  fs::create_directories(t.b);
  runtest::write_synthetic_run(t.a, {});
  runtest::RunSpec b;
  b.rows = 300;
  b.image_size = 32;
  b.precision = nn::Precision::bf16;
  b.images_per_s = 150;
  runtest::write_synthetic_run(t.b, b);
  return t;
}

TEST(ReportCompare, OverlaysRunsOfDifferentLengthsSizesAndPrecisions) {
  const TwoRuns t = write_two_runs("compare_basic");
  trainer::ReportOptions opt;
  opt.out = t.dir / "compare.html";
  const auto s = trainer::write_comparison({t.a, t.b}, opt);
  EXPECT_EQ(s.path, opt.out);
  EXPECT_EQ(s.runs, 2u);
  EXPECT_EQ(s.differing_options, 1u) << "precision only (--out is left out)";
  EXPECT_EQ(s.grids_embedded, 2u);
  EXPECT_EQ(s.warnings, 6u);
  const std::string html = testsupport::slurp(s.path);
  EXPECT_EQ(html.size(), s.bytes);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  // Losses 2, D(x), D(G(z)), SWD mean, the levels both runs have (32, 16 px; not 64), MS-SSIM, throughput.
  const auto charts = charts_of(html);
  ASSERT_EQ(charts.size(), 9u);
  EXPECT_NE(html.find("SWD x1e3 at the 32 px level"), std::string::npos);
  EXPECT_NE(html.find("SWD x1e3 at the 16 px level"), std::string::npos);
  EXPECT_EQ(html.find("SWD x1e3 at the 64 px level"), std::string::npos);
  EXPECT_NE(html.find("The runs differ in image size"), std::string::npos);
  for (const auto& chart : charts) {
    // One curve per run, named by it; the raw curves of the per-iteration charts are out of the legend.
    EXPECT_EQ(count(chart, "<title>f32</title>"), 1u) << chart.substr(0, 300);
    EXPECT_EQ(count(chart, "<title>bf16</title>"), 1u) << chart.substr(0, 300);
    EXPECT_EQ(count(chart, "stroke=\"#1f77b4\" stroke-width=\"3\""), 1u) << "legend swatch of the first run";
    EXPECT_EQ(count(chart, "stroke=\"#ff7f0e\" stroke-width=\"3\""), 1u) << "legend swatch of the second run";
    // Both runs' warnings (3 each, all inside the x range) on the time axis, in the run's colour.
    EXPECT_EQ(count(chart, "<g class=\"mk\">"), 6u);
    EXPECT_NE(chart.find("<title>bf16, iteration 274, exploding_gradients"), std::string::npos);
  }
  EXPECT_EQ(count(charts[0], "<title>f32 (raw)</title>"), 1u);
  // The latest grid of each run, side by side.
  EXPECT_EQ(count(html, "data:image/png;base64,"), 2u);
  EXPECT_NE(html.find("f32, iteration 550 (latest of 12)"), std::string::npos);
  EXPECT_NE(html.find("bf16, iteration 250 (latest of 6)"), std::string::npos);
  // The runs table and the one differing option.
  EXPECT_NE(html.find("<th>image size</th><td>64 px</td><td>32 px</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>precision</th><td class=\"mono\">f32</td><td class=\"mono\">bf16</td></tr>"),
            std::string::npos);
  EXPECT_EQ(html.find("<tr><th>out</th>"), std::string::npos);
  EXPECT_EQ(html.find("<tr><th>batch</th><td class=\"mono\">"), std::string::npos);
  // Warnings are escaped, and listed with their run.
  EXPECT_EQ(html.find("<b>markup</b>"), std::string::npos);
  EXPECT_EQ(count(html, "&lt;b&gt;markup&lt;/b&gt;"), 2u * (1 + charts.size()));  // table row + marker titles
  // Self-contained: no fetches, no script needed.
  const std::regex net(R"((src|href)\s*=\s*["']?(https?:|//)|url\(\s*["']?https?:|@import)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(html, net));
  for (const auto& e : fs::directory_iterator(t.dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(ReportCompare, DifferingOptionsAreCanonicalAndOnlyThose) {
  using L = trainer::report::SavedOptionList;
  const std::vector<L> runs = {
      {{"data", "/c"}, {"out", "runs/a"}, {"lr", "0.0002"}, {"batch", "128"}, {"future", "1"}},
      {{"data", "/c"}, {"out", "runs/b"}, {"lr", "2e-4"}, {"batch", "64"}},
      {},  // recorded nothing: takes no part
  };
  const auto d = trainer::report::differing_options(runs);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "batch");
  EXPECT_EQ(d[0].values, (std::vector<std::string>{"128", "64", ""}));
  EXPECT_EQ(d[1].name, "future") << "a name the table does not know is compared as text, after the table's";
  EXPECT_EQ(d[1].values, (std::vector<std::string>{"1", "", ""}));
  EXPECT_TRUE(trainer::report::differing_options({runs[0], runs[0], {}}).empty());
}

TEST(ReportCompare, ReadsOptionsAsResumeDoesAndNamesRunsWithout) {
  const TwoRuns t = write_two_runs("compare_options");
  fs::remove(t.b / "options.cfg");  // and no checkpoint to read them from
  EXPECT_FALSE(trainer::report::saved_option_list(t.a).empty());
  EXPECT_TRUE(trainer::report::saved_option_list(t.b).empty());
  trainer::ReportOptions opt;
  opt.out = t.dir / "compare.html";
  const auto s = trainer::write_comparison({t.a, t.b}, opt);
  EXPECT_EQ(s.differing_options, 0u);
  const std::string html = testsupport::slurp(s.path);
  EXPECT_NE(html.find("None: the runs were trained with the same options."), std::string::npos);
  EXPECT_NE(html.find("No options.cfg (nor checkpoint) to read in: bf16"), std::string::npos);
}

// Two runs in folders of one name are told apart by their paths.
TEST(ReportCompare, RunsWithOneFolderNameAreNamedByPath) {
  const fs::path dir = testsupport::fresh_dir("compare_names");
  for (const char* parent : {"x", "y"}) {
    fs::create_directories(dir / parent / "run");
    runtest::RunSpec spec;
    spec.rows = 120;
    spec.with_images = false;
    runtest::write_synthetic_run(dir / parent / "run", spec);
  }
  trainer::ReportOptions opt;
  opt.out = dir / "compare.html";
  const auto s = trainer::write_comparison({dir / "x" / "run", dir / "y" / "run"}, opt);
  EXPECT_EQ(s.grids_embedded, 0u);
  const std::string html = testsupport::slurp(s.path);
  EXPECT_NE(html.find("<title>" + (dir / "x" / "run").string() + "</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>" + (dir / "y" / "run").string() + "</title>"), std::string::npos);
  EXPECT_EQ(count(html, ": no sample grid yet."), 2u);
  EXPECT_NE(html.find("None: the runs were trained with the same options."), std::string::npos);
}

template <class E>
std::string error_of(const std::vector<fs::path>& runs, const fs::path& out) {
  trainer::ReportOptions opt;
  opt.out = out;
  try {
    trainer::write_comparison(runs, opt);
  } catch (const E& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(ReportCompare, RefusesWhatCannotBeComparedByName) {
  const TwoRuns t = write_two_runs("compare_refuse");
  const fs::path out = t.dir / "compare.html";
  const fs::path not_run = t.dir / "samples_only";
  fs::create_directories(not_run);
  const std::string e1 = error_of<std::runtime_error>({t.a, not_run}, out);
  EXPECT_NE(e1.find("'" + not_run.string() + "' is not a run directory"), std::string::npos) << e1;
  EXPECT_NE(e1.find("metrics.csv"), std::string::npos) << e1;
  EXPECT_NE(error_of<std::invalid_argument>({t.a}, out).find("--compare: takes 2 to 10 run directories"),
            std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>(std::vector<fs::path>(11, t.a), out).find("got 11"), std::string::npos);
  EXPECT_NE(error_of<std::invalid_argument>({t.a, t.b}, {}).find("--out: is required"), std::string::npos);
  const std::string twice = error_of<std::invalid_argument>({t.a, t.dir / "." / "f32"}, out);
  EXPECT_NE(twice.find("is given twice"), std::string::npos) << twice;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
