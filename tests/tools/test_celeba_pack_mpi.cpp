// `mpirun -np N celeba-pack` end to end on this machine (loopback, more ranks than cores): the cache is
// byte-identical to a one-process pack of the same input at the same --shard-size and --threads, whatever N and
// wherever the rejects fall; --resume under MPI continues a pack whose rank was killed, byte-identical again; and a
// bad input, an option that differs, an output the ranks do not share, or a missing input on one rank ends every
// rank with a message naming it. --help is printed once.
#include "../pipeline/pack_fixtures.hpp"
#include "pipeline/dir_lock.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

namespace fs = std::filesystem;
using testsupport::run;

namespace {

const std::string kPack = CELEBA_PACK_EXE;
const std::string kMpirun = DCGAN_MPIRUN;  // mpirun and the flags for this machine (tests/CMakeLists.txt)

// An image folder of 32 inputs, the 24 committed golden JPEGs and 8 bad files, whose rejects fall at the edges of
// 2, 3 and 4 ranks' slices and inside them: shard boundaries then depend on rejects in earlier ranks' slices.
fs::path input_with_rejects() {
  static const fs::path in = [] {
    const fs::path d = testsupport::fresh_dir("pack_mpi_in") / "faces";
    int golden = 0;
    for (int i = 0; i < 32; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "f%02d.jpg", i);
      if (i == 0 || i == 7 || i == 8 || i == 9 || i == 15 || i == 16 || i == 31) packtest::write_file(d / name, "");
      else if (i == 24) packtest::write_file(d / name, "<html><body>quota exceeded</body></html>");
      else fs::copy_file(packtest::golden_jpeg(++golden), d / name);
    }
    return d;
  }();
  return in;
}

// Every file of two caches, the lock file aside, byte for byte.
void expect_same_files(const fs::path& a, const fs::path& b, const std::string& tag) {
  std::vector<std::string> na, nb;
  for (const auto& e : fs::directory_iterator(a)) na.push_back(e.path().filename().string());
  for (const auto& e : fs::directory_iterator(b)) nb.push_back(e.path().filename().string());
  std::sort(na.begin(), na.end());
  std::sort(nb.begin(), nb.end());
  EXPECT_EQ(na, nb) << tag;
  for (const auto& n : na) {
    if (n == ".lock" || !fs::exists(b / n)) continue;
    EXPECT_TRUE(packtest::read_file(a / n) == packtest::read_file(b / n)) << tag << ": " << n << " differs";
  }
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; ++at) ++n;
  return n;
}

}  // namespace

TEST(CelebaPackMpi, TwoThreeAndFourRanksPackTheBytesOfOneProcess) {
  const fs::path in = input_with_rejects();
  const fs::path dir = testsupport::fresh_dir("pack_mpi_same");
  for (const char* shard_size : {"3", "16"}) {
    const std::string args = " --input " + in.string() + " --shard-size " + shard_size + " --threads 1 --output ";
    const fs::path one = dir / ("one_" + std::string(shard_size));
    const auto r1 = run(kPack + args + one.string());
    ASSERT_EQ(r1.status, 0) << r1.err;
    ASSERT_NE(r1.out.find("packed 24 images, rejected 8"), std::string::npos) << r1.out;
    for (const char* n : {"2", "3", "4"}) {
      const fs::path many = dir / (std::string("np") + n + "_" + shard_size);
      const auto r = run(kMpirun + " -np " + n + " " + kPack + args + many.string());
      ASSERT_EQ(r.status, 0) << r.out << r.err;
      expect_same_files(one, many, std::string("-np ") + n + " --shard-size " + shard_size);
      // Rank 0 alone reports: one summary, one set of notes and warnings, rank 0's progress.
      EXPECT_EQ(count_of(r.out, "celeba-pack: packed 24 images, rejected 8"), 1u) << r.out;
      EXPECT_EQ(count_of(r.err, "celeba-pack: reading "), 1u) << r.err;
      EXPECT_NE(r.err.find(std::string("packing (rank 0 of ") + n + "): 100%"), std::string::npos) << r.err;
      for (const auto& e : fs::directory_iterator(many))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "left behind: " << e.path();
    }
  }
  // More ranks than inputs: ranks with an empty slice, or one input, take part all the same.
  const std::string args = " --input " + in.string() + " --limit 3 --shard-size 2 --threads 1 --output ";
  ASSERT_EQ(run(kPack + args + (dir / "one_limit").string()).status, 0);
  const auto r = run(kMpirun + " -np 4 " + kPack + args + (dir / "np4_limit").string());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("packed 2 images, rejected 1"), std::string::npos) << r.out;
  expect_same_files(dir / "one_limit", dir / "np4_limit", "-np 4 --limit 3");
}

