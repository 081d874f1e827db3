// The run-time choice of the pipeline's SIMD kernels (pipeline/cpu_dispatch.hpp): the DCGAN_MAX_CPU_ISA cap, its
// errors, what `dcgan-onednn info` prints, and every level this CPU has giving the same bytes as the portable
// code and the plain references: Resampler against resample_reference, the CHW / normalise pass against plain
// loops, and the whole Transform (exact and fast mode, uint8 and float) on the golden inputs; and, where qemu-user
// is installed, the same tests on emulated CPUs without AVX-512 and without AVX (no stray instruction, the right level).
//
// tests/pipeline/CMakeLists.txt also runs this executable and test_pipeline_transform_golden whole under
// DCGAN_MAX_CPU_ISA=avx512, avx2 and scalar (tests pipeline_simd_cap_*): SimdDispatch.EnvironmentCapIsApplied
// checks there that the cap took effect.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iterator>
#include <cstring>
#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "pipeline/chw.hpp"
#include "pipeline/cpu_dispatch.hpp"
#include "pipeline/resample.hpp"
#include "pipeline/transform.hpp"
#include "support/run.hpp"
#include "test_transform_fixture.hpp"

using pipeline::SimdLevel;
namespace fx = transform_fixture;

namespace {

const SimdLevel kAll[] = {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512};

// The levels this CPU can run, lowest first.
std::vector<SimdLevel> levels_here() {
  std::vector<SimdLevel> v;
  for (SimdLevel l : kAll)
    if (l <= pipeline::cpu_simd_level()) v.push_back(l);
  return v;
}

// Restores the level the process started with (the environment's choice) when a test is done.
class SimdDispatch : public ::testing::Test {
 protected:
  void TearDown() override { pipeline::set_simd_level_cap(start_); }
  const SimdLevel start_ = pipeline::simd_level();
};

// First in the file: the executable also runs whole under each cap, and later tests change the level.
TEST_F(SimdDispatch, EnvironmentCapIsApplied) {
  const char* env = std::getenv(pipeline::kSimdCapVariable);
  const auto want = pipeline::choose_simd_level(pipeline::cpu_simd_level(), env);
  EXPECT_EQ(pipeline::simd_level(), want.level) << "cap " << (env ? env : "(unset)");
  RecordProperty("simd", pipeline::simd_description());
  std::printf("pipeline SIMD level: %s\n", pipeline::simd_description().c_str());
}

TEST_F(SimdDispatch, CapNamesParseCaseInsensitively) {
  for (SimdLevel l : kAll) {
    EXPECT_EQ(pipeline::parse_simd_level(pipeline::simd_level_name(l)), l);
  }
  EXPECT_EQ(pipeline::parse_simd_level("AVX2"), SimdLevel::avx2);
  EXPECT_EQ(pipeline::parse_simd_level("Avx512"), SimdLevel::avx512);
  for (const char* bad : {"", "avx", "sse41", "avx512_core", "avx2 ", "none"})
    EXPECT_FALSE(pipeline::parse_simd_level(bad).has_value()) << bad;
}

TEST_F(SimdDispatch, CapLowersTheCpuLevelAndNeverRaisesIt) {
  for (SimdLevel cpu : kAll)
    for (SimdLevel cap : kAll) {
      const auto c = pipeline::choose_simd_level(cpu, pipeline::simd_level_name(cap));
      EXPECT_EQ(c.level, std::min(cpu, cap)) << "cpu " << pipeline::simd_level_name(cpu) << " cap "
                                             << pipeline::simd_level_name(cap);
      EXPECT_EQ(c.cpu, cpu);
      EXPECT_TRUE(c.warning.empty());
    }
  for (const char* unset : {static_cast<const char*>(nullptr), ""}) {
    const auto c = pipeline::choose_simd_level(SimdLevel::avx2, unset);
    EXPECT_EQ(c.level, SimdLevel::avx2);
    EXPECT_TRUE(c.warning.empty());
  }
  // The process-wide setter clamps to this CPU too.
  for (SimdLevel cap : kAll) {
    EXPECT_EQ(pipeline::set_simd_level_cap(cap), std::min(cap, pipeline::cpu_simd_level()));
    EXPECT_EQ(pipeline::simd_level(), std::min(cap, pipeline::cpu_simd_level()));
  }
}

TEST_F(SimdDispatch, UnknownCapIsIgnoredWithAWarningNamingTheChoices) {
  const auto c = pipeline::choose_simd_level(SimdLevel::avx2, "avx3");
  EXPECT_EQ(c.level, SimdLevel::avx2);
  EXPECT_EQ(c.warning,
            "DCGAN_MAX_CPU_ISA='avx3' is not one of avx512, avx2, scalar: ignored, the pipeline uses avx2 (what this "
            "CPU supports)");
}

// The tools read the variable: info names the level (and why, when capped), an unknown value is warned about on
// stderr and the run goes on.
TEST_F(SimdDispatch, InfoPrintsThePathAndTheCap) {
  const std::string exe = DCGAN_ONEDNN_EXE;
  const std::string cpu = pipeline::simd_level_name(pipeline::cpu_simd_level());
  auto simd_line = [](const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex(R"(\npipeline\.simd +([^\n]*)\n)")) ? m[1].str() : "(missing)";
  };
  auto r = testsupport::run("env -u DCGAN_MAX_CPU_ISA " + exe + " info");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(simd_line(r.out), cpu) << r.out;
  EXPECT_EQ(r.err, "");

