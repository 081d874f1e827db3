// `mpirun -np N dcgan-onednn train` end to end on this machine (loopback, more ranks than cores): the data-parallel
// run is the one-process run at the same global batch, rank 0 alone writes the run directory, and a bad option or
// a failure on one rank ends every rank with a message naming it.
#include "support/fashion_cache.hpp"
#include "support/metrics_csv.hpp"
#include "support/run.hpp"
#include "trainer/metrics_row.hpp"
#include "trainer/run_layout.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <thread>

namespace fs = std::filesystem;
using testsupport::metrics_rows;
using testsupport::metrics_without_timing;
using testsupport::run;

namespace {

const std::string kDcgan = DCGAN_ONEDNN_EXE;
const std::string kMpirun = DCGAN_MPIRUN;  // mpirun and the flags for this machine (tests/CMakeLists.txt)
const char* kFashion = testsupport::kFashionMnist;
const std::string kModel = " --nz 16 --ngf 8 --ndf 8 --batch 16 --no-progress --sample-every 0";
const std::string kSmall = kModel + " --threads 1";

const fs::path& cache_dir() {
  static const fs::path dir = testsupport::pack_fashion_mnist("train_mpi_cache", 160);
  return dir;
}


class TrainMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kFashion)) GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/install-deps build)";
    cache_dir();
  }
};

}  // namespace

// The largest |a - b| over the loss and D-output columns of two runs' rows.
double deviation(const fs::path& a_dir, const fs::path& b_dir) {
  const auto a = metrics_rows(a_dir), b = metrics_rows(b_dir);
  EXPECT_EQ(a.size(), b.size()) << a_dir << " " << b_dir;
  double worst = 0;
  for (size_t i = 1; i < std::min(a.size(), b.size()); ++i)
    for (size_t c = trainer::metrics_column("loss_d"); c <= trainer::metrics_column("d_g_z2"); ++c)
      worst = std::max(worst, std::abs(std::stod(a[i][c]) - std::stod(b[i][c])));
  return worst;
}

// Same global batch, same seed: 2 ranks with synchronized BatchNorm compute what one process computes, up to the
// order of floating-point sums. Iteration 0 (no optimizer step yet) must agree to 1e-5. Later iterations cannot be
// held to that: Adam divides each gradient by its own magnitude, so the rounding noise of gradients that are zero
// in exact arithmetic (weights feeding a BatchNorm, along its normalized-out direction) becomes updates of size
// lr. Two one-process runs that differ only in --threads show that spread; the 2-rank run must stay within twice
// it. Per-rank statistics (--batchnorm local) must show at iteration 0 already that they are another computation.
TEST_F(TrainMpi, TwoRanksTrainAsOneProcessAtTheSameGlobalBatch) {
  const fs::path base = testsupport::fresh_dir("train_mpi_same");
  const std::string args = " train --data " + cache_dir().string() + kModel + " --iters 6 --log-every 1";
  for (const char* threads : {"1", "2"}) {
    const auto one = run(kDcgan + args + " --threads " + threads + " --out " + (base / "one" / threads).string());
    ASSERT_EQ(one.status, 0) << one.err;
  }
  const auto two = run(kMpirun + " -np 2 " + kDcgan + args + " --threads 1 --out " + (base / "two").string());
  ASSERT_EQ(two.status, 0) << two.out << two.err;
  const auto local =
      run(kMpirun + " -np 2 " + kDcgan + args + " --threads 1 --batchnorm local --out " + (base / "local").string());
  ASSERT_EQ(local.status, 0) << local.out << local.err;
  EXPECT_NE(two.out.find("2 ranks x 8 images, sync BatchNorm"), std::string::npos) << two.out;
  size_t log_lines = 0;
  for (size_t at = 0; (at = two.out.find("Loss_D:", at)) != std::string::npos; ++at) ++log_lines;
  EXPECT_EQ(log_lines, 6u) << "rank 0 alone prints the log\n" << two.out;
  ASSERT_EQ(metrics_rows(base / "two").size(), 7u) << "a header and one row per iteration";

  const fs::path one = base / "one" / "1";
  const double threads_spread = deviation(one, base / "one" / "2");
  const double mpi = deviation(one, base / "two");
  const auto a = metrics_rows(one), b = metrics_rows(base / "two"), l = metrics_rows(base / "local");
  double first = 0, first_local = 0;
  for (size_t c = trainer::metrics_column("loss_d"); c <= trainer::metrics_column("d_g_z2"); ++c) {
    first = std::max(first, std::abs(std::stod(a[1][c]) - std::stod(b[1][c])));
    first_local = std::max(first_local, std::abs(std::stod(a[1][c]) - std::stod(l[1][c])));
  }
  std::printf("measured at iteration 0: 2 ranks %.3g, local %.3g; over iterations 0-5: 2 ranks %.3g, "
              "one process at --threads 1 vs 2 %.3g\n",
              first, first_local, mpi, threads_spread);
  EXPECT_LE(first, 1e-5) << "iteration 0";
  EXPECT_GT(first_local, 1e-3) << "--batchnorm local at iteration 0";
  EXPECT_LE(mpi, 2 * threads_spread + 1e-5);
  EXPECT_TRUE(fs::exists(base / "two" / "checkpoints" / "ckpt_0000006.h5"));
  EXPECT_TRUE(fs::exists(base / "two" / "report.html"));
}

