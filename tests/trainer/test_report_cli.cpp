// End-to-end test of `dcgan-onednn report RUN_DIR [--out FILE]` and `report --compare RUN_A RUN_B ... --out FILE`:
// exit codes, output file, messages.
#include "test_run_support.hpp"

#include <gtest/gtest.h>

#include "support/run.hpp"

namespace {

namespace fs = std::filesystem;

TEST(ReportCli, WritesTheReportOfARunDirectory) {
  const fs::path dir = testsupport::fresh_dir("report_cli");
  runtest::write_synthetic_run(dir, {});
  const auto r = testsupport::run(std::string(DCGAN_ONEDNN_EXE) + " report '" + dir.string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("report.html"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("600 metric rows"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(dir / "report.html"));
  EXPECT_NE(testsupport::slurp(dir / "report.html").find("<svg class=\"chart\""), std::string::npos);

  const fs::path other = dir / "elsewhere.html";
  const auto r2 = testsupport::run(std::string(DCGAN_ONEDNN_EXE) + " report '" + dir.string() + "' --out '" +
                                   other.string() + "' --max-grids 3");
  ASSERT_EQ(r2.status, 0) << r2.err;
  EXPECT_NE(r2.out.find("3 of 12 sample grids"), std::string::npos) << r2.out;
  EXPECT_TRUE(fs::exists(other));
}

TEST(ReportCli, UsageErrorsExit2AndMissingMetricsExit1) {
  const auto help = testsupport::run(std::string(DCGAN_ONEDNN_EXE) + " report --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("RUN_DIR"), std::string::npos);
  const auto none = testsupport::run(std::string(DCGAN_ONEDNN_EXE) + " report");
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("RUN_DIR"), std::string::npos) << none.err;
  const auto missing = testsupport::run(std::string(DCGAN_ONEDNN_EXE) + " report /no/such/run");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("/no/such/run"), std::string::npos) << missing.err;
  const fs::path empty = testsupport::fresh_dir("report_cli_empty");
  const auto nometrics = testsupport::run(std::string(DCGAN_ONEDNN_EXE) + " report '" + empty.string() + "'");
  EXPECT_EQ(nometrics.status, 1);
  EXPECT_NE(nometrics.err.find("metrics.csv"), std::string::npos) << nometrics.err;
  const auto bad = testsupport::run(std::string(DCGAN_ONEDNN_EXE) + " report '" + empty.string() + "' --max-grids 0");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--max-grids"), std::string::npos) << bad.err;
}

TEST(ReportCli, ComparesRunsOnOnePage) {
  const fs::path dir = testsupport::fresh_dir("report_cli_compare");
  for (const char* name : {"a", "b"}) {
    fs::create_directories(dir / name);
    runtest::write_synthetic_run(dir / name, {});
  }
  const std::string exe = DCGAN_ONEDNN_EXE;
  const std::string a = "'" + (dir / "a").string() + "'", b = "'" + (dir / "b").string() + "'";
  const fs::path out = dir / "compare.html";
  const auto r = testsupport::run(exe + " report --compare " + a + " " + b + " --out '" + out.string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("compare.html (2 runs, 0 differing options, 2 sample grids, 6 warnings"), std::string::npos)
      << r.out;
  EXPECT_NE(testsupport::slurp(out).find("DCGAN run comparison · a vs b"), std::string::npos);
  // The switch may come after the first run, as any option may.
  const auto after = testsupport::run(exe + " report " + a + " --compare " + b + " --out '" + out.string() + "'");
  EXPECT_EQ(after.status, 0) << after.err;
}

TEST(ReportCli, CompareRefusalsNameTheCause) {
  const fs::path dir = testsupport::fresh_dir("report_cli_compare_bad");
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "empty");
  runtest::write_synthetic_run(dir / "a", {});
  const std::string exe = DCGAN_ONEDNN_EXE;
  const std::string a = "'" + (dir / "a").string() + "'", out = " --out '" + (dir / "c.html").string() + "'";
  const auto one = testsupport::run(exe + " report --compare " + a + out);
  EXPECT_EQ(one.status, 2);
  EXPECT_NE(one.err.find("--compare: takes 2 to 10"), std::string::npos) << one.err;
  const auto no_out = testsupport::run(exe + " report --compare " + a + " " + a);
  EXPECT_EQ(no_out.status, 2);
  EXPECT_NE(no_out.err.find("--out"), std::string::npos) << no_out.err;
  const auto not_run = testsupport::run(exe + " report --compare " + a + " '" + (dir / "empty").string() + "'" + out);
  EXPECT_EQ(not_run.status, 1);
  EXPECT_NE(not_run.err.find("'" + (dir / "empty").string() + "' is not a run directory"), std::string::npos)
      << not_run.err;
  const auto missing = testsupport::run(exe + " report --compare " + a + " /no/such/run" + out);
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("/no/such/run"), std::string::npos) << missing.err;
  const auto two = testsupport::run(exe + " report " + a + " " + a);
  EXPECT_EQ(two.status, 2);
  EXPECT_NE(two.err.find("one RUN_DIR, got 2"), std::string::npos) << two.err;
  EXPECT_FALSE(fs::exists(dir / "c.html"));
}

}  // namespace
