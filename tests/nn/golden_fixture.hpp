// Reads the PyTorch DCGAN golden fixture (tests/golden/make_dcgan_golden.py) and loads its tensors into nn::Dcgan.
#pragma once
#include "nn/dcgan.hpp"
#include "nn/memory.hpp"
#include "pipeline/h5.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace golden {

// A committed fixture by name; the 64-px one ("dcgan_small") can be replaced by $DCGAN_GOLDEN_FIXTURE.
inline std::string fixture_path(const std::string& name = "dcgan_small") {
  if (const char* p = std::getenv("DCGAN_GOLDEN_FIXTURE"); p && *p && name == "dcgan_small") return p;
  return std::string(DCGAN_SOURCE_DIR) + "/tests/golden/dcgan/" + name + ".h5";
}

struct Fixture {
  h5::File file;
  nn::DcganConfig cfg;
  nn::AdamConfig adam;
  std::vector<float> real, noise, sample_noise;
  int samples = 0;

  explicit Fixture(const std::string& path) : file(h5::File::open(path)) {
    const std::string fmt = h5::get_attr_string(file.id(), "format", path);
    const int64_t version = h5::get_attr_int(file.id(), "version", path);
    if (fmt != "dcgan-golden" || version != 1)
      throw std::runtime_error(path + ": not a dcgan-golden v1 fixture (format '" + fmt + "', version " +
                               std::to_string(version) + ")");
    cfg.nz = static_cast<int>(h5::get_attr_int(file.id(), "nz", path));
    cfg.ngf = static_cast<int>(h5::get_attr_int(file.id(), "ngf", path));
    cfg.ndf = static_cast<int>(h5::get_attr_int(file.id(), "ndf", path));
    cfg.nc = static_cast<int>(h5::get_attr_int(file.id(), "nc", path));
    cfg.batch = static_cast<int>(h5::get_attr_int(file.id(), "batch", path));
    cfg.image_size = h5::has_attr(file.id(), "image_size")  // absent: the 64-px fixture made before other sizes
                         ? static_cast<int>(h5::get_attr_int(file.id(), "image_size", path))
                         : 64;
    adam.lr = h5::get_attr_double(file.id(), "lr", path);
    adam.beta1 = h5::get_attr_double(file.id(), "beta1", path);
    adam.beta2 = h5::get_attr_double(file.id(), "beta2", path);
    adam.eps = h5::get_attr_double(file.id(), "eps", path);
    // ToTensor (u8 / 255) then Normalize(0.5, 0.5), in float32 as torchvision computes it
    for (uint8_t u : h5::read<uint8_t>(file, "input/real_u8"))
      real.push_back((static_cast<float>(u) / 255.f - 0.5f) / 0.5f);
    noise = h5::read<float>(file, "input/noise");
    std::vector<hsize_t> dims;
    sample_noise = h5::read<float>(file, "input/sample_noise", &dims);
    samples = static_cast<int>(dims.at(0));
  }

  std::vector<float> get(const std::string& name) const { return h5::read<float>(file, name); }
  int64_t get_int(const std::string& name) const { return h5::read<int64_t>(file, name).at(0); }

  // Copies group/<name> into every Param and Buffer and num_batches_tracked of a network (PyTorch layouts).
  void load(nn::Dcgan& m, const std::string& group, bool generator) const {
    nn::Context& ctx = m.context();
    for (nn::Param* p : generator ? m.generator_params() : m.discriminator_params()) {
      std::vector<hsize_t> dims;
      const auto v = h5::read<float>(file, group + "/" + p->name, &dims);
      ASSERT_EQ(std::vector<int64_t>(dims.begin(), dims.end()), p->shape) << p->name;
      nn::copy_to_memory(ctx, p->value, v.data(), v.size() * sizeof(float));
    }
    for (nn::Buffer* b : generator ? m.generator_buffers() : m.discriminator_buffers()) {
      const auto v = get(group + "/" + b->name);
      nn::copy_to_memory(ctx, b->value, v.data(), v.size() * sizeof(float));
    }
    for (nn::BatchCount* c : generator ? m.generator_batch_counts() : m.discriminator_batch_counts())
      c->value = get_int(group + "/" + c->name);
  }
};

inline std::vector<float> host(nn::Context& ctx, const dnnl::memory& m) {
  std::vector<float> v(m.get_desc().get_size() / sizeof(float));
  nn::copy_from_memory(ctx, v.data(), m, v.size() * sizeof(float));
  return v;
}

}  // namespace golden