TEST_F(TrainMpi, BatchThatDoesNotDivideAmongTheRanksIsRefused) {
  const fs::path out = testsupport::fresh_dir("train_mpi_batch") / "run";
  const auto r = run(kMpirun + " -np 4 " + kDcgan + " train --data " + cache_dir().string() + " --out " +
                     out.string() + " --nz 16 --ngf 8 --ndf 8 --threads 1 --no-progress --iters 2 --batch 18");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--batch 18 does not divide among 4 processes"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "metrics.csv"));
}

// MPMD: rank 1 is given a cache that does not exist. Rank 1 names itself and the path, and the job ends (ctest's
// timeout would catch a rank left waiting).
TEST_F(TrainMpi, OneRankFailingToOpenTheDataEndsTheJob) {
  const fs::path base = testsupport::fresh_dir("train_mpi_fail");
  const std::string rest = " --out " + (base / "run").string() + kSmall + " --iters 3";
  const auto r = run(kMpirun + " -np 1 " + kDcgan + " train --data " + cache_dir().string() + rest + " : -np 1 " +
                     kDcgan + " train --data " + (base / "missing").string() + rest);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("dcgan-onednn (rank 1 of 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((base / "missing").string()), std::string::npos) << r.err;
}

namespace {

// Starts a 2-rank run, waits for its checkpoint of iteration 20, and interrupts it with `stop`. *status gets the
// job's exit status (-1: still running 60 s later). Returns the rows it had written.
size_t interrupt_after_checkpoint_20(const std::string& cmd, const fs::path& run_dir,
                                     const std::function<void(pid_t mpirun)>& stop, int* status) {
  const auto proc = testsupport::spawn(cmd, run_dir.string() + "_log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(trainer::run_layout::checkpoint_path(run_dir, 20)) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  stop(proc.pid);
  *status = testsupport::wait_exit(proc, 60);  // -1: still running after 60 s (a rank left waiting)
  return metrics_rows(run_dir).size();
}

}  // namespace

// A rank killed with -9 ends the job (Open MPI aborts it), and SIGTERM delivered to every rank checkpoints once and
// stops; either way `--resume` under 2 ranks continues to the rows of an uninterrupted
// 2-rank run, exactly.
TEST_F(TrainMpi, KilledRankOrSigtermThenResumeEqualsAnUninterruptedRun) {
  const fs::path base = testsupport::fresh_dir("train_mpi_resume");
  const std::string train = kMpirun + " -np 2 " + kDcgan + " train";
  const std::string common = " --data " + cache_dir().string() +
                             " --nz 16 --ngf 32 --ndf 32 --batch 16 --threads 1 --no-progress --sample-every 0"
                             " --iters 120 --checkpoint-every 10 --log-every 0 --keep-checkpoints 2";
  const fs::path whole = base / "whole";
  ASSERT_EQ(run(train + " --out " + whole.string() + common).status, 0);
  const auto expected = metrics_without_timing(whole);

  // kill -9 one rank (a child of mpirun).
  int status = 0;
  const fs::path killed = base / "killed";
  const size_t rows_killed = interrupt_after_checkpoint_20(
      train + " --out " + killed.string() + common, killed,
      [](pid_t mpirun) {
        const auto ranks = run("pgrep -P " + std::to_string(mpirun));
        ASSERT_FALSE(ranks.out.empty()) << "no rank found under mpirun " << mpirun;
        ::kill(static_cast<pid_t>(std::stol(ranks.out)), SIGKILL);
      },
      &status);
  EXPECT_NE(status, 0) << "the job must end, non-zero, when a rank dies";
  EXPECT_NE(status, -1) << "the job was still running 60 s after a rank died";
  EXPECT_LT(rows_killed, expected.size()) << "the run finished before the kill; the test proves nothing";
  auto r = run(train + " --out " + killed.string() + " --resume --no-progress");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(metrics_without_timing(killed), expected);

  const fs::path stopped = base / "stopped";
  // SIGTERM to every rank at once, as mpirun delivers it (mpirun itself passes a SIGTERM on after
  // odls_base_sigkill_timeout seconds and SIGKILLs as long after that: trainer/README.md).
  const size_t rows_stopped = interrupt_after_checkpoint_20(
      train + " --out " + stopped.string() + common, stopped,
      [](pid_t mpirun) { run("pkill -TERM -P " + std::to_string(mpirun)); }, &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(status, -1) << "the job was still running 60 s after SIGTERM";
  EXPECT_LT(rows_stopped, expected.size()) << "the run finished before SIGTERM; the test proves nothing";
  const fs::path last = trainer::run_layout::checkpoint_path(stopped, static_cast<int64_t>(rows_stopped) - 1);
  EXPECT_TRUE(fs::exists(last)) << "a checkpoint of the last iteration written (" << last << ")";
  r = run(train + " --out " + stopped.string() + " --resume --no-progress");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(metrics_without_timing(stopped), expected);
}

// MPMD: rank 1 is given another --ngf. Every rank stops before the first step, rank 1 naming the difference (a rank
// building another model would otherwise make other collective calls, and the job would hang).
TEST_F(TrainMpi, RanksGivenDifferentOptionsStopNamingTheDifference) {
  const fs::path base = testsupport::fresh_dir("train_mpi_differ");
  const std::string args = " train --data " + cache_dir().string() + " --out " + (base / "run").string() +
                           " --nz 16 --ndf 8 --batch 16 --threads 1 --no-progress --iters 3";
  const auto r = run(kMpirun + " -np 1 " + kDcgan + args + " --ngf 8 : -np 1 " + kDcgan + args + " --ngf 16");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("this rank's run differs from rank 0's: --ngf 16 (rank 0: 8)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(base / "run" / "metrics.csv")) << "no step may have run";
}

// Checkpoints record the processes that wrote them. Resumed on another number: with synchronized BatchNorm it goes
// on (the same computation), saying so; with --batchnorm local it is refused, naming the number to resume with.
TEST_F(TrainMpi, ResumeOnAnotherNumberOfRanks) {
  const fs::path base = testsupport::fresh_dir("train_mpi_other_n");
  const std::string args = " train --data " + cache_dir().string() + kSmall + " --iters 4 --checkpoint-every 2";
  for (const char* mode : {"sync", "local"}) {
    const fs::path out = base / mode;
    auto r = run(kMpirun + " -np 2 " + kDcgan + args + " --batchnorm " + mode + " --out " + out.string());
    ASSERT_EQ(r.status, 0) << r.err;
    r = run(kDcgan + " train --out " + out.string() + " --resume --iters 8 --no-progress");
    if (std::string(mode) == "sync") {
      EXPECT_EQ(r.status, 0) << r.err;
      EXPECT_NE(r.out.find("trained on 2 processes until now, and goes on on 1"), std::string::npos) << r.out;
      EXPECT_EQ(metrics_rows(out).size(), 9u);
    } else {
      EXPECT_EQ(r.status, 2) << r.err;
      EXPECT_NE(r.err.find("with --batchnorm local"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("Resume it with mpirun -np 2"), std::string::npos) << r.err;
      EXPECT_EQ(metrics_rows(out).size(), 5u) << "a refused resume changes nothing";
    }
  }
}
