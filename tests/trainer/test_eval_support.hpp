// Test helpers for the evaluation tests: the golden fixture (tests/golden/eval/eval_golden.h5) and synthetic images.
#pragma once
#include "pipeline/h5.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace evaltest {

inline std::filesystem::path golden_path() {
  return std::filesystem::path(DCGAN_SOURCE_DIR) / "tests" / "golden" / "eval" / "eval_golden.h5";
}

inline h5::File open_golden() {
  h5::quiet_errors();
  h5::File f = h5::File::open(golden_path());
  if (h5::get_attr_string(f.id(), "format", f.file()) != "dcgan-eval-golden" ||
      h5::get_attr_int(f.id(), "version", f.file()) != 1)
    throw std::runtime_error(f.file() + ": not a dcgan-eval-golden v1 fixture (rerun tests/golden/make_eval_golden.py)");
  return f;
}

// uint8 -> [-1, 1] exactly as the fixture script does in float32: x / 127.5 - 1.
inline std::vector<float> to_unit(const std::vector<uint8_t>& u8) {
  std::vector<float> v(u8.size());
  for (size_t i = 0; i < u8.size(); ++i) v[i] = static_cast<float>(u8[i]) / 127.5f - 1.0f;
  return v;
}

// n smooth random [c, s, s] images in [-1, 1]: a few Gaussian blobs on a gradient, plus a little pixel noise.
inline std::vector<float> smooth_images(int n, int c, int s, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.03);
  std::vector<float> out(static_cast<size_t>(n) * c * s * s);
  for (int i = 0; i < n; ++i)
    for (int ch = 0; ch < c; ++ch) {
      const double base = u(gen) - 0.5, gx = (u(gen) - 0.5) / s, gy = (u(gen) - 0.5) / s;
      double blobs[5][4];
      for (auto& b : blobs) b[0] = u(gen) * s, b[1] = u(gen) * s, b[2] = 2 + u(gen) * s / 4, b[3] = (u(gen) - 0.5) * 1.6;
      for (int y = 0; y < s; ++y)
        for (int x = 0; x < s; ++x) {
          double v = base + gx * x + gy * y + noise(gen);
          for (auto& b : blobs) v += b[3] * std::exp(-((y - b[0]) * (y - b[0]) + (x - b[1]) * (x - b[1])) / (2 * b[2] * b[2]));
          out[((static_cast<size_t>(i) * c + ch) * s + y) * s + x] = static_cast<float>(std::tanh(v));
        }
    }
  return out;
}

// images + sigma * N(0, 1) noise (not clamped).
inline std::vector<float> add_noise(const std::vector<float>& images, double sigma, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<float> out(images);
  for (auto& v : out) v = static_cast<float>(v + sigma * g(gen));
  return out;
}

}  // namespace evaltest
