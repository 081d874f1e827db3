// `dcgan-onednn eval`: SWD and MS-SSIM of a checkpoint's generator against a cache (evaluate.hpp).
#include "trainer/evaluate.hpp"

#include "pipeline/cache.hpp"
#include "trainer/csv_log.hpp"
#include "trainer/model_state.hpp"
#include "trainer/noise.hpp"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace trainer {

EvalResult evaluate(const EvalOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  validate(o);
  nn::set_cpu_threads(o.threads);
  nn::Context ctx = nn::make_context(o.engine, nn::Precision::f32);
  auto model = load_model(ctx, o.checkpoint);
  const auto& c = model->config();
  pipeline::Cache cache(o.data);
  if (cache.channels() != c.nc || cache.size() != c.image_size)
    throw std::invalid_argument("--data: the cache holds " + std::to_string(cache.channels()) + "x" +
                                std::to_string(cache.size()) + "x" + std::to_string(cache.size()) +
                                " images, the generator makes " + std::to_string(c.nc) + "x" +
                                std::to_string(c.image_size) + "x" + std::to_string(c.image_size));
  int n = 0;
  const auto real = real_subset(cache, o.partition, o.n, o.seed, 0, &n);
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
  for (size_t i = 0; i < r.swd_per_level.size(); ++i)
    s << (i ? ", " : "") << '"' << r.swd_level_sizes[i] << "\": " << format_value(r.swd_per_level[i]);
  s << "}, \"swd_avg_x1e3\": " << format_value(r.swd_average) << ", \"msssim_fake\": " << format_value(r.msssim_fake)
    << ", \"msssim_real\": " << format_value(r.msssim_real) << ", \"seconds\": " << format_value(r.seconds) << "}";
  return s.str();
}

std::string to_text(const EvalResult& r) {
  std::ostringstream s;
  s << std::fixed << std::left << "images per set  " << r.n << '\n' << std::setprecision(3);
  for (size_t i = 0; i < r.swd_per_level.size(); ++i)
    s << "SWD x1e3 @" << std::setw(4) << r.swd_level_sizes[i] << "  " << r.swd_per_level[i] << '\n';
  s << "SWD x1e3 avg    " << r.swd_average << '\n' << std::setprecision(4) << "MS-SSIM fake    " << r.msssim_fake
    << "\nMS-SSIM real    " << r.msssim_real << '\n' << std::setprecision(1) << "seconds         " << r.seconds << '\n';
  return s.str();
}

}  // namespace trainer
