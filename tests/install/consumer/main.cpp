// A program of a downstream project, built against the installed package: one DCGAN training step (nn) and a
// CRC-32 (pipeline), printed as lines test_install.sh checks.
#include "nn/context.hpp"
#include "nn/dcgan.hpp"
#include "pipeline/crc32.hpp"
#include "pipeline/versions.hpp"
#include "portable_random.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <span>
#include <string_view>
#include <vector>

int main() {
  std::cout << "package: DcganOnednn " << DCGAN_PACKAGE_VERSION << "\n";
  std::cout << "headers: " << DCGAN_HEADER_COUNT << " compiled in one translation unit\n";

  // nn: the smallest DCGAN of the architecture rule (nn/architecture.hpp). G's parameters at S = 32, nz 8, ngf 8,
  // nc 1: ConvTranspose2d weights 8x32x4x4 + 32x16x4x4 + 16x8x4x4 + 8x1x4x4 = 14464, BatchNorm weight and bias
  // 2 x (32 + 16 + 8) = 112; 14576 in all.
  nn::Context ctx = nn::make_context(nn::EngineKind::cpu, nn::Precision::f32);
  nn::DcganConfig cfg;
  cfg.nz = 8;
  cfg.ngf = 8;
  cfg.ndf = 8;
  cfg.nc = 1;
  cfg.image_size = 32;
  cfg.batch = 2;
  nn::Dcgan model(ctx, cfg, nn::AdamConfig{});
  prng::Engine rng(2015);
  model.init_weights(rng);
  int64_t g_params = 0;
  for (const nn::Param* p : model.generator_params()) g_params += p->numel();
  std::cout << "nn: generator parameters " << g_params << "\n";

  std::vector<float> real(model.image_elems() * static_cast<size_t>(cfg.batch));
  std::vector<float> noise(static_cast<size_t>(cfg.nz) * static_cast<size_t>(cfg.batch));
  for (float& v : real) v = static_cast<float>(2.0 * prng::uniform(rng) - 1.0);
  prng::fill_normal(rng, noise.data(), noise.size());
  const nn::StepResult r = model.train_step(real.data(), noise.data());
  const bool step_ok = std::isfinite(r.loss_d) && std::isfinite(r.loss_g) && r.d_x > 0.f && r.d_x < 1.f;
  std::cout << "nn: one training step, loss_D " << r.loss_d << ", loss_G " << r.loss_g << ", D(x) " << r.d_x
            << (step_ok ? "" : " (not finite or out of (0, 1))") << "\n";

  // pipeline: the CRC-32 check value of "123456789" (the zlib polynomial's catalogue entry).
  constexpr std::string_view check = "123456789";
  const uint32_t crc = pipeline::crc32_update(
      0, std::span(reinterpret_cast<const uint8_t*>(check.data()), check.size()));
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(crc));
  std::cout << "pipeline: crc32(" << check << ") = " << hex << "\n";
  std::cout << "pipeline: HDF5 " << pipeline::library_versions().hdf5 << "\n";
  return step_ok ? 0 : 1;
}
