// Opens the HTML report and the comparison page in headless Chromium: they must render without script errors or
// network fetches, with their charts (SVG) and images decoded, and the comparison with one curve per run in each
// chart. Skipped, with a message, where Chromium is not installed.
#include "test_run_support.hpp"
#include "trainer/report.hpp"
#include "trainer/report_compare.hpp"

#include <gtest/gtest.h>

#include "support/run.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string find_chromium() {
  const auto r = testsupport::run("command -v chromium || command -v chromium-browser");
  std::string p = r.out.substr(0, r.out.find('\n'));
  return r.status == 0 ? p : std::string();
}

// The report with two probes added: an error collector first in <head>, and a load handler that writes what the
// page holds into <div id="selftest" data-...> for --dump-dom. The report's own markup is unchanged.
std::string instrumented(std::string html) {
  const std::string head =
      "<script>window.__errs=[];window.addEventListener('error',function(e){window.__errs.push(String(e.message));});"
      "</script>";
  const std::string probe = R"(<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var decoded = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0 && i.naturalHeight > 0; });
  var fetched = performance.getEntriesByType('resource').map(function (e) { return e.name; })
      .filter(function (n) { return n.indexOf('data:') !== 0; });
  var big = document.getElementById('grid-big');
  var d = document.createElement('div');
  d.id = 'selftest';
  d.setAttribute('data-images', imgs.length);
  d.setAttribute('data-decoded', decoded.length);
  d.setAttribute('data-svgs', document.querySelectorAll('svg.chart').length);
  d.setAttribute('data-paths', document.querySelectorAll('svg.chart path[d]').length);
  d.setAttribute('data-svgwidth', Math.round(document.querySelector('svg.chart').getBoundingClientRect().width));
  d.setAttribute('data-big', big ? big.naturalWidth : -1);
  // Per chart, the hover titles of its drawn curves: ';' between charts, '|' between curves.
  d.setAttribute('data-curves', Array.prototype.map.call(document.querySelectorAll('svg.chart'), function (svg) {
    return Array.prototype.map.call(svg.querySelectorAll('path[d] > title'), function (t) {
      return t.textContent; }).join('|'); }).join(';'));
  d.setAttribute('data-errors', window.__errs.join(' | '));
  d.setAttribute('data-fetches', fetched.join(' '));
  document.body.appendChild(d);
});
</script>)";
  const size_t h = html.find("<head>");
  const size_t b = html.rfind("</body>");
  if (h == std::string::npos || b == std::string::npos) return {};
  html.insert(b, probe);
  html.insert(h + 6, head);
  return html;
}

std::map<std::string, std::string> selftest_attributes(const std::string& dom) {
  std::map<std::string, std::string> a;
  std::smatch m;
  if (!std::regex_search(dom, m, std::regex("<div id=\"selftest\"([^>]*)>"))) return a;
  const std::string attrs = m[1];
  const std::regex kv("data-([a-z]+)=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(attrs.begin(), attrs.end(), kv); it != std::sregex_iterator(); ++it)
    a[(*it)[1]] = (*it)[2];
  return a;
}

// The page with the probes, loaded by headless Chromium; the probe's attributes, or a failure saying why not.
struct Rendered {
  testsupport::RunResult run;
  std::map<std::string, std::string> probe;
};

Rendered render(const std::string& chromium, const fs::path& page_path, const fs::path& dir) {
  Rendered r;
  const std::string page = instrumented(testsupport::slurp(page_path));
  EXPECT_FALSE(page.empty()) << page_path << " lacks <head> or </body>";
  const fs::path probe = dir / "report_probe.html";
  std::ofstream(probe) << page;
  const std::string cmd = "timeout 120 '" + chromium +
                          "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                          "--disable-background-networking --disable-component-update --disable-sync "
                          "--user-data-dir='" + (dir / "chromium-profile").string() +
                          "' --enable-logging=stderr --v=0 --window-size=1400,3000 --dump-dom 'file://" +
                          fs::absolute(probe).string() + "'";
  r.run = testsupport::run(cmd);
  EXPECT_EQ(r.run.status, 0) << cmd << "\n" << r.run.err.substr(0, 4000);
  r.probe = selftest_attributes(r.run.out);
  EXPECT_FALSE(r.probe.empty()) << "the load-time probe did not run; DOM starts: " << r.run.out.substr(0, 500)
                                << "\nstderr: " << r.run.err.substr(0, 3000);
  return r;
}

// No script error, no fetch, no console error or uncaught exception logged by the page.
void expect_clean(const Rendered& r) {
  EXPECT_EQ(r.probe.at("errors"), "") << "script errors in the page";
  EXPECT_EQ(r.probe.at("fetches"), "") << "the page fetched resources";
  EXPECT_EQ(r.run.err.find("Uncaught"), std::string::npos) << r.run.err.substr(0, 3000);
  EXPECT_EQ(r.run.err.find(":CONSOLE"), std::string::npos) << r.run.err.substr(0, 3000);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t end; (end = s.find(sep, start)) != std::string::npos; start = end + 1)
    parts.push_back(s.substr(start, end - start));
  parts.push_back(s.substr(start));
  return parts;
}