  r = testsupport::run("DCGAN_MAX_CPU_ISA=scalar " + exe + " info");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(simd_line(r.out), "scalar (cpu " + cpu + ", DCGAN_MAX_CPU_ISA=scalar)") << r.out;

  r = testsupport::run("DCGAN_MAX_CPU_ISA=avx3 " + exe + " info --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"pipeline.simd\": \"" + cpu + " (cpu " + cpu + ", DCGAN_MAX_CPU_ISA=avx3: ignored)\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("warning: DCGAN_MAX_CPU_ISA='avx3' is not one of avx512, avx2, scalar: ignored"),
            std::string::npos)
      << r.err;
}

// The real test of a portable binary: this executable on emulated CPUs without AVX-512 (Haswell: the AVX2 level)
// and without AVX at all (qemu64: baseline x86-64), where an AVX instruction outside the dispatched kernels would
// stop it with SIGILL. Needs qemu-user (qemu-x86_64); meaningless for a -march=native build.
TEST_F(SimdDispatch, RunsOnEmulatedCpusWithoutAvx512OrAvx) {
#if defined(__AVX__)
  GTEST_SKIP() << "built for a CPU with AVX (-march=native?): not a portable binary";
#elif defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory under qemu-user takes gigabytes and minutes";
#endif
  if (std::getenv(pipeline::kSimdCapVariable)) GTEST_SKIP() << "runs once, in the run without a cap";
  if (testsupport::run("command -v qemu-x86_64").status != 0) GTEST_SKIP() << "qemu-x86_64 (qemu-user) is not installed";
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  for (const auto& [cpu, level] : {std::pair{"Haswell-v4", "avx2"}, std::pair{"qemu64", "scalar"}}) {
    const auto r = testsupport::run(std::string("env -u DCGAN_MAX_CPU_ISA qemu-x86_64 -cpu ") + cpu + " " + self +
                                    " --gtest_filter=SimdDispatch.EnvironmentCapIsApplied:SimdDispatch.*AtEveryLevel");
    EXPECT_EQ(r.status, 0) << cpu << ":\n" << r.out << r.err;
    EXPECT_NE(r.out.find(std::string("pipeline SIMD level: ") + level + "\n"), std::string::npos) << cpu << ":\n" << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\[  PASSED  \] [45] tests\.)"))) << cpu << ":\n" << r.out;
  }
}

// ---- every level, the same bytes -------------------------------------------------------------------------------

std::vector<uint8_t> resample_at(SimdLevel level, const pipeline::ResampleSpec& s, const std::vector<uint8_t>& src,
                                 size_t stride, double* simd_fraction) {
  pipeline::set_simd_level_cap(level);
  const pipeline::Resampler r(s);
  *simd_fraction = r.simd_fraction();
  const size_t row = static_cast<size_t>(s.out_w) * s.channels;
  std::vector<uint8_t> dst(row * s.out_h + 1, 0xEE), scratch;
  r.run(src.data(), stride, dst.data(), row, scratch);
  EXPECT_EQ(dst.back(), 0xEE) << "wrote past the output";
  dst.pop_back();
  return dst;
}

