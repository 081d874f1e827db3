// End-to-end tests of celeba-pack: exit codes (0 success even with rejects, 2 usage naming the option, 1 failure),
// the summary and rejected.txt, progress output (plain lines, a bar on a terminal, nothing with --quiet), a full
// disk, the README main job's command, --resume after a real kill -9 giving byte-identical shards, one writer per
// output (a second pack exits 1 naming the holder; two racing packs leave one consistent cache), non-regular
// files named like images (or IDX files) refused without blocking, IDX sets present raw and gzipped packed once, an
// output inside the input said and left out of the scan, an attribute list wider than a cache refused naming the
// limit, and rejected.txt keeping one line per reject for names with tabs and newlines.
#include "../pipeline/pack_fixtures.hpp"
#include "pipeline/cache.hpp"
#include "pipeline/dir_lock.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

// One writer per output: while another process holds the output's lock (here the test itself, through
// pipeline::DirLock), celeba-pack exits 1 at once naming the directory and the holder, and writes nothing. The lock
// file left behind does not make the output "not empty" for the next pack.
TEST(CelebaPack, SecondWriterOnTheSameOutputExits1NamingTheHolder) {
  const fs::path dir = testsupport::fresh_dir("cli_lock");
  packtest::write_idx(dir / "in", "train", 50, 28, 28, false);
  const fs::path out = dir / "out";
  const std::string cmd =
      kPack + " --input " + (dir / "in").string() + " --channels 1 --size 28 --quiet --output " + out.string();
  {
    pipeline::DirLock held(out, "test output");
    const auto p = testsupport::spawn(cmd, dir / "blocked");
    const int status = testsupport::wait_exit(p, 60);  // a deadline, not a timing: a blocked pack fails, not hangs
    const std::string err = testsupport::slurp(p.err_path);
    EXPECT_EQ(status, 1) << err;
    EXPECT_NE(err.find("'" + out.string() + "'"), std::string::npos) << err;
    EXPECT_NE(err.find("in use by process " + std::to_string(::getpid())), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(out / "dataset.h5"));
    for (const auto& e : fs::directory_iterator(out))
      EXPECT_EQ(e.path().filename().string(), pipeline::kLockFile) << "written while locked: " << e.path();
  }
  const auto r = run(cmd);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(pipeline::Cache(out).count(), 50);
}

// Two packs started together on one fresh output, with options that give different shards (the review's case:
// uint8 in shards of 20 on one thread, float16 on two): exactly one succeeds, the other exits 1, and the output is
// one consistent cache, the winner's, with no shard of the loser.
TEST(CelebaPack, TwoPacksRacingOnOneOutputLeaveOneConsistentCache) {
  const fs::path dir = testsupport::fresh_dir("cli_race");
  packtest::write_idx(dir / "in", "train", 3000, 28, 28, false);
  const std::string common = kPack + " --input " + (dir / "in").string() + " --channels 1 --size 28 --quiet";
  for (int round = 0; round < 3; ++round) {
    const fs::path out = dir / ("out" + std::to_string(round));
    const std::string tag = "round " + std::to_string(round);
    const auto a = testsupport::spawn(common + " --shard-size 20 --threads 1 --output " + out.string(),
                                      dir / ("a" + std::to_string(round)));
    const auto b = testsupport::spawn(common + " --threads 2 --store float16 --output " + out.string(),
                                      dir / ("b" + std::to_string(round)));
    const int sa = testsupport::wait_exit(a, 120), sb = testsupport::wait_exit(b, 120);
    const std::string ea = testsupport::slurp(a.err_path), eb = testsupport::slurp(b.err_path);
    ASSERT_TRUE((sa == 0 && sb == 1) || (sa == 1 && sb == 0)) << tag << ": exit " << sa << " and " << sb << "\n"
                                                              << ea << "\n" << eb;
    const std::string& loser = sa == 1 ? ea : eb;
    // "in use by process <pid>", or "by another process" when the loser looked between the winner's flock and its
    // writing of its pid (pipeline/dir_lock.cpp); or the winner had finished and left a complete cache.
    EXPECT_TRUE(loser.find("' is in use by ") != std::string::npos ||
                loser.find("already exists and is not empty") != std::string::npos)
        << tag << ": " << loser;
    pipeline::Cache c(out);  // checks every shard's type and CRC-32 against dataset.h5
    EXPECT_EQ(c.count(), 3000) << tag;
    EXPECT_EQ(c.store(), sa == 0 ? pipeline::Store::uint8 : pipeline::Store::float16) << tag;
    std::vector<std::string> on_disk, listed;
    for (const auto& e : fs::directory_iterator(out)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("shard-", 0) == 0) on_disk.push_back(n);
    }
    for (const auto& sh : pipeline::read_manifest(out).shards) listed.push_back(sh.name);
    std::sort(on_disk.begin(), on_disk.end());
    EXPECT_EQ(on_disk, listed) << tag << ": shard files that dataset.h5 does not list";
    EXPECT_EQ(listed.size(), sa == 0 ? 150u : 1u) << tag;
  }
}

