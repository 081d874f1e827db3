// End-to-end tests of celeba-pack: exit codes (0 success even with rejects, 2 usage naming the option, 1 failure),
// the summary and rejected.txt, progress output (plain lines, a bar on a terminal, nothing with --quiet), a full
// disk, the README main job's command, and --resume after a real kill -9 giving byte-identical shards.
#include "../pipeline/pack_fixtures.hpp"
#include "pipeline/cache.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

using testsupport::run;
namespace fs = std::filesystem;

extern char** environ;

static const std::string kPack = CELEBA_PACK_EXE;

TEST(CelebaPack, PacksWithSummaryAndPlainProgressLines) {
  REQUIRE_CELEBA_LIKE(in, 40);
  const fs::path out = testsupport::fresh_dir("cli_pack") / "cache";
  const auto r = run(kPack + " --input " + in.string() + " --output " + out.string() + " --shard-size 16");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* s : {"packed 40 images", "rejected 0", " s, ", "images/s", "written", "3 shards"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  EXPECT_NE(r.err.find("packing: 100% 40/40 images"), std::string::npos) << r.err;  // not a terminal: plain lines
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  EXPECT_NE(r.err.find("warning: "), std::string::npos) << "the sample's list files cannot have the official MD5s";
  pipeline::Cache c(out);
  EXPECT_EQ(c.count(), 40);
  EXPECT_TRUE(fs::exists(out / "rejected.txt"));
}

TEST(CelebaPack, QuietAndTerminalBar) {
  REQUIRE_CELEBA_LIKE(in, 40);
  const fs::path dir = testsupport::fresh_dir("cli_progress");
  auto r = run(kPack + " --input " + in.string() + " --output " + (dir / "q").string() + " --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("packing"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("packed 40 images"), std::string::npos);
  // Under a pseudo-terminal (util-linux script): a redrawn bar with rate and time.
  r = run("script -qec '" + kPack + " --input " + in.string() + " --output " + (dir / "t").string() + "' /dev/null");
  if (r.status == 127) GTEST_SKIP() << "script(1) is not available";
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\r\033[Kpacking ["), std::string::npos) << r.out;  // carriage return, erase line
  EXPECT_NE(r.out.find("] 100%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("images/s"), std::string::npos) << r.out;
}

TEST(CelebaPack, RejectsAreListedAndOnErrorFailStops) {
  REQUIRE_CELEBA_LIKE(src, 40);
  const fs::path in = testsupport::fresh_dir("cli_bad_in");
  fs::copy(src, in, fs::copy_options::recursive);
  packtest::write_file(in / "img_align_celeba" / "000002.jpg", "");
  packtest::write_file(in / "img_align_celeba" / "000030.jpg", "<html><body>Google Drive</body></html>");
  const fs::path dir = testsupport::fresh_dir("cli_bad");
  auto r = run(kPack + " --input " + in.string() + " --output " + (dir / "c").string() + " --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("packed 38 images, rejected 2"), std::string::npos) << r.out;
  const std::string txt = packtest::read_file(dir / "c" / "rejected.txt");
  EXPECT_NE(txt.find("000002.jpg\t"), std::string::npos) << txt;
  EXPECT_NE(txt.find("000030.jpg\tan HTML page"), std::string::npos) << txt;
  r = run(kPack + " --input " + in.string() + " --output " + (dir / "f").string() + " --quiet --on-error fail");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("000002.jpg"), std::string::npos) << r.err;
}

TEST(CelebaPack, UsageErrorsExit2NamingTheOption) {
  const fs::path dir = testsupport::fresh_dir("cli_usage");
  const std::string io = " --input " + dir.string() + " --output " + (dir / "o").string();
  const std::pair<std::string, std::string> cases[] = {
      {io + " --store bf16", "--store"},         {io + " --compression gzip", "--compression"},
      {io + " --layout lmdb", "--layout"},       {io + " --on-error ignore", "--on-error"},
      {io + " --channels 2", "--channels"},      {io + " --size 0", "--size"},
      {io + " --resume --force", "--resume"},    {io + " --shard-size 0", "--shard-size"},
      {" --output " + dir.string(), "--input"},  {io + " --frobnicate", "--frobnicate"},
      {io + " --threads -1", "--threads"}};
  for (const auto& [args, option] : cases) {
    const auto r = run(kPack + args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(option), std::string::npos) << args << "\n" << r.err;
  }
}

TEST(CelebaPack, FailuresExit1WithAClearMessage) {
  REQUIRE_CELEBA_LIKE(src, 40);
  const fs::path dir = testsupport::fresh_dir("cli_fail");
  auto r = run(kPack + " --input " + (dir / "nothing").string() + " --output " + (dir / "o").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  fs::create_directories(dir / "empty");
  r = run(kPack + " --input " + (dir / "empty").string() + " --output " + (dir / "o").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no images"), std::string::npos) << r.err;
  // An existing output without --resume / --force.
  packtest::write_file(dir / "existing" / "dataset.h5", "x");
  r = run(kPack + " --input " + src.string() + " --output " + (dir / "existing").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  // An attribute list replaced by Google Drive's quota page, then one with a bad line.
  const fs::path in = dir / "celeba";
  fs::copy(src, in, fs::copy_options::recursive);
  packtest::write_file(in / "list_attr_celeba.txt", "<!DOCTYPE html><html><title>Google Drive - Quota exceeded</title>");
  r = run(kPack + " --input " + in.string() + " --output " + (dir / "o2").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("HTML page"), std::string::npos) << r.err;
  std::string attrs = packtest::read_file(src / "list_attr_celeba.txt");
  attrs.replace(attrs.find("000007.jpg") + 12, 2, "x ");
  packtest::write_file(in / "list_attr_celeba.txt", attrs);
  r = run(kPack + " --input " + in.string() + " --output " + (dir / "o3").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("line 9"), std::string::npos) << r.err;
}

// A full disk, on a small tmpfs in a private mount namespace (needs root; skipped elsewhere).
TEST(CelebaPack, FullDisk) {
  REQUIRE_CELEBA_LIKE(in, 40);
  const fs::path dir = testsupport::fresh_dir("cli_full");
  const std::string mnt = (dir / "mnt").string();
  fs::create_directories(mnt);
  const std::string pre = "unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs " + mnt + " && ";
  if (run(pre + "true'").status != 0) GTEST_SKIP() << "cannot mount a tmpfs in a private namespace (not root?)";
  // Uncompressed: refused up front from the estimate.
  auto r = run(pre + kPack + " --input " + in.string() + " --output " + mnt + "/c --quiet'");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("not enough free space"), std::string::npos) << r.err;
  // Compressed (no estimate): the write fails on the full disk and says so.
  r = run(pre + kPack + " --input " + in.string() + " --output " + mnt + "/c --quiet --compression deflate:0'");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("full"), std::string::npos) << r.err;
}

// scripts/run's main job: the embedded Fashion-MNIST default, always with --resume (here limited).
TEST(CelebaPack, MainJobCommandOnFashionMnist) {
  const fs::path in = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(in)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const fs::path out = testsupport::fresh_dir("cli_fmnist") / "cache";
  const auto r = run(kPack + " --input " + in.string() + " --layout idx --channels 1 --output " + out.string() +
                     " --resume --limit 3000 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  pipeline::Cache c(out);
  EXPECT_EQ(c.count(), 3000);
  EXPECT_EQ(c.channels(), 1);
  EXPECT_EQ(c.size(), 64);
  EXPECT_TRUE(c.has_labels());
}

namespace {

pid_t spawn_quiet(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

}  // namespace

TEST(CelebaPack, ResumeAfterKill9IsByteIdentical) {
  const fs::path dir = testsupport::fresh_dir("cli_kill");
  packtest::write_idx(dir / "in", "train", 30000, 28, 28, false);
  const std::vector<std::string> common = {kPack, "--input", (dir / "in").string(), "--channels", "1", "--size", "28",
                                           "--shard-size", "100", "--threads", "1", "--quiet", "--output"};
  // The reference: one uninterrupted run.
  auto args = common;
  args.push_back((dir / "ref").string());
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  const auto ref = run(cmd);
  ASSERT_EQ(ref.status, 0) << ref.err;

  // The victim: SIGKILL as soon as its third shard is complete.
  args = common;
  args.push_back((dir / "cut").string());
  const pid_t pid = spawn_quiet(args);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(dir / "cut" / "shard-00002.h5") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the run ended before it could be killed";
  ASSERT_FALSE(fs::exists(dir / "cut" / "dataset.h5"));
  size_t complete = 0;
  for (const auto& e : fs::directory_iterator(dir / "cut")) {
    const std::string n = e.path().filename().string();
    if (n.rfind("shard-", 0) == 0 && n.find(".tmp") == std::string::npos) ++complete;
  }
  ASSERT_GE(complete, 3u);
  ASSERT_LT(complete, 300u);

  // Without --resume the interrupted output is refused; with it, the pack finishes.
  auto again = run(cmd.substr(0, cmd.find("/ref")) + "/cut");
  EXPECT_EQ(again.status, 1) << again.err;
  again = run(cmd.substr(0, cmd.find("/ref")) + "/cut --resume");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("kept from the interrupted run"), std::string::npos) << again.out;
  for (const auto& e : fs::directory_iterator(dir / "ref")) {
    const std::string n = e.path().filename().string();
    if (n.rfind("shard-", 0) != 0) continue;
    EXPECT_TRUE(packtest::read_file(dir / "ref" / n) == packtest::read_file(dir / "cut" / n)) << n << " differs";
  }
  for (const auto& e : fs::directory_iterator(dir / "cut"))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "stale temporary " << e.path();
  // The datasets of the two caches, read back through their manifests, are identical.
  pipeline::Cache a(dir / "ref"), b(dir / "cut");
  ASSERT_EQ(a.count(), 30000);
  ASSERT_EQ(b.count(), 30000);
  const auto all = a.indices(pipeline::Partition::all);
  std::vector<uint8_t> pa(all.size() * a.image_elems()), pb(pa.size());
  a.read_u8(all, pa.data());
  b.read_u8(all, pb.data());
  EXPECT_TRUE(pa == pb);
  EXPECT_EQ(a.labels(), b.labels());
  EXPECT_EQ(a.filenames(), b.filenames());
  EXPECT_EQ(a.partitions(), b.partitions());
  b.verify_checksums();
}
