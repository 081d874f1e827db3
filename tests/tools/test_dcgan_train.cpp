// End-to-end tests of `dcgan-onednn train`, `sample` and `eval` on a tiny real cache (Fashion-MNIST, packed
// by celeba-pack): the run directory's files, exact resume after kill -9, option errors, sampling.
#include "pipeline/h5.hpp"
#include "support/fashion_cache.hpp"
#include "support/metrics_csv.hpp"
#include "support/run.hpp"
#include "trainer/checkpoint.hpp"
#include "trainer/csv_log.hpp"
#include "trainer/metrics_row.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <thread>

namespace fs = std::filesystem;
using testsupport::metrics_without_timing;
using testsupport::run;
using testsupport::slurp;

namespace {

const std::string kDcgan = DCGAN_ONEDNN_EXE;
const std::string kPack = CELEBA_PACK_EXE;
const char* kFashion = testsupport::kFashionMnist;

// A small model so that an iteration takes milliseconds; the arithmetic is the full DCGAN's.
const std::string kSmall = " --nz 16 --ngf 8 --ndf 8 --batch 16 --threads 2 --no-progress";

// Packs 320 Fashion-MNIST images once per test binary (shared by the tests below).
const fs::path& cache_dir() {
  static const fs::path dir = testsupport::pack_fashion_mnist("train_cache", 320);
  return dir;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}


}  // namespace

class Train : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kFashion)) GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/install-deps build)";
    cache_dir();
  }
};

