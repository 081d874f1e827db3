// Test helper: writes a realistic synthetic run directory (metrics.csv, warnings.csv, sample grids, real samples,
// options.cfg, info.txt) the way the trainer writes one, through the trainer's own CSV and PNG writers.
#pragma once
#include "test_eval_support.hpp"
#include "trainer/csv_log.hpp"
#include "trainer/image_grid.hpp"
#include "trainer/options.hpp"
#include "trainer/run_layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace runtest {

namespace fs = std::filesystem;

// How many times `needle` occurs in `hay` (without overlaps): markup counted in a page.
inline size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

// PyTorch state_dict names of the tutorial DCGAN's parameters (BatchNorm weight and bias included).
inline std::vector<std::string> generator_params() {
  return {"main.0.weight", "main.1.weight", "main.1.bias",  "main.3.weight",  "main.4.weight",
          "main.4.bias",   "main.6.weight", "main.7.weight", "main.7.bias",   "main.9.weight",
          "main.10.weight", "main.10.bias", "main.12.weight"};
}
inline std::vector<std::string> discriminator_params() {
  return {"main.0.weight", "main.2.weight", "main.3.weight", "main.3.bias",   "main.5.weight", "main.6.weight",
          "main.6.bias",   "main.8.weight", "main.9.weight", "main.9.bias", "main.11.weight"};
}

// The SWD level factors of the synthetic quality curve, finest level first (as many as the pyramid has).
inline constexpr double kSwdLevelFactors[] = {1.1, 0.9, 0.6, 0.45, 0.35};

// The header of a run at `image_size` px: one swd_<S> column per pyramid level (S, S/2, ..., 16).
inline std::vector<std::string> metrics_header(int image_size = 64) {
  std::vector<std::string> h = {"epoch",   "batch",         "iter",          "loss_d",        "loss_g",     "d_x",
                                "d_g_z1",  "d_g_z2",        "lr_d",          "lr_g",          "grad_norm_d", "grad_norm_g",
                                "weight_norm_d", "weight_norm_g", "images_per_s", "wall_s"};
  for (int s = image_size; s >= 16; s /= 2) h.push_back("swd_" + std::to_string(s));
  for (const char* quality : {"swd_avg", "msssim_fake", "msssim_real"}) h.push_back(quality);
  for (const char* kind : {"grad", "weight"}) {
    for (const auto& p : generator_params()) h.push_back(std::string(kind) + ":G:" + p);
    for (const auto& p : discriminator_params()) h.push_back(std::string(kind) + ":D:" + p);
  }
  return h;
}

struct RunSpec {
  int rows = 600;           // iterations logged
  int batches_per_epoch = 250;
  int norms_every = 10;     // per-layer norm columns filled every N rows
  int eval_every = 100;     // SWD / MS-SSIM columns every N rows
  int sample_every = 50;    // a grid every N iterations
  bool torn_last_line = true;  // append a partial row as a killed run leaves
  bool with_images = true;
  int image_size = 64;      // decides the swd_<S> columns (32: swd_32, swd_16)
  nn::Precision precision = nn::Precision::f32;  // written to options.cfg
  double images_per_s = 95; // the mean of the throughput column
};

// The number of SWD pyramid levels at `image_size` px (S down to 16).
inline int swd_level_count(int image_size) {
  int n = 0;
  for (int s = image_size; s >= 16; s /= 2) ++n;
  return n;
}

