// The GPU code path on the CPU engine: a few training steps with every host transfer and mapped access taking the
// path --engine gpu takes (nn::make_device_emulation_context: mapped copies, written back at unmap, poison while
// mapped for writing) give bit for bit what the ordinary CPU path gives; and the emulation catches the mistake it
// exists for.
#include "nn/dcgan.hpp"
#include "nn/memory.hpp"
#include "nn_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

struct Trace {
  std::vector<nn::StepResult> steps;
  std::vector<std::vector<float>> tensors;  // every parameter, gradient, buffer and Adam moment, then fake, sample
  std::vector<int64_t> counters;
};

std::vector<float> read(nn::Context& ctx, const dnnl::memory& m) {
  std::vector<float> v(m.get_desc().get_size() / sizeof(float));
  nn::copy_from_memory(ctx, v.data(), m, v.size() * sizeof(float));
  return v;
}

Trace train(nn::Context ctx, int image_size) {
  nn::DcganConfig cfg;
  cfg.nz = 8;
  cfg.ngf = 4;
  cfg.ndf = 4;
  cfg.batch = 4;
  cfg.image_size = image_size;
  nn::Dcgan model(ctx, cfg, nn::AdamConfig{});
  prng::Engine rng(11);
  model.init_weights(rng);
  std::vector<float> real(static_cast<size_t>(cfg.batch) * model.image_elems()), noise(cfg.batch * cfg.nz);
  Trace r;
  for (int step = 0; step < 3; ++step) {
    for (auto& x : real) x = static_cast<float>(std::tanh(prng::normal(rng)));
    prng::fill_normal(rng, noise.data(), noise.size());
    r.steps.push_back(model.train_step(real.data(), noise.data()));
  }
  for (const auto& params : {model.generator_params(), model.discriminator_params()})
    for (nn::Param* p : params) {
      r.tensors.push_back(read(ctx, p->value));
      r.tensors.push_back(read(ctx, p->grad));
    }
  for (nn::Buffer* b : model.generator_buffers()) r.tensors.push_back(read(ctx, b->value));
  for (nn::Buffer* b : model.discriminator_buffers()) r.tensors.push_back(read(ctx, b->value));
  for (nn::Adam* a : {&model.adam_g(), &model.adam_d()})
    for (const auto& s : a->slots()) {
      r.tensors.push_back(read(ctx, s.exp_avg));
      r.tensors.push_back(read(ctx, s.exp_avg_sq));
    }
  for (nn::BatchCount* c : model.generator_batch_counts()) r.counters.push_back(c->value);
  for (nn::BatchCount* c : model.discriminator_batch_counts()) r.counters.push_back(c->value);
  std::vector<float> fake(real.size()), sample(2 * model.image_elems());
  model.copy_fake(fake.data());
  model.sample(noise.data(), 2, sample.data());
  r.tensors.push_back(fake);
  r.tensors.push_back(sample);
  return r;
}

void expect_identical(const Trace& a, const Trace& b) {
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    EXPECT_EQ(std::memcmp(&a.steps[i], &b.steps[i], sizeof(nn::StepResult)), 0) << "step " << i;
  }
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    ASSERT_EQ(a.tensors[i].size(), b.tensors[i].size()) << "tensor " << i;
    EXPECT_EQ(std::memcmp(a.tensors[i].data(), b.tensors[i].data(), a.tensors[i].size() * sizeof(float)), 0)
        << "tensor " << i << " differs";
  }
  EXPECT_EQ(a.counters, b.counters);
}

TEST(DevicePath, TrainingStepsBitIdenticalToTheCpuPath) {
  for (nn::Precision p : {nn::Precision::f32, nn::Precision::bf16})
    for (int size : {32, 64}) {
      SCOPED_TRACE(std::string(nn::to_string(p)) + ", " + std::to_string(size) + " px");
      const Trace cpu = train(nn::make_context(nn::EngineKind::cpu, p), size);
      const Trace device = train(nn::make_device_emulation_context(p), size);
      expect_identical(cpu, device);
    }
}

// What the emulation catches: a primitive run on a memory still mapped for writing (undefined on a GPU) reads
// poison; once the view ends, the host's writes are there.
TEST(DevicePath, APrimitiveOnAMemoryMappedForWritingReadsPoison) {
  nn::Context ctx = nn::make_device_emulation_context(nn::Precision::f32);
  const auto d = nn::plain_desc({8});
  dnnl::memory src = nn::make_memory(ctx, d), dst = nn::make_memory(ctx, d);
  nn::fill(ctx, src, 1.f);
  dnnl::memory mid = nn::make_memory(ctx, nn::plain_desc({8}, nn::dt::bf16));
  const nn::Reorder to_mid(ctx, src, mid), to_dst(ctx, mid, dst);
  {
    nn::HostView<float> v(ctx, src);
    v[0] = 2.f;
    to_mid.execute(ctx.stream);  // the mistake: src is mapped
    to_dst.execute(ctx.stream);
  }
  EXPECT_TRUE(std::isnan(read(ctx, dst)[0])) << "a mapped memory must not look valid to a primitive";
  to_mid.execute(ctx.stream);
  to_dst.execute(ctx.stream);
  const auto after = read(ctx, dst);
  EXPECT_EQ(after[0], 2.f);
  EXPECT_EQ(after[7], 1.f);
  // The plain CPU path cannot see this mistake: there the view is the memory itself.
  nn::Context plain = nn::make_context(nn::EngineKind::cpu, nn::Precision::f32);
  dnnl::memory s2 = nn::make_memory(plain, d), d2 = nn::make_memory(plain, d);
  nn::fill(plain, s2, 1.f);
  const nn::Reorder r2(plain, s2, d2);
  {
    nn::HostView<float> v(plain, s2);
    v[0] = 2.f;
    r2.execute(plain.stream);
  }
  EXPECT_EQ(read(plain, d2)[0], 2.f);
}

}  // namespace
