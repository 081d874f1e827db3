// nn::Dcgan against the reference PyTorch DCGAN: one tutorial iteration from the same weights, batch and noise
// (tests/golden/make_dcgan_golden.py). Fixture: $DCGAN_GOLDEN_FIXTURE or the committed small one.
//
// Tolerances. err = max |ours - torch| / max |torch| per tensor (scalars: relative to their own value);
// cos = cosine similarity of the flattened tensors.
//   f32:  err <= 1e-4 for everything: outputs, losses, gradients, weights, Adam moments, running stats, eval
//         samples (measured on the committed fixture: at most 5e-6).
//   bf16: the middle layers (nn/precision_plan.hpp) compute on bf16 tensors (8-bit mantissa: 2^-9 relative per
//         value) while PyTorch computes in f32. Outputs stay close (measured: losses 6e-4, G(z) 6e-3), but
//         gradients deep in the networks deviate: measured err up to 0.26 and cos down to 0.979. PyTorch itself,
//         with the same layers' inputs, weights and outputs rounded to bf16 (conv in f32 otherwise), deviates
//         from its f32 gradients as much (err up to 0.28, cos down to 0.977), so this is bf16 arithmetic, not
//         an error of ours. Bounds: outputs/losses/running stats err 3e-2; gradients and Adam moments
//         err 0.4 and cos >= 0.97 (exp_avg_sq: squares, err 0.6, cos >= 0.95). Adam's first step moves every
//         weight by about lr * sign(g), so bf16 weights are checked through the update (after - before) of each
//         network's weights together: cos >= 0.85 against PyTorch's (measured 0.91 / 0.97 for G / D: the update
//         signs of the smallest gradients differ, as they do between PyTorch's f32 and bf16).
//   bf16 at 32 and 128 px (deeper or shallower networks of 2-3 feature maps): PyTorch's own bf16 emulation
//         (tests/golden/measure_bf16_deviation.py: every bf16 layer's input, weights, output and backward
//         gradient rounded) deviates from its f32 gradients by err 0.39 / 0.41, cos down to 0.957, weight updates
//         cos 0.83 / 0.84 for G; ours measured err 0.46, cos 0.961, exp_avg_sq err 0.99 (a square doubles the
//         relative error), update cos 0.82 / 0.85. Bounds: gradients and exp_avg err 0.6, cos >= 0.95;
//         exp_avg_sq err 1.2, cos >= 0.9; updates cos >= 0.78; outputs as at 64 px.
#include "golden_fixture.hpp"
#include "nn/dcgan.hpp"
#include "nn_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

namespace {

struct Check {
  double err;         // max |ours - torch| / max |torch|
  double cos = -1.0;  // minimum cosine similarity (-1: not checked)
};
struct Tolerances {
  Check output, grad, moment, moment_sq, update, stat;
};
constexpr Tolerances kF32 = {{1e-4}, {1e-4}, {1e-4}, {1e-4}, {1e-4}, {1e-4}};
constexpr Tolerances kBf16 = {{3e-2}, {0.4, 0.97}, {0.4, 0.97}, {0.6, 0.95}, {1e9, 0.85}, {3e-2}};
constexpr Tolerances kBf16OtherSizes = {{3e-2}, {0.6, 0.95}, {0.6, 0.95}, {1.2, 0.9}, {1e9, 0.78}, {3e-2}};

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
  return aa == 0 && bb == 0 ? 1.0 : ab / std::sqrt(aa * bb);
}

float mean(const std::vector<float>& v) {
  return std::accumulate(v.begin(), v.end(), 0.f) / static_cast<float>(v.size());
}

void expect_close(float ours, float ref, const Check& c, const std::string& what) {
  const double e = std::fabs(double(ours) - ref) / std::fabs(ref);
  if (std::getenv("DCGAN_GOLDEN_VERBOSE")) std::printf("  %-40s err %.3g\n", what.c_str(), e);
  EXPECT_LE(e, c.err) << what << ": ours " << ours << ", torch " << ref;
}

void expect_tensor(const std::vector<float>& ours, const std::vector<float>& ref, const Check& c,
                   const std::string& what) {
  ASSERT_EQ(ours.size(), ref.size()) << what;
  const double e = nt::rel_err(ours, ref), cs = cosine(ours, ref);
  if (std::getenv("DCGAN_GOLDEN_VERBOSE")) std::printf("  %-40s err %.3g cos %.6f\n", what.c_str(), e, cs);
  EXPECT_LE(e, c.err) << what << " (max |diff| / max |torch|)";
  EXPECT_GE(cs, c.cos) << what << " (cosine similarity)";
}

std::vector<float> minus(std::vector<float> a, const std::vector<float>& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] -= b[i];
  return a;
}