// A FIFO, a socket, a directory and a device named like images (directly or through symlinks): each is a rejected
// input with its reason, and none is opened for reading (a FIFO blocked the pack forever). A symlink to a regular
// image is packed. The same in the folder layout.
TEST(CelebaPack, NonRegularInputsAreRejectedWithoutBlocking) {
  REQUIRE_CELEBA_LIKE(src, 40);
  const fs::path dir = testsupport::fresh_dir("cli_nonreg");
  const fs::path in = dir / "in", img = in / "img_align_celeba";
  fs::copy(src, in, fs::copy_options::recursive);
  for (const char* n : {"000004.jpg", "000006.jpg", "000009.jpg", "000011.jpg", "000012.jpg", "000015.jpg"})
    fs::remove(img / n);
  ASSERT_EQ(::mkfifo((img / "000004.jpg").c_str(), 0644), 0);
  fs::create_directory(img / "000006.jpg");
  fs::create_symlink("/dev/null", img / "000009.jpg");
  fs::create_symlink("000004.jpg", img / "000011.jpg");
  fs::create_symlink("000001.jpg", img / "000015.jpg");
  bool socket_made = false;
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string p = (img / "000012.jpg").string();
    if (fd >= 0 && p.size() < sizeof a.sun_path) {
      std::memcpy(a.sun_path, p.c_str(), p.size() + 1);
      socket_made = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    if (fd >= 0) ::close(fd);  // the socket file stays
  }
  if (!socket_made) fs::copy_file(img / "000001.jpg", img / "000012.jpg");
  const fs::path out = dir / "out";
  const auto p = testsupport::spawn(kPack + " --input " + in.string() + " --output " + out.string() + " --quiet",
                                    dir / "pack");
  const int status = testsupport::wait_exit(p, 60);  // a deadline: a pack blocked on the FIFO is killed, and fails
  ASSERT_EQ(status, 0) << testsupport::slurp(p.err_path);
  const std::string summary = testsupport::slurp(p.out_path);
  const int rejected = socket_made ? 5 : 4;
  EXPECT_NE(summary.find("packed " + std::to_string(40 - rejected) + " images, rejected " + std::to_string(rejected)),
            std::string::npos)
      << summary;
  const std::string txt = packtest::read_file(out / "rejected.txt");
  for (const auto& [n, why] : std::vector<std::pair<std::string, std::string>>{{"000004.jpg", "a FIFO"},
                                                                               {"000006.jpg", "a directory"},
                                                                               {"000009.jpg", "a character device"},
                                                                               {"000011.jpg", "a FIFO"}}) {
    const size_t at = txt.find(n + "\t");
    ASSERT_NE(at, std::string::npos) << n << "\n" << txt;
    const std::string line = txt.substr(at, txt.find('\n', at) - at);
    EXPECT_NE(line.find("not a regular file"), std::string::npos) << line;
    EXPECT_NE(line.find(why), std::string::npos) << line;
  }
  if (socket_made) {
    EXPECT_NE(txt.find("000012.jpg\tnot a regular file: a socket"), std::string::npos) << txt;
  }
  EXPECT_EQ(txt.find("000015.jpg"), std::string::npos) << "a symlink to a regular image is packed\n" << txt;

  // Folder layout: a FIFO among the class's images is a rejected input too (it used to be skipped without a word).
  const fs::path folder = dir / "folder";
  fs::create_directories(folder / "a");
  fs::copy_file(img / "000001.jpg", folder / "a" / "000001.jpg");
  ASSERT_EQ(::mkfifo((folder / "a" / "pipe.jpg").c_str(), 0644), 0);
  const auto q = testsupport::spawn(
      kPack + " --input " + folder.string() + " --output " + (dir / "fout").string() + " --quiet", dir / "fpack");
  ASSERT_EQ(testsupport::wait_exit(q, 60), 0) << testsupport::slurp(q.err_path);
  EXPECT_NE(testsupport::slurp(q.out_path).find("packed 1 images, rejected 1"), std::string::npos)
      << testsupport::slurp(q.out_path);
  EXPECT_NE(packtest::read_file(dir / "fout" / "rejected.txt").find("a/pipe.jpg\tnot a regular file: a FIFO"),
            std::string::npos)
      << packtest::read_file(dir / "fout" / "rejected.txt");
}