// A rank killed with -9 while the shards are being written ends the job; --resume, here on 3 ranks, keeps the
// complete shards from shard 0 and packs the rest: the cache of an uninterrupted pack, byte for byte. A finished
// cache is then reported complete.
TEST(CelebaPackMpi, KilledRankThenResumeIsByteIdentical) {
  const fs::path dir = testsupport::fresh_dir("pack_mpi_kill");
  packtest::write_idx(dir / "in", "train", 30000, 28, 28, false);
  const std::string args = " --input " + (dir / "in").string() +
                           " --channels 1 --size 28 --shard-size 100 --threads 1 --quiet --output ";
  const auto ref = run(kPack + args + (dir / "ref").string());
  ASSERT_EQ(ref.status, 0) << ref.err;

  const fs::path cut = dir / "cut";
  const auto proc = testsupport::spawn(kMpirun + " -np 2 " + kPack + args + cut.string(), dir / "cut_log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(cut / "shard-00002.h5") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(fs::exists(cut / "shard-00002.h5")) << "no third shard within 120 s";
  const auto ranks = run("pgrep -P " + std::to_string(proc.pid));
  ASSERT_FALSE(ranks.out.empty()) << "no rank found under mpirun " << proc.pid;
  ::kill(static_cast<pid_t>(std::stol(ranks.out)), SIGKILL);
  const int status = testsupport::wait_exit(proc, 60);
  EXPECT_NE(status, 0) << "the job must end, non-zero, when a rank dies";
  EXPECT_NE(status, -1) << "the job was still running 60 s after a rank died";
  ASSERT_FALSE(fs::exists(cut / "dataset.h5")) << "the pack finished before the kill; the test proves nothing";

  auto r = run(kMpirun + " -np 2 " + kPack + args + cut.string());
  EXPECT_EQ(r.status, 1) << "an interrupted output without --resume is refused";
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  r = run(kMpirun + " -np 3 " + kPack + args + cut.string() + " --resume");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("kept from the interrupted run"), std::string::npos) << r.out;
  expect_same_files(dir / "ref", cut, "resumed");
  r = run(kMpirun + " -np 2 " + kPack + args + cut.string() + " --resume");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("is already complete: 30000 images packed"), std::string::npos) << r.out;
}

// Every failure ends every rank, non-zero, with a message naming the rank or the input.
TEST(CelebaPackMpi, AFailureOnAnyRankEndsTheJobNamingIt) {
  const fs::path in = input_with_rejects();
  const fs::path dir = testsupport::fresh_dir("pack_mpi_fail");
  const std::string args = " --input " + in.string() + " --shard-size 4 --threads 1 --quiet";
  // --on-error fail: the first bad input of some slice stops the job. The output holds no file of value, and the
  // next pack into it needs no --force.
  auto r = run(kMpirun + " -np 2 " + kPack + args + " --on-error fail --output " + (dir / "fail").string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("empty file (0 bytes), not an image (--on-error fail"), std::string::npos) << r.err;
  r = run(kPack + args + " --output " + (dir / "fail").string());
  EXPECT_EQ(r.status, 0) << r.err;
  // Another --size on rank 1 (MPMD): every rank stops before writing, naming rank 1.
  r = run(kMpirun + " -np 1 " + kPack + args + " --output " + (dir / "size").string() + " : -np 1 " + kPack + args +
          " --size 32 --output " + (dir / "size").string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("rank 1 and rank 0 differ in their inputs or options"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "size" / "shard-00000.h5"));
  // An output rank 1 does not share with rank 0 (here: another directory).
  r = run(kMpirun + " -np 1 " + kPack + args + " --output " + (dir / "a").string() + " : -np 1 " + kPack + args +
          " --output " + (dir / "b").string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("rank 1: cannot see the output directory rank 0 prepared"), std::string::npos) << r.err;
  // A missing input on rank 1.
  r = run(kMpirun + " -np 1 " + kPack + args + " --output " + (dir / "m").string() + " : -np 1 " + kPack +
          " --input " + (dir / "missing").string() + " --output " + (dir / "m").string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("celeba-pack (rank 1 of 2): error: input '" + (dir / "missing").string()), std::string::npos)
      << r.err;
  // An output another process is packing into (here the test holds its lock): rank 0 names the holder, every rank
  // ends.
  const pipeline::DirLock held(dir / "held", "test");
  r = run(kMpirun + " -np 2 " + kPack + args + " --output " + (dir / "held").string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("celeba-pack (rank 0 of 2): error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is in use by"), std::string::npos) << r.err;
}

// Rank 0 alone writes to standard output: --help is printed once, not once per rank.
TEST(CelebaPackMpi, HelpIsPrintedOnce) {
  const auto r = run(kMpirun + " -np 2 " + kPack + " --help");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(count_of(r.out, "Usage: celeba-pack"), 1u) << r.out;
}
