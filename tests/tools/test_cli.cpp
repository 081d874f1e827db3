// End-to-end tests of the two tools' command lines: help, unknown options, and `info` printing real values.
#include "support/run.hpp"

#include <gtest/gtest.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <hdf5.h>
#include <oneapi/tbb/version.h>

#include <fstream>
#include <regex>
#include <thread>

using testsupport::run;

static const std::string kDcgan = DCGAN_ONEDNN_EXE;
static const std::string kPack = CELEBA_PACK_EXE;

TEST(DcganCli, HelpListsEveryCommand) {
  const auto r = run(kDcgan + " --help");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* cmd : {"info", "train", "sample", "eval", "report", "export"})
    EXPECT_NE(r.out.find(std::string("  ") + cmd), std::string::npos) << "missing command " << cmd << "\n" << r.out;
}

TEST(DcganCli, NoCommandIsUsageError) {
  const auto r = run(kDcgan);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("Usage"), std::string::npos);
}

TEST(DcganCli, UnknownCommandNamed) {
  const auto r = run(kDcgan + " trian");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("'trian'"), std::string::npos) << r.err;
}

TEST(DcganCli, UnknownOptionNamedInEverySubcommand) {
  for (const char* cmd : {"info", "train", "sample", "eval", "report", "export"}) {
    const auto r = run(kDcgan + " " + cmd + " --no-such-option");
    EXPECT_EQ(r.status, 2) << cmd;
    EXPECT_NE(r.err.find("--no-such-option"), std::string::npos) << cmd << ": " << r.err;
  }
}

TEST(DcganCli, TrainHelpListsTutorialDefaults) {
  const auto r = run(kDcgan + " train --help");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* opt : {"--batch arg (=128)", "--lr arg (=0.0002)", "--beta1 arg (=0.5)", "--nz arg (=100)",
                          "--seed arg (=999)", "--resume", "--config", "--precision"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt << "\n" << r.out;
}

TEST(DcganCli, TrainOptionOutOfRangeNamed) {
  const auto r = run(kDcgan + " train --data d --out o --batch 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--batch"), std::string::npos) << r.err;
  const auto r2 = run(kDcgan + " train --data d --out o --lr -1");
  EXPECT_EQ(r2.status, 2);
  EXPECT_NE(r2.err.find("--lr"), std::string::npos) << r2.err;
  const auto r3 = run(kDcgan + " train --data d --out o --nz 0");
  EXPECT_EQ(r3.status, 2);
  EXPECT_NE(r3.err.find("--nz"), std::string::npos) << r3.err;
}

// A --config file is read through the same table: the command line wins, and a bad line is named by file and line.
TEST(DcganCli, ConfigFileErrorsNameFileAndLine) {
  const auto dir = testsupport::fresh_dir("cli_config");
  const auto cfg = (dir / "bad.cfg").string();
  std::ofstream(cfg) << "# options\nbatch = 64\nbogus = 1\n";
  auto r = run(kDcgan + " train --data d --out o --config " + cfg);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("'" + cfg + "' line 3: unknown option 'bogus'"), std::string::npos) << r.err;
  std::ofstream(cfg) << "batch = many\n";
  r = run(kDcgan + " train --data d --out o --config " + cfg);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("line 1: --batch: expected an integer, got 'many'"), std::string::npos) << r.err;
  // The command line wins over the file: --batch 0 is refused although the file says 64.
  std::ofstream(cfg) << "batch = 64\n";
  r = run(kDcgan + " train --data d --out o --batch 0 --config " + cfg);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--batch: must be in [1, 65536], got 0"), std::string::npos) << r.err;
  r = run(kDcgan + " train --config " + (dir / "missing.cfg").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("missing.cfg"), std::string::npos) << r.err;
}