TEST_F(Train, ShortRunWritesTheRunDirectory) {
  const fs::path out = testsupport::fresh_dir("train_short") / "run";
  const auto r = run(kDcgan + " train --data " + cache_dir().string() + " --out " + out.string() + kSmall +
                     " --iters 25 --sample-every 10 --checkpoint-every 10 --log-every 5 --eval-every 20");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  // The tutorial's log line.
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\[0/2\]\[5/20\]\tLoss_D: \d+\.\d{4}\tLoss_G: \d+\.\d{4}\tD\(x\): \d\.\d{4}\tD\(G\(z\)\): \d\.\d{4} / \d\.\d{4})")))
      << r.out;
  const auto rows = lines(slurp(out / "metrics.csv"));
  ASSERT_EQ(rows.size(), 26u);  // header + 25 iterations
  EXPECT_EQ(rows[0].rfind("epoch,batch,iter,loss_d,loss_g,d_x,d_g_z1,d_g_z2,", 0), 0u) << rows[0];
  EXPECT_NE(rows[0].find("grad:D:main.11.weight"), std::string::npos);
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].find("nan"), std::string::npos) << rows[i];
    EXPECT_EQ(rows[i].find("inf"), std::string::npos) << rows[i];
  }
  // 320 images / batch 16 = 20 batches per epoch: iteration 20 is batch 0 of epoch 1.
  EXPECT_EQ(rows[21].rfind("1,0,20,", 0), 0u) << rows[21];
  // SWD columns filled at iterations 0, 20 and 24 (last).
  EXPECT_TRUE(std::regex_search(rows[21], std::regex(R"(,\d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?,0\.\d+,0\.\d+,)")))
      << rows[21];
  for (const char* f : {"options.cfg", "info.txt", "warnings.csv", "real_samples.png", "samples/iter_0000000.png",
                        "samples/iter_0000010.png", "samples/iter_0000020.png", "samples/iter_0000024.png",
                        "report.html"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  // Checkpoints at 10, 20 (also the epoch end) and 25 (the end); keep-checkpoints 3 keeps them all.
  for (const char* f : {"checkpoints/ckpt_0000010.h5", "checkpoints/ckpt_0000020.h5", "checkpoints/ckpt_0000025.h5"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_NE(slurp(out / "options.cfg").find("batch = 16\n"), std::string::npos);
  EXPECT_NE(slurp(out / "options.cfg").find("lr = 0.0002\n"), std::string::npos) << slurp(out / "options.cfg");
}

TEST_F(Train, RefusesExistingRunWithoutResume) {
  const fs::path out = testsupport::fresh_dir("train_exists");
  { std::ofstream(out / "metrics.csv") << "x\n"; }
  const auto r = run(kDcgan + " train --data " + cache_dir().string() + " --out " + out.string() + kSmall + " --iters 2");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(out / "metrics.csv"), "x\n") << "an existing run must never be overwritten";
}

TEST_F(Train, OptionErrorsNameTheOptionOrPath) {
  const fs::path base = testsupport::fresh_dir("train_errors");
  const std::string data = " --data " + cache_dir().string();
  struct Case {
    std::string args;
    int status;
    std::string needle;
  } cases[] = {
      {data + " --out " + (base / "a").string() + " --batch 0", 2, "--batch"},
      {data + " --out " + (base / "b").string() + " --batch -3", 2, "--batch"},
      {data + " --out " + (base / "c").string() + " --lr 0", 2, "--lr"},
      {data + " --out " + (base / "d").string() + " --nz 0", 2, "--nz"},
      {data + " --out " + (base / "e").string() + " --batch 100000", 2, "--batch"},
      {data + " --out " + (base / "f").string() + " --engine gpu", 1, "GPU"},
      {data + " --out " + (base / "g").string() + " --precision f16", 2, "--precision"},
      {" --data " + (base / "nope").string() + " --out " + (base / "h").string(), 1, (base / "nope").string()},
      {" --data " + base.string() + " --out " + (base / "i").string(), 1, "dataset.h5"},
  };
  for (const auto& c : cases) {
    const auto r = run(kDcgan + " train" + c.args + " --iters 1 --no-progress");
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
  }
}

// Kill -9 a real run after its third checkpoint, resume it, and compare with a run that was never interrupted.
TEST_F(Train, ResumeAfterKillIsExact) {
  const fs::path base = testsupport::fresh_dir("train_resume");
  const std::string common = " --data " + cache_dir().string() + kSmall +
                             " --iters 60 --checkpoint-every 10 --sample-every 0 --log-every 0 --keep-checkpoints 2";
  const fs::path whole = base / "whole", killed = base / "killed";
  ASSERT_EQ(run(kDcgan + " train --out " + whole.string() + common).status, 0);

  const auto proc = testsupport::spawn(kDcgan + " train --out " + killed.string() + common, base / "killed_log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(killed / "checkpoints/ckpt_0000030.h5") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(proc.pid, SIGKILL);
  EXPECT_EQ(testsupport::wait_exit(proc, 30), 128 + SIGKILL);
  ASSERT_TRUE(fs::exists(killed / "checkpoints/ckpt_0000030.h5")) << slurp(proc.err_path);
  const size_t rows_at_kill = lines(slurp(killed / "metrics.csv")).size();
  EXPECT_LT(rows_at_kill, 61u) << "the run finished before it was killed; the test proves nothing";

  // Damage the newest checkpoint as a crash mid-write without the atomic rename would: resume must skip it.
  const auto ckpts = [&] {
    std::vector<fs::path> v;
    for (const auto& e : fs::directory_iterator(killed / "checkpoints")) v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
  }();
  const std::string newest = slurp(ckpts.back());
  { std::ofstream(ckpts.back(), std::ios::binary | std::ios::trunc) << newest.substr(0, newest.size() / 3); }

  const auto r = run(kDcgan + " train --out " + killed.string() + " --resume --no-progress");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("skipping checkpoint " + ckpts.back().filename().string()), std::string::npos) << r.out;
  EXPECT_EQ(metrics_without_timing(killed), metrics_without_timing(whole));
  EXPECT_EQ(slurp(killed / "warnings.csv"), slurp(whole / "warnings.csv"));
}

// A resume that would change the computation is refused before anything in the run is touched.
TEST_F(Train, ResumeRefusesOtherOptionsAndUnusableCheckpoints) {
  const fs::path run_dir = testsupport::fresh_dir("train_resume_refuse") / "run";
  ASSERT_EQ(run(kDcgan + " train --data " + cache_dir().string() + " --out " + run_dir.string() + kSmall +
                " --iters 12 --checkpoint-every 4 --sample-every 0 --log-every 0").status, 0);
  const std::string metrics = slurp(run_dir / "metrics.csv");
  auto r = run(kDcgan + " train --out " + run_dir.string() + " --resume --nz 32 --iters 20 --no-progress");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--nz: the run"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(run_dir / "metrics.csv"), metrics);
  EXPECT_TRUE(fs::exists(run_dir / "checkpoints/ckpt_0000012.h5"));
  // Every checkpoint damaged: refuse to start over (it would truncate the run's metrics).
  for (const auto& e : fs::directory_iterator(run_dir / "checkpoints"))
    std::ofstream(e.path(), std::ios::binary | std::ios::trunc) << "not hdf5";
  r = run(kDcgan + " train --out " + run_dir.string() + " --resume --iters 20 --no-progress");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("refusing to start the run over"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(run_dir / "metrics.csv"), metrics);
  // Asked again, with every checkpoint now set aside as *.damaged: still refused, never restarted from 0.
  r = run(kDcgan + " train --out " + run_dir.string() + " --resume --iters 20 --no-progress");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("ckpt_0000012.h5.damaged"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(run_dir / "metrics.csv"), metrics);
}

// A cache repacked with fewer images: its checkpoints are sound but do not fit. The resume is refused with nothing
// renamed, and refused again when asked again (issue 13, finding 1).
TEST_F(Train, ResumeOnRepackedCacheRefusesAndKeepsCheckpoints) {
  const fs::path base = testsupport::fresh_dir("train_repacked");
  const fs::path cache = base / "cache", run_dir = base / "run";
  const std::string pack = kPack + " --input " + kFashion + " --layout idx --channels 1 --quiet --output " + cache.string();
  ASSERT_EQ(run(pack + " --limit 320").status, 0);
  ASSERT_EQ(run(kDcgan + " train --data " + cache.string() + " --out " + run_dir.string() + kSmall +
                " --iters 6 --checkpoint-every 3 --sample-every 0 --log-every 0").status, 0);
  ASSERT_EQ(run(pack + " --limit 40 --force").status, 0);
  const std::string metrics = slurp(run_dir / "metrics.csv");
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto r = run(kDcgan + " train --out " + run_dir.string() + " --resume --iters 12 --no-progress");
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("does not fit an epoch of 2 batches"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(run_dir / "checkpoints/ckpt_0000006.h5"));
    EXPECT_TRUE(fs::exists(run_dir / "checkpoints/ckpt_0000003.h5"));
    EXPECT_EQ(slurp(run_dir / "metrics.csv"), metrics);
  }
}

// One writer per run directory: a second train on it refuses at once, naming the process that holds it.
TEST_F(Train, SecondWriterOnARunDirectoryIsRefused) {
  const fs::path base = testsupport::fresh_dir("train_lock");
  const fs::path out = base / "run";
  const auto proc = testsupport::spawn(kDcgan + " train --out " + out.string() + " --data " + cache_dir().string() +
                                           kSmall + " --iters 100000 --sample-every 0 --log-every 0",
                                       base / "log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(out / "metrics.csv") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto t0 = std::chrono::steady_clock::now();
  const auto second = run(kDcgan + " train --out " + out.string() + " --resume --no-progress");
  const auto fresh = run(kDcgan + " train --out " + out.string() + " --data " + cache_dir().string() + kSmall);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::kill(proc.pid, SIGINT);
  EXPECT_EQ(testsupport::wait_exit(proc, 60), 130) << slurp(proc.err_path);
  for (const auto* r : {&second, &fresh}) {
    EXPECT_EQ(r->status, 1) << r->err;
    EXPECT_NE(r->err.find("run directory '" + out.string() + "' is in use by process " + std::to_string(proc.pid)),
              std::string::npos)
        << r->err;
  }
  EXPECT_LT(waited, 30.0) << "the second writer must refuse at once, not wait for the lock";
  // The lock goes with its holder: the run resumes now.
  EXPECT_EQ(run(kDcgan + " train --out " + out.string() + " --resume --iters 1 --no-progress").status, 0);
}

// SIGINT writes a checkpoint at the iteration reached and exits 130; --resume then continues from there.
TEST_F(Train, SigintCheckpointsAndResumes) {
  const fs::path base = testsupport::fresh_dir("train_sigint");
  const fs::path out = base / "run";
  const std::string args = " --data " + cache_dir().string() + kSmall + " --iters 100000 --sample-every 0 --log-every 0";
  const auto proc = testsupport::spawn(kDcgan + " train --out " + out.string() + args, base / "log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((!fs::exists(out / "metrics.csv") || lines(slurp(out / "metrics.csv")).size() < 5) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(proc.pid, SIGINT);
  ASSERT_EQ(testsupport::wait_exit(proc, 60), 130) << slurp(proc.err_path);
  const size_t rows = lines(slurp(out / "metrics.csv")).size() - 1;
  const std::string name = "ckpt_" + std::string(7 - std::to_string(rows).size(), '0') + std::to_string(rows) + ".h5";
  EXPECT_TRUE(fs::exists(out / "checkpoints" / name)) << "SIGINT must checkpoint the last completed iteration";
  EXPECT_NE(slurp(proc.out_path).find("--resume"), std::string::npos) << slurp(proc.out_path);
  const auto r = run(kDcgan + " train --out " + out.string() + " --resume --iters " + std::to_string(rows + 3));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(slurp(out / "metrics.csv")).size(), rows + 4);
}

TEST_F(Train, SampleAndEvalFromCheckpoint) {
  const fs::path base = testsupport::fresh_dir("train_sample");
  const fs::path out = base / "run";
  ASSERT_EQ(run(kDcgan + " train --data " + cache_dir().string() + " --out " + out.string() + kSmall +
                " --iters 4 --sample-every 0 --log-every 0")
                .status,
            0);
  const std::string ckpt = (out / "checkpoints/ckpt_0000004.h5").string();
  auto r = run(kDcgan + " sample --checkpoint " + ckpt + " --n 10 --grid --out " + (base / "grid.png").string());
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string png = slurp(base / "grid.png");
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  // 10 images in a 4-column grid of 64x64 tiles with padding 2: 4*66+2 wide, 3*66+2 high (make_grid layout).
  auto be32 = [&](size_t o) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(png[o])) << 24) | (static_cast<uint8_t>(png[o + 1]) << 16) |
           (static_cast<uint8_t>(png[o + 2]) << 8) | static_cast<uint8_t>(png[o + 3]);
  };
  EXPECT_EQ(be32(16), 4u * 66 + 2);
  EXPECT_EQ(be32(20), 3u * 66 + 2);
  r = run(kDcgan + " sample --checkpoint " + ckpt + " --n 3 --out " + (base / "one.png").string());
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f : {"one_0000.png", "one_0001.png", "one_0002.png"}) EXPECT_TRUE(fs::exists(base / f)) << f;
  r = run(kDcgan + " sample --checkpoint " + ckpt + " --n 2 --interpolate 5 --out " + (base / "walk.png").string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(base / "walk.png"));
  r = run(kDcgan + " sample --checkpoint " + (base / "missing.h5").string() + " --out x.png");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing.h5"), std::string::npos) << r.err;

  r = run(kDcgan + " eval --checkpoint " + ckpt + " --data " + cache_dir().string() + " --n 64 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\{"n": 64, "swd_x1e3": \{"64": [0-9.e+-]+, "32": [0-9.e+-]+, "16": [0-9.e+-]+\}, "swd_avg_x1e3": )")))
      << r.out;
  r = run(kDcgan + " eval --checkpoint " + ckpt + " --data " + cache_dir().string() + " --n 64");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(images per set  64\nSWD x1e3 @64    [0-9.]+\nSWD x1e3 @32 )")))
      << r.out;
}