// Writes the run into `dir` (which must exist). Returns the number of sample grids written.
inline int write_synthetic_run(const fs::path& dir, const RunSpec& spec) {
  std::mt19937 gen(1234);
  std::normal_distribution<double> g(0.0, 1.0);
  const auto header = metrics_header(spec.image_size);
  const int levels = swd_level_count(spec.image_size);
  const size_t ng = generator_params().size(), nd = discriminator_params().size();
  {
    trainer::CsvLog log(dir / "metrics.csv", header, 2, std::nullopt);
    for (int it = 0; it < spec.rows; ++it) {
      const double t = static_cast<double>(it) / std::max(1, spec.rows - 1);
      std::vector<std::string> c;
      auto v = [&](double x) { c.push_back(trainer::format_value(x)); };
      auto empty = [&] { c.emplace_back(); };
      v(it / spec.batches_per_epoch);
      v(it % spec.batches_per_epoch);
      v(it);
      const double spike = (it % 137 == 0 && it > 0) ? 4.0 : 0.0;
      v(std::max(0.02, 1.4 - 0.8 * t + 0.25 * g(gen)));                  // loss_d
      v(std::max(0.1, 1.5 + 2.5 * t + 0.8 * g(gen) + spike));            // loss_g
      v(std::clamp(0.55 + 0.2 * t + 0.08 * g(gen), 0.0, 1.0));           // d_x
      v(std::clamp(0.45 - 0.25 * t + 0.07 * g(gen), 0.0, 1.0));          // d_g_z1
      v(std::clamp(0.40 - 0.25 * t + 0.07 * g(gen), 0.0, 1.0));          // d_g_z2
      v(2e-4), v(2e-4);
      v(3.0 * std::exp(-t) + 0.3 * std::fabs(g(gen)));                   // grad_norm_d
      v(8.0 * std::exp(-0.5 * t) + 0.8 * std::fabs(g(gen)));             // grad_norm_g
      v(40 + 10 * t), v(60 + 5 * t);                                     // weight norms
      v(spec.images_per_s + 8 * g(gen));                                 // images/s
      v(1.3 * (it + 1));                                                 // wall_s
      if (it % spec.eval_every == 0) {
        const double q = 200 * std::exp(-3 * t) + 20;
        double sum = 0;
        for (int k = 0; k < levels; ++k) v(q * kSwdLevelFactors[k]), sum += kSwdLevelFactors[k];
        v(q * sum / levels), v(0.35 - 0.1 * t), v(0.21);
      } else {
        for (int k = 0; k < levels + 3; ++k) empty();
      }
      const bool norms = it % spec.norms_every == 0;
      for (size_t k = 0; k < ng + nd; ++k) {  // gradient norms, G then D layers
        if (norms) v(std::pow(10.0, -2.0 + 1.5 * static_cast<double>(k % 7) / 7) * (1 + 0.2 * g(gen)) * std::exp(-t));
        else empty();
      }
      for (size_t k = 0; k < ng + nd; ++k) {  // weight norms
        if (norms) v(1.0 + static_cast<double>(k) + 0.5 * t);
        else empty();
      }
      log.append(c);
    }
  }
  if (spec.torn_last_line) {
    std::ofstream f(dir / "metrics.csv", std::ios::app | std::ios::binary);
    f << "0,5,999999,0.12";  // cut inside a row: no newline
  }
  {
    namespace rl = trainer::run_layout;
    trainer::CsvLog w(dir / rl::kWarnings, {std::begin(rl::kWarningsColumns), std::end(rl::kWarningsColumns)}, 0,
                      std::nullopt);
    w.append({"120", "d_wins", "Loss_D has stayed below 0.05 for 100 iterations (now 0.01, Loss_G 7.2): the "
                               "discriminator wins"});
    w.append({"274", "exploding_gradients", "grad:D:main.0.weight = 512 is 250x its running median 2.05; also "
                                            "grad:D:main.2.weight"});
    w.append({"410", "mode_collapse", "possible mode collapse: \"quoted\", <b>markup</b> & a\nsecond line"});
  }
  {
    trainer::TrainOptions o;
    o.data = "/data/celeba-cache";
    o.out = dir.string();
    o.precision = spec.precision;
    std::ofstream(dir / "options.cfg") << trainer::to_config_text(o);
    std::ofstream(dir / "info.txt") << "onednn.version        2.6.3\nonednn.cpu_isa        Intel AVX-512 with "
                                       "bfloat16\ntbb.version           2021.8\ncompiler              g++ 12.2.0\n";
  }
  int grids = 0;
  if (spec.with_images) {
    fs::create_directories(dir / "samples");
    // The "generator" sharpens from blurry noise towards the smooth target images over the run.
    const auto target = evaltest::smooth_images(64, 3, 16, 99);
    for (int it = 0; it < spec.rows; it += spec.sample_every) {
      const double t = static_cast<double>(it) / spec.rows;
      const auto noisy = evaltest::add_noise(target, 1.0 - t, static_cast<uint32_t>(it));
      std::vector<float> mix(noisy.size());
      for (size_t i = 0; i < mix.size(); ++i) mix[i] = static_cast<float>(std::tanh(t * target[i] + (1 - t) * 0.3 * noisy[i]));
      char name[32];
      std::snprintf(name, sizeof name, "iter_%07d.png", it);
      trainer::write_png(dir / "samples" / name, trainer::make_grid(mix.data(), 64, 3, 16, 16));
      ++grids;
    }
    trainer::write_png(dir / "real_samples.png", trainer::make_grid(target.data(), 64, 3, 16, 16));
    std::ofstream(dir / "samples" / "iter_0000600.png.tmp4242") << "partial";  // an interrupted write
  }
  return grids;
}

}  // namespace runtest
