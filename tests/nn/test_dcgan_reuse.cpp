// Primitive reuse: after the first training step, nn::Dcgan creates no oneDNN primitive or memory (counted at the
// one place nn creates them, and independently in oneDNN's own verbose log), and the generator step computes no
// weight gradient for D.
#include "nn/dcgan.hpp"
#include "nn/primitive.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

struct Small {
  nn::Context ctx;
  nn::DcganConfig cfg;
  std::vector<float> real, noise;
  explicit Small(nn::Precision p, int image_size = 64) : ctx(nn::make_context(nn::EngineKind::cpu, p)) {
    cfg.nz = 8;
    cfg.ngf = 4;
    cfg.ndf = 4;
    cfg.batch = 4;
    cfg.image_size = image_size;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::normal_distribution<float> n(0.f, 1.f);
    real.resize(static_cast<size_t>(cfg.batch) * cfg.nc * image_size * image_size);
    noise.resize(static_cast<size_t>(cfg.batch) * cfg.nz);
    for (auto& v : real) v = u(rng);
    for (auto& v : noise) v = n(rng);
  }
};

// Runs f with oneDNN's verbose log at level 2 (creation and execution) captured from stdout; returns its lines.
template <class F>
std::vector<std::string> onednn_log(F&& f) {
  const std::string path = std::string(DCGAN_TEST_TMP) + "/onednn_verbose." + std::to_string(::getpid()) + ".log";
  std::filesystem::create_directories(DCGAN_TEST_TMP);
  std::fflush(stdout);
  const int saved = ::dup(1);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_GE(fd, 0) << path;
  ::dup2(fd, 1);
  dnnl::set_verbose(2);
  f();
  dnnl::set_verbose(0);
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(fd);
  ::close(saved);
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("onednn_verbose,", 0) == 0) lines.push_back(l);
  std::filesystem::remove(path);
  return lines;
}

size_t count(const std::vector<std::string>& lines, const std::string& a, const std::string& b = "") {
  size_t n = 0;
  for (const auto& l : lines)
    if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) ++n;
  return n;
}

void no_creation_after_first_step(nn::Precision p, int image_size = 64) {
  Small s(p, image_size);
  nn::Dcgan model(s.ctx, s.cfg, nn::AdamConfig{});
  std::mt19937_64 rng(3);
  model.init_weights(rng);
  std::vector<float> out(static_cast<size_t>(s.cfg.batch) * model.image_elems());
  model.prepare_sampler(2);  // the eval generator the trainer builds at start for its grids
  // From here on, the steps (the first included) and sampling only execute what the constructors built.
  const int64_t prims = nn::primitives_created(), mems = nn::memories_created();
  for (int i = 0; i < 4; ++i) {
    model.train_step(s.real.data(), s.noise.data());
    model.copy_fake(out.data());
    model.sample(s.noise.data(), 2, out.data());
  }
  EXPECT_EQ(nn::primitives_created(), prims) << "primitives created by a step or by sampling";
  EXPECT_EQ(nn::memories_created(), mems) << "memories created by a step or by sampling";
}

TEST(DcganReuse, NothingCreatedOnceConstructedF32) { no_creation_after_first_step(nn::Precision::f32); }
TEST(DcganReuse, NothingCreatedOnceConstructedBf16) { no_creation_after_first_step(nn::Precision::bf16); }

// Every size the architecture rule builds (4 to 7 layers per network).
TEST(DcganReuse, NothingCreatedOnceConstructedAtEverySize) {
  for (int size : {32, 128, 256})
    for (nn::Precision p : {nn::Precision::f32, nn::Precision::bf16}) {
      SCOPED_TRACE(std::to_string(size) + " px, " + nn::to_string(p));
      no_creation_after_first_step(p, size);
    }
}

TEST(DcganReuse, OneDnnLogShowsOnlyExecutionAndNoDWeightGradientsInTheGeneratorStep) {
  Small s(nn::Precision::f32);
  nn::Dcgan model(s.ctx, s.cfg, nn::AdamConfig{});
  std::mt19937_64 rng(3);
  model.init_weights(rng);
  model.train_step(s.real.data(), s.noise.data());
  const auto log = onednn_log([&] { model.train_step(s.real.data(), s.noise.data()); });
  EXPECT_GT(count(log, ",exec,"), 50u) << "the verbose log was not captured";
  EXPECT_EQ(count(log, ",create:"), 0u) << "a primitive was created during a training step";
  // Per iteration: D runs forward three times (real, fake, G step), G once.
  EXPECT_EQ(count(log, ",convolution,", ",forward_training,"), 15u);
  EXPECT_EQ(count(log, ",deconvolution,", ",forward_training,"), 5u);
  // Weight gradients: G's 5 deconvolutions once; D's 5 convolutions for the real and for the fake batch of the
  // D step, and none in the G step (PyTorch computes 5 more there and throws them away).
  EXPECT_EQ(count(log, ",deconvolution,", ",backward_weights,"), 5u);
  EXPECT_EQ(count(log, ",convolution,", ",backward_weights,"), 10u);
  // Data gradients: D layers 1..4 for the real and the fake batch (D's input needs none: real, fake.detach()),
  // all 5 in the G step; G layers 1..4 (the noise needs none).
  EXPECT_EQ(count(log, ",convolution,", ",backward_data,"), 4u + 4u + 5u);
  EXPECT_EQ(count(log, ",deconvolution,", ",backward_data,"), 4u);
}

}  // namespace
