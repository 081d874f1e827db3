// PyTorch state_dict interchange: our weights file loads into the reference PyTorch models with h5py and gives
// the same outputs, and what PyTorch writes back loads into ours (needs python3-torch and python3-h5py).
#include "pipeline/h5.hpp"
#include "support/run.hpp"
#include "trainer/checkpoint.hpp"
#include "trainer/model_state.hpp"

#include <gtest/gtest.h>

#include <random>

namespace fs = std::filesystem;
using namespace trainer;

namespace {

// At image size S (the same architecture rule on both sides) with nc channels.
void round_trip(int S, int nc) {
  if (testsupport::run("/usr/bin/python3 -c 'import torch, h5py'").status != 0)
    GTEST_SKIP() << "python3-torch and python3-h5py are needed (scripts/install-deps test)";
  const fs::path dir = testsupport::fresh_dir("interchange_" + std::to_string(S));
  nn::Context ctx = nn::make_context(nn::EngineKind::cpu, nn::Precision::f32);
  nn::DcganConfig cfg;
  cfg.nz = 8;
  cfg.ngf = 4;
  cfg.ndf = 4;
  cfg.nc = nc;
  cfg.batch = 4;
  cfg.image_size = S;
  const hsize_t s = static_cast<hsize_t>(S), c = static_cast<hsize_t>(nc);
  nn::Dcgan model(ctx, cfg, {});
  std::mt19937_64 rng(3);
  model.init_weights(rng);
  std::normal_distribution<float> nd;
  std::uniform_real_distribution<float> ud(-1.f, 1.f);
  std::vector<float> real(4 * model.image_elems()), noise(4 * 8);
  for (auto& v : real) v = ud(rng);
  for (auto& v : noise) v = nd(rng);
  // One step first, so that running statistics and counters are not their initial values.
  model.train_step(real.data(), noise.data());

  const NetworkState g = capture_network(model, Net::generator), d = capture_network(model, Net::discriminator);
  save_weights(dir / "w.h5", g, d);
  const int n = 5;
  std::vector<float> z(n * 8), sample(n * model.image_elems());
  for (auto& v : z) v = nd(rng);
  model.sample(z.data(), n, sample.data());
  // D(x) of the next step is D with exactly the saved weights, in training mode, on `real`.
  const float d_x = model.train_step(real.data(), noise.data()).d_x;
  {
    h5::File f = h5::File::create(dir / "io.h5");
    h5::write(f, "noise", {n, 8}, z.data());
    h5::write(f, "ours/sample", {n, c, s, s}, sample.data());
    h5::write(f, "real", {4, c, s, s}, real.data());
    h5::write(f, "ours/d_x", {}, &d_x);
  }
  const auto r = testsupport::run("/usr/bin/python3 " DCGAN_SOURCE_DIR "/tests/trainer/torch_interchange.py " +
                                  (dir / "w.h5").string() + " " + (dir / "io.h5").string() + " " +
                                  (dir / "back.h5").string());
  ASSERT_EQ(r.status, 0) << r.out << r.err;

  // PyTorch changed every tensor (x * 0.5 + 0.25; counters + 1000) and wrote them back: load them into ours.
  NetworkState g2, d2;
  load_weights(dir / "back.h5", g2, d2);
  check_shapes(g2, g, "generator", "back.h5");
  check_shapes(d2, d, "discriminator", "back.h5");
  restore_network(model, Net::generator, g2);
  restore_network(model, Net::discriminator, d2);
  for (const auto& [mine, before] : {std::pair{capture_network(model, Net::generator), g},
                                     std::pair{capture_network(model, Net::discriminator), d}}) {
    ASSERT_EQ(mine.tensors.size(), before.tensors.size());
    for (const auto& t : mine.tensors) {
      auto it = std::find_if(before.tensors.begin(), before.tensors.end(),
                             [&](const HostTensor& u) { return u.name == t.name; });
      ASSERT_NE(it, before.tensors.end()) << t.name;
      for (size_t i = 0; i < t.data.size(); ++i)
        ASSERT_FLOAT_EQ(t.data[i], it->data[i] * 0.5f + 0.25f) << t.name << "[" << i << "]";
    }
    for (const auto& [name, v] : mine.counters) EXPECT_EQ(v, before.counters.at(name) + 1000) << name;
  }
}

}  // namespace

TEST(Interchange, WeightsRoundTripThroughPyTorch) { round_trip(64, 3); }
TEST(Interchange, WeightsRoundTripThroughPyTorchAt32And128) {
  round_trip(32, 3);
  round_trip(128, 1);
}