// A spec for one layout and per-axis downscale factors (below 1: an upscale; 1: the same size), with random
// sizes (tiny ones when `tiny`), crop and, when `fractional`, a box that is not the whole image.
pipeline::ResampleSpec scaled_spec(std::mt19937& rng, const int (&layout)[2], double down_x, double down_y, bool tiny,
                                   bool fractional) {
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  pipeline::ResampleSpec s;
  s.bpp = layout[0];
  s.channels = layout[1];
  s.in_w = tiny ? uni(1, 12) : uni(16, 280);
  s.in_h = tiny ? uni(1, 12) : uni(16, 280);
  s.box_w = fractional ? std::max(0.5f, s.in_w - 0.5f) : static_cast<float>(s.in_w);
  s.box_h = fractional ? std::max(0.5f, s.in_h - 0.375f) : static_cast<float>(s.in_h);
  s.resized_w = std::max(1, static_cast<int>(std::lround(s.in_w / down_x)));
  s.resized_h = std::max(1, static_cast<int>(std::lround(s.in_h / down_y)));
  s.out_w = uni(1, s.resized_w);
  s.out_h = uni(1, s.resized_h);
  s.left = uni(0, s.resized_w - s.out_w);
  s.top = uni(0, s.resized_h - s.out_h);
  return s;
}

// Every layout at downscales around the kernels' window limits (AVX2 ~3x, AVX-512 ~6x), upscales and same-size
// axes; padded rows, noise and smooth content, and images whose last row ends the buffer (a window load past it
// would be caught by ASan in the debug preset).
TEST_F(SimdDispatch, ResamplerEqualsReferenceAtEveryLevel) {
  std::mt19937 rng(77);
  const int layouts[][2] = {{1, 1}, {2, 1}, {2, 2}, {3, 1}, {3, 3}, {4, 1}, {4, 3}, {4, 4}};
  const double factors[] = {0.6, 1.0, 1.39, 2.0, 2.78, 3.2, 3.7, 4.5, 6.5};
  const int nf = static_cast<int>(std::size(factors));
  std::vector<int> vector_specs(3, 0);
  int specs = 0;
  for (const auto& layout : layouts)
    for (int fi = 0; fi < nf; ++fi)
      for (int variant = 0; variant < 4; ++variant, ++specs) {
        const pipeline::ResampleSpec s =
            scaled_spec(rng, layout, factors[fi], factors[(fi + variant) % nf], variant == 3 && fi % 3 == 0, variant == 1);
        const size_t row = static_cast<size_t>(s.in_w) * s.bpp, stride = row + static_cast<size_t>(variant) * 5;
        std::vector<uint8_t> src(stride * (s.in_h - 1) + row);
        for (size_t i = 0; i < src.size(); ++i)
          src[i] = variant % 2 ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(i % stride * 7 + i / stride * 3);
        std::vector<uint8_t> want(static_cast<size_t>(s.out_w) * s.channels * s.out_h);
        pipeline::resample_reference(s, src.data(), stride, want.data(), static_cast<size_t>(s.out_w) * s.channels);
        for (SimdLevel l : levels_here()) {
          double frac = 0;
          ASSERT_EQ(resample_at(l, s, src, stride, &frac), want)
              << pipeline::simd_level_name(l) << ": " << s.in_w << "x" << s.in_h << " box " << s.box_w << "x"
              << s.box_h << " -> " << s.resized_w << "x" << s.resized_h << " crop " << s.out_w << "x" << s.out_h
              << "+" << s.left << "+" << s.top << " bpp " << s.bpp << " ch " << s.channels;
          vector_specs[static_cast<int>(l)] += frac > 0;
        }
      }
  // The vector kernels, not only their portable fallback, were compared.
  std::printf("specs with vector blocks of %d: avx2 %d, avx512 %d\n", specs, vector_specs[1], vector_specs[2]);
  EXPECT_EQ(vector_specs[0], 0);
  for (SimdLevel l : levels_here())
    if (l != SimdLevel::scalar) {
      EXPECT_GT(vector_specs[static_cast<int>(l)], specs / 2) << pipeline::simd_level_name(l);
    }
}

// The CelebA plans (178x218 at full size and at DCT scale 1/2, to 64x78, crop 64x64) run entirely in the
// vector kernels of every level above scalar.
TEST_F(SimdDispatch, CelebaPlansAreVectorisedAtEveryLevel) {
  for (SimdLevel l : levels_here()) {
    pipeline::set_simd_level_cap(l);
    for (int scale : {1, 2}) {
      const int w = 178 / scale, h = 218 / scale;
      // {in, box, resized, crop offset, crop, bpp, channels}
      const pipeline::Resampler r({w, h, float(w), float(h), 64, 78, 0, 7, 64, 64, 3, 3});
      EXPECT_EQ(r.simd_fraction(), l == SimdLevel::scalar ? 0.0 : 1.0)
          << pipeline::simd_level_name(l) << " scale 1/" << scale;
    }
  }
}