// Values past the stated bounds are refused by name before anything is built (issue 13, findings 8, 10, 11).
TEST(DcganCli, SizesPastTheirBoundsAreRefused) {
  for (const std::string& args : {std::string(" --nz 2147483647"), std::string(" --ngf 300000000"),
                                  std::string(" --iters 1000000000000000000 --batch 16"), std::string(" --threads 10000"),
                                  std::string(" --batch 1000000")}) {
    const auto r = run(kDcgan + " train --data d --out o" + args);
    EXPECT_EQ(r.status, 2) << args << ": " << r.err;
    EXPECT_NE(r.err.find(args.substr(1, args.find(' ', 1) - 1) + ": must be"), std::string::npos) << r.err;
  }
  const auto s = run(kDcgan + " sample --checkpoint c.h5 --out o.png --n 4096 --interpolate 64");
  EXPECT_EQ(s.status, 2) << s.err;
  EXPECT_NE(s.err.find("262144 images; at most 4096"), std::string::npos) << s.err;
  const auto p = run(kPack + " --input i --output o --threads 10000");
  EXPECT_EQ(p.status, 2) << p.err;
  EXPECT_NE(p.err.find("--threads: must be 0 (all cores) up to"), std::string::npos) << p.err;
}

// `info` must print what the linked libraries report, not constants: compare with the same calls made here.
TEST(DcganInfo, PrintsRealValues) {
  const auto r = run(kDcgan + " info");
  ASSERT_EQ(r.status, 0) << r.err;
  const dnnl_version_t* v = dnnl_version();
  const std::string dnnl_ver = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  EXPECT_NE(r.out.find("onednn.version         " + dnnl_ver), std::string::npos) << r.out;
  unsigned maj, min, rel;
  H5get_libversion(&maj, &min, &rel);
  EXPECT_NE(r.out.find(std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel)), std::string::npos);
  EXPECT_NE(r.out.find(TBB_runtime_version()), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(libjpeg_turbo\.version\s+\d+\.\d+\.\d+)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(compiler\s+(g\+\+|clang) \d+)"))) << r.out;
  // The ISA must be one oneDNN names, and the one this process sees too.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(onednn\.cpu_isa\s+(\w+))"))) << r.out;
  EXPECT_NE(m[1].str(), "unknown");
  EXPECT_EQ(static_cast<int>(dnnl::get_effective_cpu_isa()) != 0, true);
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(onednn\.gpu_engines\s+(\d+))"))) << r.out;
  EXPECT_EQ(std::stoul(m[1].str()), dnnl::engine::get_count(dnnl::engine::kind::gpu));
}

// celeba-pack --version: the same pipeline lines as `info` (one definition, pipeline::pipeline_info), and the cap.
TEST(CelebaPackVersion, PrintsTheSimdPathAndLibraries) {
  const auto r = run(kPack + " --version");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto i = run(kDcgan + " info");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(pipeline\.simd\s+([^\n]+)\n)"))) << r.out;
  EXPECT_NE(i.out.find(m[0].str()), std::string::npos) << r.out << "\n---\n" << i.out;
  EXPECT_NE(r.out.find(TBB_runtime_version()), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(libjpeg_turbo\.version\s+\d+\.\d+\.\d+)"))) << r.out;
  const auto capped = run("DCGAN_MAX_CPU_ISA=scalar " + kPack + " --version");
  EXPECT_TRUE(std::regex_search(capped.out, std::regex(R"(pipeline\.simd\s+scalar)"))) << capped.out;
}

TEST(DcganInfo, ThreadsOptionIsApplied) {
  const auto r = run(kDcgan + " info --threads 1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(onednn\.cpu_threads\s+1\n)"))) << r.out;
  const auto r2 = run("OMP_NUM_THREADS=2 " + kDcgan + " info");
  EXPECT_TRUE(std::regex_search(r2.out, std::regex(R"(onednn\.cpu_threads\s+2\n)"))) << r2.out;
}

TEST(DcganInfo, JsonIsOneObject) {
  const auto r = run(kDcgan + " info --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.front(), '{');
  EXPECT_NE(r.out.find("\"onednn.cpu_isa\": \""), std::string::npos) << r.out;
}

TEST(PackCli, HelpListsOptions) {
  const auto r = run(kPack + " --help");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* opt : {"--input", "--output", "--layout", "--size", "--exact", "--store", "--compression",
                          "--shard-size", "--threads", "--on-error", "--max-pixels", "--resume", "--force", "--quiet"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

TEST(PackCli, UnknownOptionNamed) {
  const auto r = run(kPack + " --input a --output b --sizes 3");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--sizes"), std::string::npos) << r.err;
}
