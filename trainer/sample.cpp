// `dcgan-onednn sample`: a checkpoint's generator in eval mode, as a grid, N files or latent walks (sample.hpp).
#include "trainer/sample.hpp"

#include "trainer/image_grid.hpp"
#include "trainer/model_state.hpp"
#include "trainer/noise.hpp"
#include "trainer/npy.hpp"
#include "trainer/quality.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

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

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string t = "[";
  for (size_t i = 0; i < shape.size(); ++i) t += (i ? ", " : "") + std::to_string(shape[i]);
  return t + "]";
}

// The vectors of `sample --z FILE`, one per row; `count` is set to their number.
std::vector<float> latent_vectors_from(const fs::path& file, int nz, int& count) {
  NpyArray a = read_npy(file);
  const auto& d = a.shape;
  const bool fits = (d.size() == 2 || (d.size() == 4 && d[2] == 1 && d[3] == 1)) && d[1] == nz;
  if (!fits || d[0] < 1 || d[0] > kMaxSampleImages)
    throw std::runtime_error("--z '" + file.string() + "': expected float32 [N, " + std::to_string(nz) + "] or [N, " +
                             std::to_string(nz) + ", 1, 1] with 1 <= N <= " + std::to_string(kMaxSampleImages) +
                             " (the checkpoint's nz is " + std::to_string(nz) + "), got " + shape_text(d));
  count = static_cast<int>(d[0]);
  return std::move(a.data);
}

}  // namespace

std::vector<fs::path> sample(const SampleOptions& o, std::ostream& log) {
  validate(o);
  if (o.out.empty() && o.raw.empty()) throw std::invalid_argument("--out or --raw is needed (where the images go)");
  if (!o.z.empty() && o.interpolate > 0)
    throw std::invalid_argument("--z and --interpolate cannot be combined (a walk draws its end points from seeds)");
  if (o.interpolate > 0 && int64_t{o.n} * o.interpolate > kMaxSampleImages)
    throw std::invalid_argument("--n " + std::to_string(o.n) + " rows of --interpolate " + std::to_string(o.interpolate) +
                                " steps make " + std::to_string(int64_t{o.n} * o.interpolate) + " images; at most " +
                                std::to_string(kMaxSampleImages) + " per call");
  nn::set_cpu_threads(o.threads);
  nn::Context ctx = nn::make_context(o.engine, nn::Precision::f32);
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
    noise = o.z.empty() ? normal_noise(o.seed, static_cast<size_t>(o.n) * c.nz) : latent_vectors_from(o.z, c.nz, count);
    nrow = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count)))));
  }
  const auto images = generate(*model, noise, count);

  std::vector<fs::path> written;
  if (!o.raw.empty()) {
    const fs::path raw = o.raw;
    if (raw.has_parent_path()) fs::create_directories(raw.parent_path());
    write_npy(raw, {count, c.nc, s, s}, images.data());
    written.push_back(raw);
  }
  if (!o.out.empty()) {
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
  }
  log << "wrote " << written.size() << (written.size() == 1 ? " file" : " files") << " (" << count
      << " images from " << o.checkpoint << ", eval-mode BatchNorm" << (o.z.empty() ? "" : ", latent vectors of " + o.z)
      << ")\n";
  return written;
}

}  // namespace trainer
