// Tests of the append-only CSV log: header, quoting, shortest float text, and truncation on resume.
#include "support/run.hpp"
#include "trainer/csv_log.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace fs = std::filesystem;
using namespace trainer;

TEST(CsvLog, FormatsShortestRoundTrip) {
  EXPECT_EQ(format_value(0.5f), "0.5");
  const float x = 0.693147182f;
  EXPECT_EQ(std::stof(format_value(x)), x);
  EXPECT_EQ(format_value(std::nanf("")), "nan");
  EXPECT_EQ(format_value(-INFINITY), "-inf");
}

TEST(CsvLog, QuotesAndSplits) {
  EXPECT_EQ(csv_quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_split("1,\"x, \"\"y\"\"\",3"), (std::vector<std::string>{"1", "x, \"y\"", "3"}));
}

TEST(CsvLog, ResumeCutsRowsAtAndPastTheCheckpointAndTornLines) {
  const fs::path dir = testsupport::fresh_dir("csvlog");
  const fs::path p = dir / "m.csv";
  {
    CsvLog log(p, {"epoch", "iter", "loss"}, 1, std::nullopt);
    for (int i = 0; i < 6; ++i) log.append({"0", std::to_string(i), format_value(0.1f * i)});
  }
  { std::ofstream(p, std::ios::app) << "0,6,0.6"; }  // torn row: no newline
  {
    CsvLog log(p, {"epoch", "iter", "loss"}, 1, 4);
    log.append({"0", "4", "x"});
  }
  EXPECT_EQ(testsupport::slurp(p), "epoch,iter,loss\n0,0,0\n0,1,0.1\n0,2,0.2\n0,3,0.3\n0,4,x\n");
  EXPECT_THROW(CsvLog(p, {"epoch", "iteration", "loss"}, 1, 2), std::runtime_error);
  CsvLog log(p, {"epoch", "iter", "loss"}, 1, std::nullopt);
  EXPECT_THROW(log.append({"1"}), std::logic_error);
}