// An IDX image file that is a FIFO is the whole input, not one sample: the pack exits 1 naming it, and does not block.
TEST(CelebaPack, IdxFifoIsRefusedWithoutBlocking) {
  const fs::path dir = testsupport::fresh_dir("cli_idx_fifo");
  packtest::write_idx(dir / "in", "train", 5, 28, 28, false);
  fs::remove(dir / "in" / "train-images-idx3-ubyte");
  ASSERT_EQ(::mkfifo((dir / "in" / "train-images-idx3-ubyte").c_str(), 0644), 0);
  const auto p = testsupport::spawn(kPack + " --input " + (dir / "in").string() + " --channels 1 --output " +
                                        (dir / "out").string() + " --quiet",
                                    dir / "pack");
  EXPECT_EQ(testsupport::wait_exit(p, 60), 1);  // a deadline: a pack blocked on the FIFO is killed, and fails
  const std::string err = testsupport::slurp(p.err_path);
  EXPECT_NE(err.find("train-images-idx3-ubyte': not a regular file: a FIFO"), std::string::npos) << err;
}

// torchvision's FashionMNIST/raw holds every set twice, raw and gzipped: each is packed once, from the raw file,
// and a note says which file was read.
TEST(CelebaPack, IdxRawAndGzCopiesArePackedOnce) {
  const fs::path dir = testsupport::fresh_dir("cli_idx_twice");
  for (bool gz : {false, true}) {
    packtest::write_idx(dir / "in", "train", 20, 28, 28, gz);
    packtest::write_idx(dir / "in", "t10k", 5, 28, 28, gz, 3);
  }
  const auto r = run(kPack + " --input " + (dir / "in").string() + " --channels 1 --size 28 --output " +
                     (dir / "out").string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("packed 25 images"), std::string::npos) << r.out;
  for (const char* n : {"train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"})
    EXPECT_NE(r.err.find(n), std::string::npos) << n << "\n" << r.err;
  pipeline::Cache c(dir / "out");
  EXPECT_EQ(c.filenames()[0], "train-images-idx3-ubyte[0]");
  EXPECT_EQ(c.indices(pipeline::Partition::test).size(), 5u);
}