// options.cfg keeps values exactly: a data path with '#' (a comment in a bare value) and spaces resumes on the same
// data, not on the directory its text before '#' names.
TEST_F(Train, ResumeKeepsAPathWithHashAndSpaces) {
  const fs::path base = testsupport::fresh_dir("train_hash");
  const fs::path data = base / "cache #1 ";
  fs::create_directory_symlink(cache_dir(), data);
  const fs::path run_dir = base / "run";
  const std::string args = kSmall + " --sample-every 0 --log-every 0 --checkpoint-every 2";
  ASSERT_EQ(run(kDcgan + " train --out " + run_dir.string() + " --data '" + data.string() + "' --iters 2" + args).status,
            0);
  const auto r = run(kDcgan + " train --out " + run_dir.string() + " --resume --iters 4 --no-progress");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(slurp(run_dir / "metrics.csv")).size(), 5u);
}

// options.cfg deleted: the checkpoints hold the options, and the run resumes from them (issue 13, finding 13).
TEST_F(Train, ResumeWithoutOptionsCfgReadsTheCheckpointsOptions) {
  const fs::path run_dir = testsupport::fresh_dir("train_no_cfg") / "run";
  ASSERT_EQ(run(kDcgan + " train --data " + cache_dir().string() + " --out " + run_dir.string() + kSmall +
                " --iters 4 --sample-every 0 --log-every 0").status, 0);
  fs::remove(run_dir / "options.cfg");
  const auto r = run(kDcgan + " train --out " + run_dir.string() + " --resume --iters 6 --no-progress");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(slurp(run_dir / "metrics.csv")).size(), 7u);
  EXPECT_NE(slurp(run_dir / "options.cfg").find("nz = 16"), std::string::npos) << "rewritten from the checkpoint";
  const auto empty = testsupport::fresh_dir("train_no_cfg_empty");
  const auto e = run(kDcgan + " train --out " + empty.string() + " --resume");
  EXPECT_EQ(e.status, 2) << e.err;
  EXPECT_NE(e.err.find("is not a run directory"), std::string::npos) << e.err;
}