void run_golden(nn::Precision precision, const Tolerances& tol, const nn::PrecisionPlan* plan = nullptr,
                const std::string& fixture = "dcgan_small") {
  const std::string path = golden::fixture_path(fixture);
  golden::Fixture fx(path);
  nn::Context ctx = nn::make_context(nn::EngineKind::cpu, precision);
  nn::Dcgan model(ctx, fx.cfg, fx.adam, plan);
  fx.load(model, "init/G", true);
  fx.load(model, "init/D", false);

  const nn::StepResult r = model.train_step(fx.real.data(), fx.noise.data());

  expect_close(r.d_x, mean(fx.get("out/d_real")), tol.output, "D(x)");
  expect_close(r.d_g_z1, mean(fx.get("out/d_fake1")), tol.output, "D(G(z)) before D's update");
  expect_close(r.d_g_z2, mean(fx.get("out/d_fake2")), tol.output, "D(G(z)) after D's update");
  expect_close(r.loss_d, fx.get("out/loss_d_real")[0] + fx.get("out/loss_d_fake")[0], tol.output, "errD");
  expect_close(r.loss_g, fx.get("out/loss_g")[0], tol.output, "errG");

  std::vector<float> fake(fx.real.size());
  model.copy_fake(fake.data());
  expect_tensor(fake, fx.get("out/fake"), tol.output, "G(z)");

  // gradients: D's of the D step (PyTorch's G step would add to them; ours computes no D weight gradient there)
  for (auto [net, params] : {std::pair{"G", model.generator_params()}, std::pair{"D", model.discriminator_params()}})
    for (nn::Param* p : params)
      expect_tensor(golden::host(ctx, p->grad), fx.get(std::string("grad/") + net + "/" + p->name), tol.grad,
                    std::string("grad ") + net + " " + p->name);

  // after the step: weights, Adam moments and step, BN running statistics and counters
  for (auto [net, adam] : {std::pair{"G", &model.adam_g()}, std::pair{"D", &model.adam_d()}}) {
    EXPECT_EQ(adam->step_count(), 1);
    std::vector<float> ours_update, torch_update;  // after - before, all of the network's weights
    for (const auto& s : adam->slots()) {
      const std::string base = std::string(net) + "/" + s.param->name;
      const auto before = fx.get("init/" + base), after = golden::host(ctx, s.param->value);
      expect_tensor(after, fx.get("after/" + base), {tol.update.err}, "weight " + base);
      for (const auto& v : minus(after, before)) ours_update.push_back(v);
      for (const auto& v : minus(fx.get("after/" + base), before)) torch_update.push_back(v);
      expect_tensor(golden::host(ctx, s.exp_avg), fx.get("adam/" + base + "/exp_avg"), tol.moment, "exp_avg " + base);
      expect_tensor(golden::host(ctx, s.exp_avg_sq), fx.get("adam/" + base + "/exp_avg_sq"), tol.moment_sq,
                    "exp_avg_sq " + base);
    }
    expect_tensor(ours_update, torch_update, {1e9, tol.update.cos}, std::string(net) + " weight update");
  }
  for (auto [net, buffers] : {std::pair{"G", model.generator_buffers()}, std::pair{"D", model.discriminator_buffers()}})
    for (nn::Buffer* b : buffers)
      expect_tensor(golden::host(ctx, b->value), fx.get(std::string("after/") + net + "/" + b->name), tol.stat,
                    std::string(net) + " " + b->name);
  for (nn::BatchCount* c : model.generator_batch_counts())
    EXPECT_EQ(c->value, fx.get_int("after/G/" + c->name)) << c->name;
  for (nn::BatchCount* c : model.discriminator_batch_counts())
    EXPECT_EQ(c->value, fx.get_int("after/D/" + c->name)) << c->name << " (D runs three times per iteration)";

  // eval-mode generator (running statistics) after the step, at another batch size
  std::vector<float> sample(static_cast<size_t>(fx.samples) * model.image_elems());
  model.sample(fx.sample_noise.data(), fx.samples, sample.data());
  expect_tensor(sample, fx.get("out/sample"), tol.output, "eval-mode G(z)");
}

TEST(DcganGolden, OneTutorialIterationMatchesPyTorchF32) { run_golden(nn::Precision::f32, kF32); }

TEST(DcganGolden, OneTutorialIterationMatchesPyTorchBf16) { run_golden(nn::Precision::bf16, kBf16); }

// Other sizes, by the same architecture rule on both sides (make_dcgan_golden.py --size): 4 layers at 32 px, 6 at
// 128 px (with one gray channel).
TEST(DcganGolden, At32PixelsMatchesPyTorchF32) { run_golden(nn::Precision::f32, kF32, nullptr, "dcgan_s32"); }
TEST(DcganGolden, At128PixelsMatchesPyTorchF32) { run_golden(nn::Precision::f32, kF32, nullptr, "dcgan_s128"); }
TEST(DcganGolden, At32PixelsMatchesPyTorchBf16) {
  run_golden(nn::Precision::bf16, kBf16OtherSizes, nullptr, "dcgan_s32");
}
TEST(DcganGolden, At128PixelsMatchesPyTorchBf16) {
  run_golden(nn::Precision::bf16, kBf16OtherSizes, nullptr, "dcgan_s128");
}

// Every layer in bf16 (the alternative plan bench_nn measures): G's output and D's input are bf16 too.
TEST(DcganGolden, OneTutorialIterationMatchesPyTorchAllLayersBf16) {
  const nn::PrecisionPlan all{std::vector<nn::Precision>(5, nn::Precision::bf16),
                              std::vector<nn::Precision>(5, nn::Precision::bf16)};
  run_golden(nn::Precision::bf16, kBf16, &all);
}

}  // namespace
