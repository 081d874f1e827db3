// The trainer's view of one tutorial iteration against PyTorch: the golden fixture's state_dict (init/G, init/D)
// goes in through the trainer's name-based restore, one train_step runs, and everything the trainer checkpoints
// (state_dict tensors, num_batches_tracked, both Adam states) comes out matching PyTorch's after/ and adam/.
// The fixture path: $DCGAN_GOLDEN_FIXTURE, default tests/golden/dcgan/dcgan_small.h5 (tests/golden/make_dcgan_golden.py).
#include "pipeline/h5.hpp"
#include "trainer/model_state.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

using namespace trainer;

namespace {

std::string fixture() {
  const char* env = std::getenv("DCGAN_GOLDEN_FIXTURE");
  return env ? env : DCGAN_SOURCE_DIR "/tests/golden/dcgan/dcgan_small.h5";
}

// The fixture's group as a NetworkState with the names and shapes the model expects.
NetworkState read_state(const h5::File& f, const std::string& group, const NetworkState& like) {
  NetworkState s;
  for (const auto& t : like.tensors) {
    std::vector<hsize_t> dims;
    HostTensor h{t.name, {}, h5::read<float>(f, group + "/" + t.name, &dims)};
    h.shape.assign(dims.begin(), dims.end());
    s.tensors.push_back(std::move(h));
  }
  for (const auto& [name, v] : like.counters) s.counters[name] = h5::read<int64_t>(f, group + "/" + name).at(0);
  return s;
}

// Largest |a - b| relative to the largest |b| of the tensor (PyTorch's values are the reference).
double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 1e-12;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b[i])));
  }
  return diff / scale;
}

}  // namespace

TEST(StepGolden, TrainerStateMatchesPyTorchAfterOneTutorialIteration) {
  h5::File f = h5::File::open(fixture());
  nn::DcganConfig cfg;
  cfg.nz = static_cast<int>(h5::get_attr_int(f.id(), "nz", f.file()));
  cfg.ngf = static_cast<int>(h5::get_attr_int(f.id(), "ngf", f.file()));
  cfg.ndf = static_cast<int>(h5::get_attr_int(f.id(), "ndf", f.file()));
  cfg.nc = static_cast<int>(h5::get_attr_int(f.id(), "nc", f.file()));
  cfg.batch = static_cast<int>(h5::get_attr_int(f.id(), "batch", f.file()));
  nn::Context ctx = nn::make_context(nn::EngineKind::cpu, nn::Precision::f32);
  nn::Dcgan model(ctx, cfg, {});

  const NetworkState g_like = capture_network(model, Net::generator);
  const NetworkState d_like = capture_network(model, Net::discriminator);
  restore_network(model, Net::generator, read_state(f, "init/G", g_like));
  restore_network(model, Net::discriminator, read_state(f, "init/D", d_like));

  const auto u8 = h5::read<uint8_t>(f, "input/real_u8");
  std::vector<float> real(u8.size());
  for (size_t i = 0; i < u8.size(); ++i) real[i] = (static_cast<float>(u8[i]) / 255.f - 0.5f) / 0.5f;
  const auto noise = h5::read<float>(f, "input/noise");
  model.train_step(real.data(), noise.data());

  for (const auto& [net, group, like] : {std::tuple{Net::generator, "after/G", &g_like},
                                         std::tuple{Net::discriminator, "after/D", &d_like}}) {
    const NetworkState ours = capture_network(model, net);
    const NetworkState theirs = read_state(f, group, *like);
    for (size_t i = 0; i < ours.tensors.size(); ++i)
      EXPECT_LT(rel_err(ours.tensors[i].data, theirs.tensors[i].data), 1e-4) << group << "/" << ours.tensors[i].name;
    EXPECT_EQ(ours.counters, theirs.counters) << group;
  }
  for (const auto& [net, group] : {std::pair{Net::generator, "adam/G"}, std::pair{Net::discriminator, "adam/D"}}) {
    const AdamState a = capture_adam(model, net);
    h5::Location g = f.group(group);
    EXPECT_EQ(a.step, h5::get_attr_int(g.id(), "step", f.file()));
    for (size_t i = 0; i < a.exp_avg.size(); ++i) {
      const std::string& name = a.exp_avg[i].name;
      EXPECT_LT(rel_err(a.exp_avg[i].data, h5::read<float>(g, name + "/exp_avg")), 1e-4) << group << "/" << name;
      EXPECT_LT(rel_err(a.exp_avg_sq[i].data, h5::read<float>(g, name + "/exp_avg_sq")), 1e-4) << group << "/" << name;
    }
  }
}
