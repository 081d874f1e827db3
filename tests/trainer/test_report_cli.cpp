// End-to-end test of `dcgan-onednn report RUN_DIR [--out FILE]`: exit codes, output file, messages.
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

}  // namespace