// to_chw / to_chw_normalized at pixel counts around the vector widths (32, 64), every source layout, against
// plain loops and the float32 formula, without writing past the planes.
TEST_F(SimdDispatch, ChwPassEqualsPlainLoopsAtEveryLevel) {
  std::mt19937 rng(3);
  for (size_t npx : {1, 7, 31, 32, 33, 63, 64, 65, 95, 96, 100, 1369, 4096, 4103}) {
    for (int k : {1, 3}) {
      for (int C : {1, 3}) {
        std::vector<uint8_t> in(npx * k);
        for (auto& b : in) b = static_cast<uint8_t>(rng());
        std::vector<uint8_t> want(C * npx);
        for (int c = 0; c < C; ++c)
          for (size_t i = 0; i < npx; ++i) want[c * npx + i] = in[i * k + (k == 1 ? 0 : c)];
        for (SimdLevel l : levels_here()) {
          pipeline::set_simd_level_cap(l);
          const std::string where = std::string(pipeline::simd_level_name(l)) + " npx " + std::to_string(npx) +
                                    " k " + std::to_string(k) + " C " + std::to_string(C);
          std::vector<uint8_t> got(C * npx + 64, 0xAB);
          pipeline::to_chw(in.data(), k, C, npx, got.data());
          EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin())) << where;
          EXPECT_EQ(got[C * npx], 0xAB) << where << ": wrote past the output";
          std::vector<float> f(C * npx + 16, 99.f);
          pipeline::to_chw_normalized(in.data(), k, C, npx, f.data(), 0.485f, 0.229f);
          for (size_t i = 0; i < want.size(); ++i) {
            const float x = (static_cast<float>(want[i]) / 255.0f - 0.485f) / 0.229f;
            ASSERT_EQ(std::memcmp(&x, &f[i], 4), 0) << where << " at " << i;
          }
          EXPECT_EQ(f[C * npx], 99.f) << where << ": wrote past the output";
        }
      }
    }
  }
}

// The whole Transform on every golden input, in both modes and both output types, at every level: the same bytes
// as the portable level (fast mode has no torchvision golden to pin it, so this is what pins its paths).
TEST_F(SimdDispatch, TransformIsBitIdenticalAtEveryLevel) {
  const auto inputs = fx::inputs();
  struct Run {
    std::vector<uint8_t> u8;
    std::vector<float> f32;
  };
  auto run_all = [&](const pipeline::TransformOptions& o) {
    pipeline::Transform t(o);
    std::vector<Run> out;
    for (const auto& in : inputs) {
      Run r{std::vector<uint8_t>(t.output_elems()), std::vector<float>(t.output_elems())};
      try {
        if (in.raw) {
          t.pixels(in.bytes.data(), in.w, in.h, in.c, r.u8.data());
          t.pixels(in.bytes.data(), in.w, in.h, in.c, r.f32.data(), 0.5f, 0.5f);
        } else {
          t.encoded(in.bytes, r.u8.data());
          t.encoded(in.bytes, r.f32.data(), 0.5f, 0.5f);
        }
      } catch (const std::exception&) {
        r = Run{};  // a rejected input must be rejected at every level
      }
      out.push_back(std::move(r));
    }
    return out;
  };
  int compared = 0;
  for (const auto mode : {pipeline::ResizeMode::exact, pipeline::ResizeMode::fast})
    for (const auto& [S, C] : {std::pair{64, 3}, std::pair{64, 1}, std::pair{32, 3}, std::pair{37, 3}}) {
      const pipeline::TransformOptions o{S, C, mode};
      pipeline::set_simd_level_cap(SimdLevel::scalar);
      const auto want = run_all(o);
      for (SimdLevel l : levels_here()) {
        if (l == SimdLevel::scalar) continue;
        pipeline::set_simd_level_cap(l);
        const auto got = run_all(o);
        for (size_t i = 0; i < inputs.size(); ++i) {
          const std::string where = std::string(pipeline::simd_level_name(l)) + " " + inputs[i].name + " S " +
                                    std::to_string(S) + " C " + std::to_string(C) +
                                    (mode == pipeline::ResizeMode::fast ? " fast" : " exact");
          EXPECT_EQ(got[i].u8, want[i].u8) << where;
          ASSERT_EQ(got[i].f32.size(), want[i].f32.size()) << where;
          if (!want[i].f32.empty()) {
            EXPECT_EQ(std::memcmp(got[i].f32.data(), want[i].f32.data(), want[i].f32.size() * sizeof(float)), 0)
                << where;
          }
          compared += !want[i].u8.empty();
        }
      }
    }
  if (pipeline::cpu_simd_level() == SimdLevel::scalar) GTEST_SKIP() << "this CPU has only the portable level";
  EXPECT_GT(compared, 100);
}

}  // namespace
