// Opens the HTML report in headless Chromium: it must render without script errors or network fetches, with its
// charts (SVG) and its images decoded. Skipped, with a message, where Chromium is not installed.
#include "test_run_support.hpp"
#include "trainer/report.hpp"

#include <gtest/gtest.h>

#include "support/run.hpp"

#include <map>
#include <regex>

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
  const std::string page = instrumented(testsupport::slurp(sum.path));
  ASSERT_FALSE(page.empty()) << "report.html lacks <head> or </body>";
  const fs::path probe = dir / "report_probe.html";
  std::ofstream(probe) << page;

  const std::string cmd = "timeout 120 '" + chromium +
                          "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                          "--disable-background-networking --disable-component-update --disable-sync "
                          "--user-data-dir='" + (dir / "chromium-profile").string() +
                          "' --enable-logging=stderr --v=0 --window-size=1400,3000 --dump-dom 'file://" +
                          fs::absolute(probe).string() + "'";
  const auto r = testsupport::run(cmd);
  ASSERT_EQ(r.status, 0) << cmd << "\n" << r.err.substr(0, 4000);
  const auto a = selftest_attributes(r.out);
  ASSERT_FALSE(a.empty()) << "the load-time probe did not run; DOM starts: " << r.out.substr(0, 500) << "\nstderr: "
                          << r.err.substr(0, 3000);
  EXPECT_EQ(a.at("errors"), "") << "script errors in the page";
  EXPECT_EQ(a.at("fetches"), "") << "the page fetched resources";
  EXPECT_EQ(a.at("svgs"), "10");
  EXPECT_GE(std::stoi(a.at("paths")), 40) << "curves drawn";
  EXPECT_GT(std::stoi(a.at("svgwidth")), 300) << "charts laid out at a readable width";
  // 16 thumbnails + real samples + the big view that the slider script fills: all decoded with a size.
  EXPECT_EQ(a.at("images"), "18");
  EXPECT_EQ(a.at("decoded"), a.at("images"));
  EXPECT_GT(std::stoi(a.at("big")), 0) << "the timeline viewer shows a grid";
  // Console: no error or uncaught exception logged by the page.
  EXPECT_EQ(r.err.find("Uncaught"), std::string::npos) << r.err.substr(0, 3000);
  EXPECT_EQ(r.err.find(":CONSOLE"), std::string::npos) << r.err.substr(0, 3000);
}

}  // namespace
