// The tutorial's weights_init through nn::Dcgan::init_weights: distributions, determinism, and the reset of
// running statistics, counters and optimizer state.
#include "nn/dcgan.hpp"
#include "nn/init.hpp"
#include "nn_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace {

struct Moments {
  double mean = 0, std = 0;
  size_t n = 0;
};
Moments moments(const std::vector<float>& v) {
  Moments m;
  m.n = v.size();
  for (float x : v) m.mean += x;
  m.mean /= double(m.n);
  for (float x : v) m.std += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(m.std / double(m.n));
  return m;
}

TEST(Init, NormalDrawHasTheRequestedMoments) {
  prng::Engine rng(5);
  std::vector<float> v(200000);
  prng::fill_normal(rng, v.data(), v.size(), 1.0, 0.02);
  const Moments m = moments(v);
  EXPECT_NEAR(m.mean, 1.0, 5 * 0.02 / std::sqrt(double(m.n)));
  EXPECT_NEAR(m.std, 0.02, 0.02 * 0.01);
}

TEST(Init, TutorialWeightsInitDeterministicAndResetsState) {
  nn::Context ctx = nt::cpu();
  nn::DcganConfig cfg;
  cfg.nz = 16;
  cfg.ngf = 8;
  cfg.ndf = 8;
  cfg.batch = 2;
  nn::Dcgan a(ctx, cfg, nn::AdamConfig{}), b(ctx, cfg, nn::AdamConfig{});
  prng::Engine ra(42), rb(42);
  a.init_weights(ra);
  // b: train one step first, then init: everything a step changes must be back at its initial value
  prng::Engine warm(1);
  b.init_weights(warm);
  std::vector<float> real(static_cast<size_t>(cfg.batch) * cfg.nc * 64 * 64, 0.5f), noise(cfg.batch * cfg.nz, 0.1f);
  b.train_step(real.data(), noise.data());
  b.init_weights(rb);

  const auto pa = a.generator_params(), pb = b.generator_params();
  const auto da = a.discriminator_params(), db = b.discriminator_params();
  std::vector<float> conv_w, bn_w;
  for (auto [x, y] : {std::pair{pa, pb}, std::pair{da, db}})
    for (size_t i = 0; i < x.size(); ++i) {
      const auto va = nt::read_raw(ctx, x[i]->value);
      EXPECT_EQ(va, nt::read_raw(ctx, y[i]->value)) << x[i]->name << ": same seed, same weights";
      if (x[i]->shape.size() == 4) conv_w.insert(conv_w.end(), va.begin(), va.end());
      if (x[i]->shape.size() == 1 && x[i]->name.ends_with(".weight")) bn_w.insert(bn_w.end(), va.begin(), va.end());
      if (x[i]->name.ends_with(".bias")) {
        for (float v : va) EXPECT_EQ(v, 0.f) << x[i]->name;
      }
    }
  const Moments cw = moments(conv_w), bw = moments(bn_w);
  EXPECT_NEAR(cw.mean, 0.0, 5 * 0.02 / std::sqrt(double(cw.n)));
  EXPECT_NEAR(cw.std, 0.02, 0.002);
  EXPECT_NEAR(bw.mean, 1.0, 5 * 0.02 / std::sqrt(double(bw.n))) << "BatchNorm weight ~ N(1, 0.02), not N(0, 0.02)";
  EXPECT_NEAR(bw.std, 0.02, 0.006);

  for (nn::Buffer* buf : b.generator_buffers()) {
    const float want = buf->name.ends_with("running_var") ? 1.f : 0.f;
    for (float v : nt::read_raw(ctx, buf->value)) {
      EXPECT_EQ(v, want) << buf->name;
    }
  }
  for (nn::BatchCount* c : b.discriminator_batch_counts()) EXPECT_EQ(c->value, 0) << c->name;
  EXPECT_EQ(b.adam_g().step_count(), 0);
  for (const auto& s : b.adam_d().slots()) {
    for (float v : nt::read_raw(ctx, s.exp_avg_sq)) EXPECT_EQ(v, 0.f);
  }
}

}  // namespace