// A version 1 checkpoint continued another noise stream: --resume refuses it, names the way out (--init-from) and
// leaves the run as it was; the weights still start a new run.
TEST_F(Train, ResumeRefusesVersion1CheckpointAndKeepsIt) {
  const fs::path base = testsupport::fresh_dir("train_resume_v1");
  const fs::path run_dir = base / "run";
  const std::string common = " --data " + cache_dir().string() + kSmall + " --sample-every 0 --log-every 0";
  ASSERT_EQ(run(kDcgan + " train --out " + run_dir.string() + common + " --iters 4").status, 0);
  const fs::path ckpt = run_dir / "checkpoints/ckpt_0000004.h5";
  {
    h5::File f = h5::File::open(ckpt, true);
    h5::set_attr(f.id(), "version", int64_t{1}, f.file());
  }
  const std::string metrics = slurp(run_dir / "metrics.csv");
  const auto r = run(kDcgan + " train --out " + run_dir.string() + " --resume --iters 8 --no-progress");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("version 1 checkpoint"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--init-from " + ckpt.string()), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(ckpt)) << "a sound file of another version is not set aside as damaged";
  EXPECT_EQ(slurp(run_dir / "metrics.csv"), metrics);
  EXPECT_EQ(run(kDcgan + " train --out " + (base / "new").string() + common + " --iters 1 --init-from " +
                ckpt.string()).status,
            0);
}

// The model follows the data: a 32-px cache trains, samples and evaluates at 32 px (SWD levels 32 and 16), and
// its weights are refused, by size, for a 64-px run.
TEST_F(Train, OtherImageSizeTrainsSamplesEvaluatesAndIsRefusedForAnotherSize) {
  const fs::path base = testsupport::fresh_dir("train_size32");
  const fs::path cache32 = base / "cache32", run32 = base / "run32";
  ASSERT_EQ(run(kPack + " --input " + kFashion + " --layout idx --channels 1 --size 32 --limit 320 --quiet --output " +
                cache32.string()).status, 0);
  auto r = run(kDcgan + " train --data " + cache32.string() + " --out " + run32.string() + kSmall +
               " --iters 4 --sample-every 2 --eval-every 4 --log-every 0");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto header = lines(slurp(run32 / "metrics.csv")).at(0);
  EXPECT_NE(header.find(",swd_32,swd_16,swd_avg,msssim_fake,msssim_real,"), std::string::npos) << header;
  const std::string ckpt = (run32 / "checkpoints/ckpt_0000004.h5").string();
  r = run(kDcgan + " sample --checkpoint " + ckpt + " --n 4 --grid --out " + (base / "g.png").string());
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string png = slurp(base / "g.png");
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(static_cast<uint8_t>(png[19]), 2 * 34 + 2) << "2 columns of 32-px tiles with padding 2";
  r = run(kDcgan + " eval --checkpoint " + ckpt + " --data " + cache32.string() + " --n 64");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("SWD x1e3 @32"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("SWD x1e3 @64"), std::string::npos) << r.out;
  r = run(kDcgan + " eval --checkpoint " + ckpt + " --data " + cache_dir().string() + " --n 64");
  EXPECT_EQ(r.status, 2) << r.err;
  r = run(kDcgan + " train --data " + cache_dir().string() + " --out " + (base / "run64").string() + kSmall +
          " --iters 1 --init-from " + ckpt);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("holds a DCGAN for 32x32 images; this model is for 64x64"), std::string::npos) << r.err;
}