// --output inside a folder-layout --input: said on every run (the scan leaves the output out), and the later --force
// and --resume runs read the same images as the first (they used to fail: "holds no .jpg files").
TEST(CelebaPack, OutputInsideTheInputIsSaidAndLeftOutOfTheScan) {
  const fs::path in = testsupport::fresh_dir("cli_out_inside") / "faces";
  fs::create_directories(in);
  for (int k = 1; k <= 2; ++k) fs::copy_file(packtest::golden_jpeg(k), in / ("f" + std::to_string(k) + ".jpg"));
  const std::string cmd = kPack + " --input " + in.string() + " --output " + (in / "cache").string() + " --size 16 --quiet";
  for (const char* extra : {"", " --force"}) {
    const auto r = run(cmd + extra);
    ASSERT_EQ(r.status, 0) << extra << "\n" << r.err;
    EXPECT_NE(r.out.find("packed 2 images"), std::string::npos) << extra << "\n" << r.out;
    EXPECT_NE(r.err.find("warning: output '" + (in / "cache").string() + "' lies inside the input"), std::string::npos)
        << extra << "\n" << r.err;
    EXPECT_NE(r.err.find("left out of the scan"), std::string::npos) << extra << "\n" << r.err;
  }
  const auto r = run(cmd + " --resume");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("already complete"), std::string::npos) << r.out;
}

// More attribute names than the cache can hold (HDF5 keeps an attribute in 64 KiB): exit 1 before anything is
// packed, naming the list, the count and the limit (it used to fail after the first shard with HDF5's bare
// "creating attribute 'names' failed").
TEST(CelebaPack, AttributeListWiderThanTheCacheExits1NamingTheLimit) {
  const fs::path dir = testsupport::fresh_dir("cli_wide_attrs");
  const fs::path in = dir / "celeba";
  fs::create_directories(in / "img_align_celeba");
  std::string names, rows;
  for (int k = 0; k < 5000; ++k) names += " A" + std::to_string(k);
  for (int i = 1; i <= 2; ++i) {
    char n[16];
    std::snprintf(n, sizeof n, "%06d.jpg", i);
    fs::copy_file(packtest::golden_jpeg(i), in / "img_align_celeba" / n);
    rows += n;
    for (int k = 0; k < 5000; ++k) rows += " -1";
    rows += "\n";
  }
  packtest::write_file(in / "list_attr_celeba.txt", "2\n" + names + "\n" + rows);
  const auto r = run(kPack + " --input " + in.string() + " --output " + (dir / "out").string() + " --size 16 --quiet");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("list_attr_celeba.txt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("5000 attributes"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("64 KiB"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out" / "shard-00000.h5"));
}

// rejected.txt keeps one line and two fields per reject when a file name holds a tab or a newline (escaped as \t, \n;
// a backslash as \\): here two bad files so named beside a good one, in the folder layout.
TEST(CelebaPack, RejectedTxtKeepsOneLinePerRejectForNamesWithTabsAndNewlines) {
  const fs::path dir = testsupport::fresh_dir("cli_reject_names");
  const fs::path in = dir / "in";
  fs::create_directories(in / "a");
  fs::copy_file(packtest::golden_jpeg(1), in / "a" / "good.jpg");
  const std::vector<std::string> bad = {"a/tab\there.jpg", "a/new\nline.jpg", "a/back\\slash.jpg"};
  for (const auto& n : bad) packtest::write_file(in / n, "not an image");
  const auto r = run(kPack + " --input " + in.string() + " --output " + (dir / "out").string() + " --size 16 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("packed 1 images, rejected 3"), std::string::npos) << r.out;
  const std::string txt = packtest::read_file(dir / "out" / "rejected.txt");
  std::vector<std::string> lines;
  std::istringstream s(txt);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << txt;
  std::vector<std::string> names;
  for (size_t i = 1; i < lines.size(); ++i) {
    ASSERT_EQ(std::count(lines[i].begin(), lines[i].end(), '\t'), 1) << lines[i];
    names.push_back(packtest::unescape_rejected_field(lines[i].substr(0, lines[i].find('\t'))));
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> want = bad;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want) << txt;
}
