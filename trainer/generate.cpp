// Sampling and evaluation from a saved generator (see generate.hpp).
#include "trainer/generate.hpp"

#include "pipeline/cache.hpp"
#include "trainer/checkpoint.hpp"
#include "trainer/csv_log.hpp"
#include "trainer/image_grid.hpp"
#include "trainer/model_state.hpp"
#include "trainer/noise.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;

namespace {

// One image in [-1,1] to 8-bit RGB, as save_image(normalize=True, value_range=(-1,1)) does.
Rgb8Image to_rgb8(const float* img, int c, int s) {
  Rgb8Image o{s, s, std::vector<uint8_t>(static_cast<size_t>(s) * s * 3)};
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        const float v = img[(static_cast<size_t>(c == 1 ? 0 : ch) * s + y) * s + x];
        const float u = std::clamp((v + 1.f) / 2.f * 255.f + 0.5f, 0.f, 255.f);
        o.pixels[(static_cast<size_t>(y) * s + x) * 3 + ch] = static_cast<uint8_t>(u);
      }
  return o;
}

}  // namespace

std::unique_ptr<nn::Dcgan> load_model(nn::Context& ctx, const fs::path& file, int batch) {
  NetworkState g, d;
  load_weights(file, g, d);
  nn::DcganConfig cfg = config_from_state(g, d, file.string());
  cfg.batch = batch;
  auto model = std::make_unique<nn::Dcgan>(ctx, cfg, nn::AdamConfig{});
  restore_checked(*model, g, d, file.string());
  return model;
}

std::vector<fs::path> sample(const SampleOptions& o, std::ostream& log) {
  if (o.checkpoint.empty()) throw std::invalid_argument("--checkpoint is required");
  if (o.out.empty()) throw std::invalid_argument("--out is required (a .png file name)");
  if (o.n < 1 || o.n > 4096) throw std::invalid_argument("--n must be in [1, 4096], got " + std::to_string(o.n));
  if (o.interpolate < 0 || o.interpolate == 1 || o.interpolate > 64)
    throw std::invalid_argument("--interpolate must be 0 (off) or 2..64 steps, got " + std::to_string(o.interpolate));
  nn::set_cpu_threads(o.threads);
  nn::Context ctx = nn::make_context(nn::parse_engine(o.engine), nn::Precision::f32);
  auto model = load_model(ctx, o.checkpoint);
  const auto& c = model->config();
  const int s = c.image_size;
  const size_t per = static_cast<size_t>(c.nc) * s * s;

  std::vector<float> noise;
  int count = o.n, nrow = 8;
  if (o.interpolate > 0) {
    // Row r walks linearly from z_a[r] (--seed) to z_b[r] (--seed2), as the DCGAN paper's figure 4.
    const int k = o.interpolate;
    const auto za = normal_noise(o.seed, static_cast<size_t>(o.n) * c.nz);
    const auto zb = normal_noise(o.seed2, static_cast<size_t>(o.n) * c.nz);
    noise.resize(static_cast<size_t>(o.n) * k * c.nz);
    for (int r = 0; r < o.n; ++r)
      for (int j = 0; j < k; ++j) {
        const float t = static_cast<float>(j) / static_cast<float>(k - 1);
        for (int z = 0; z < c.nz; ++z) {
          const size_t src = static_cast<size_t>(r) * c.nz + z;
          noise[(static_cast<size_t>(r) * k + j) * c.nz + z] = (1 - t) * za[src] + t * zb[src];
        }
      }
    count = o.n * k;
    nrow = k;
  } else {
    noise = normal_noise(o.seed, static_cast<size_t>(o.n) * c.nz);
    nrow = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(o.n)))));
  }
  const auto images = generate(*model, noise, count);

  std::vector<fs::path> written;
  const fs::path out = o.out;
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  if (o.grid || o.interpolate > 0) {
    write_png(out, make_grid(images.data(), count, c.nc, s, s, nrow, 2, true));
    written.push_back(out);
  } else {
    for (int i = 0; i < count; ++i) {
      char suffix[32];
      std::snprintf(suffix, sizeof suffix, "_%04d", i);
      const fs::path p = out.parent_path() / (out.stem().string() + suffix + ".png");
      write_png(p, to_rgb8(images.data() + per * i, c.nc, s));
      written.push_back(p);
    }
  }
  log << "wrote " << written.size() << (written.size() == 1 ? " file" : " files") << " (" << count
      << " images from " << o.checkpoint << ", eval-mode BatchNorm)\n";
  return written;
}

EvalResult evaluate(const EvalOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.checkpoint.empty()) throw std::invalid_argument("--checkpoint is required");
  if (o.data.empty()) throw std::invalid_argument("--data is required (a celeba-pack cache)");
  if (o.n < 16) throw std::invalid_argument("--n must be >= 16, got " + std::to_string(o.n));
  nn::set_cpu_threads(o.threads);
  nn::Context ctx = nn::make_context(nn::parse_engine(o.engine), nn::Precision::f32);
  auto model = load_model(ctx, o.checkpoint);
  const auto& c = model->config();
  pipeline::Cache cache(o.data);
  if (cache.channels() != c.nc || cache.size() != c.image_size)
    throw std::invalid_argument("--data: the cache holds " + std::to_string(cache.channels()) + "x" +
                                std::to_string(cache.size()) + "x" + std::to_string(cache.size()) +
                                " images, the generator makes " + std::to_string(c.nc) + "x" +
                                std::to_string(c.image_size) + "x" + std::to_string(c.image_size));
  int n = 0;
  const auto real = real_subset(cache, pipeline::parse_partition(o.partition), o.n, o.seed, 0, &n);
  const auto fake = generate(*model, normal_noise(o.seed ^ 0x9e3779b97f4a7c15ULL, static_cast<size_t>(n) * c.nz), n);
  EvalResult r;
  static_cast<QualityScores&>(r) = score(real.data(), fake.data(), n, c.nc, c.image_size, o.seed, std::min(n, 1000));
  r.n = n;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string to_json(const EvalResult& r) {
  std::ostringstream s;
  s << "{\"n\": " << r.n << ", \"swd_x1e3\": {";
  const int sizes[] = {64, 32, 16};
  for (size_t i = 0; i < r.swd_per_level.size(); ++i)
    s << (i ? ", " : "") << '"' << (i < 3 ? sizes[i] : static_cast<int>(i)) << "\": " << format_value(r.swd_per_level[i]);
  s << "}, \"swd_avg_x1e3\": " << format_value(r.swd_average) << ", \"msssim_fake\": " << format_value(r.msssim_fake)
    << ", \"msssim_real\": " << format_value(r.msssim_real) << ", \"seconds\": " << format_value(r.seconds) << "}";
  return s.str();
}

}  // namespace trainer