// A NaN in the data must stop training at that iteration, naming the tensor, and leave earlier checkpoints valid.
TEST_F(Train, NonFiniteStopsAndKeepsLastGoodCheckpoint) {
  if (run("/usr/bin/python3 -c 'import h5py, numpy'").status != 0) GTEST_SKIP() << "python3-h5py is needed";
  const fs::path base = testsupport::fresh_dir("train_nan");
  const fs::path cache = base / "cache";
  ASSERT_EQ(run(kPack + " --input " + kFashion + " --layout idx --channels 1 --limit 320 --store float32 --quiet" +
                " --output " + cache.string()).status, 0);
  // Poison every image of the second half of the shard (an epoch's batches meet one within a few iterations), and
  // record the poisoned pixels' CRC-32 as the pack would, so that the cache opens: this is bad data, not damage.
  const fs::path script = base / "poison.py";
  std::ofstream(script) << "import h5py, numpy, os, sys, zlib\n"
                           "shard, manifest = sys.argv[1], sys.argv[2]\n"
                           "with h5py.File(shard, 'r+') as f:\n"
                           "    f['images'][160:] = numpy.nan\n"
                           "    crc = zlib.crc32(f['images'][:].tobytes())\n"
                           "    f.attrs.modify('checksum', crc)\n"
                           "with h5py.File(manifest, 'r+') as m:\n"
                           "    m['shards/checksum'][0] = crc\n"
                           "    m['shards/bytes'][0] = os.path.getsize(shard)\n";
  const auto poison = run("/usr/bin/python3 " + script.string() + " " + (cache / "shard-00000.h5").string() + " " +
                          (cache / "dataset.h5").string());
  ASSERT_EQ(poison.status, 0) << poison.err;
  const fs::path out = base / "run";
  const auto r = run(kDcgan + " train --data " + cache.string() + " --out " + out.string() + kSmall +
                     " --iters 40 --checkpoint-every 1 --sample-every 0 --log-every 0");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(iteration (\d+): (loss_d|grad:D:main\.\d+\.weight) is not finite)")))
      << r.err;
  const int bad = std::stoi(m[1].str());
  // Checkpoints exist for every completed iteration before it, none after; the newest loads for sampling.
  EXPECT_FALSE(fs::exists(out / ("checkpoints/ckpt_" + std::string(7 - std::to_string(bad + 1).size(), '0') +
                                 std::to_string(bad + 1) + ".h5")));
  if (bad > 0) {
    const std::string last = (out / ("checkpoints/ckpt_" + std::string(7 - std::to_string(bad).size(), '0') +
                                     std::to_string(bad) + ".h5")).string();
    ASSERT_TRUE(fs::exists(last)) << r.err;
    EXPECT_NE(r.err.find(last), std::string::npos) << "the message names the last good checkpoint\n" << r.err;
    EXPECT_EQ(run(kDcgan + " sample --checkpoint " + last + " --n 4 --grid --out " + (base / "s.png").string()).status, 0);
  }
  EXPECT_NE(slurp(out / "warnings.csv").find(",non_finite,"), std::string::npos);
}