TEST(ReportBrowser, RendersInHeadlessChromiumWithChartsAndImages) {
  const std::string chromium = find_chromium();
  if (chromium.empty())
    GTEST_SKIP() << "chromium is not installed (Debian package 'chromium', test group of scripts/packages.txt): "
                    "the report was NOT checked in a browser";
  const fs::path dir = testsupport::fresh_dir("report_browser");
  runtest::RunSpec spec;
  spec.sample_every = 20;  // 30 grids: 16 embedded
  runtest::write_synthetic_run(dir, spec);
  const auto sum = trainer::write_report(dir);
  ASSERT_EQ(sum.grids_embedded, 16u);
  const Rendered r = render(chromium, sum.path, dir);
  ASSERT_FALSE(r.probe.empty());
  const auto& a = r.probe;
  expect_clean(r);
  EXPECT_EQ(a.at("svgs"), "10");
  EXPECT_GE(std::stoi(a.at("paths")), 40) << "curves drawn";
  EXPECT_GT(std::stoi(a.at("svgwidth")), 300) << "charts laid out at a readable width";
  // 16 thumbnails + real samples + the big view that the slider script fills: all decoded with a size.
  EXPECT_EQ(a.at("images"), "18");
  EXPECT_EQ(a.at("decoded"), a.at("images"));
  EXPECT_GT(std::stoi(a.at("big")), 0) << "the timeline viewer shows a grid";
}

// Two runs of different lengths, sizes and precisions: every chart holds exactly one curve named by each run.
TEST(ReportBrowser, ComparisonRendersOneCurvePerRunInEachChart) {
  const std::string chromium = find_chromium();
  if (chromium.empty())
    GTEST_SKIP() << "chromium is not installed (Debian package 'chromium', test group of scripts/packages.txt): "
                    "the comparison page was NOT checked in a browser";
  const fs::path dir = testsupport::fresh_dir("compare_browser");
  const fs::path a = dir / "f32", b = dir / "bf16";
  fs::create_directories(a);
  fs::create_directories(b);
  runtest::write_synthetic_run(a, {});
  runtest::RunSpec short_bf16;
  short_bf16.rows = 300;
  short_bf16.image_size = 32;
  short_bf16.precision = nn::Precision::bf16;
  runtest::write_synthetic_run(b, short_bf16);
  trainer::ReportOptions opt;
  opt.out = dir / "compare.html";
  const auto sum = trainer::write_comparison({a, b}, opt);
  const Rendered r = render(chromium, sum.path, dir);
  ASSERT_FALSE(r.probe.empty());
  expect_clean(r);
  // Losses 2, D outputs 2, SWD mean + the shared levels 32 and 16, MS-SSIM, throughput.
  EXPECT_EQ(r.probe.at("svgs"), "9");
  EXPECT_GT(std::stoi(r.probe.at("svgwidth")), 300) << "charts laid out at a readable width";
  const auto charts = split(r.probe.at("curves"), ';');
  ASSERT_EQ(charts.size(), 9u);
  for (size_t c = 0; c < charts.size(); ++c) {
    const auto curves = split(charts[c], '|');
    for (const char* run : {"f32", "bf16"})
      EXPECT_EQ(std::count(curves.begin(), curves.end(), run), 1) << "chart " << c << " curves: " << charts[c];
  }
  EXPECT_EQ(r.probe.at("images"), "2") << "the latest grid of each run";
  EXPECT_EQ(r.probe.at("decoded"), "2");
}

}  // namespace