// --init-from starts from a weights file (here another run's checkpoint) instead of weights_init.
TEST_F(Train, InitFromStartsFromGivenWeights) {
  const fs::path base = testsupport::fresh_dir("train_init");
  const std::string common = " --data " + cache_dir().string() + kSmall + " --sample-every 0 --log-every 0";
  const std::string a_ckpt = (base / "a/checkpoints/ckpt_0000006.h5").string();
  ASSERT_EQ(run(kDcgan + " train --out " + (base / "a").string() + common + " --iters 6 --seed 5").status, 0);
  ASSERT_EQ(run(kDcgan + " train --out " + (base / "b").string() + common + " --iters 1 --init-from " + a_ckpt).status, 0);
  ASSERT_EQ(run(kDcgan + " train --out " + (base / "c").string() + common + " --iters 1").status, 0);
  auto tensor = [](const fs::path& ckpt, const std::string& name) {
    const auto c = trainer::load_checkpoint(ckpt);
    for (const auto& t : c.generator.tensors)
      if (t.name == name) return t.data;
    throw std::runtime_error("no " + name);
  };
  auto max_diff = [](const std::vector<float>& x, const std::vector<float>& y) {
    float m = 0;
    for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
    return m;
  };
  const auto a = tensor(a_ckpt, "main.3.weight");
  const auto b = tensor(base / "b/checkpoints/ckpt_0000001.h5", "main.3.weight");
  const auto c = tensor(base / "c/checkpoints/ckpt_0000001.h5", "main.3.weight");
  // One Adam step moves a weight by at most about lr (2e-4): b is a's weights one step on; c (another seed) is not.
  EXPECT_LT(max_diff(a, b), 2.5e-4f);
  EXPECT_GT(max_diff(a, c), 1e-2f);
  // A weights file of another architecture is refused, naming the tensor.
  const auto bad = run(kDcgan + " train --out " + (base / "d").string() + " --data " + cache_dir().string() +
                       " --nz 17 --ngf 8 --ndf 8 --batch 16 --iters 1 --no-progress --init-from " + a_ckpt);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("'main.0.weight' has shape [16,64,4,4], the model needs [17,64,4,4]"), std::string::npos)
      << bad.err;
}
