// `dcgan-onednn eval`: SWD and MS-SSIM of a checkpoint's generator against the real images of a cache.
#pragma once
#include "trainer/options.hpp"
#include "trainer/quality.hpp"

#include <string>

namespace trainer {

struct EvalResult : QualityScores {
  int n = 0;          // images per set
  double seconds = 0;
};

// Throws std::invalid_argument naming a bad option, std::runtime_error for an unreadable file.
EvalResult evaluate(const EvalOptions& o);
// One JSON object (eval --json): {"n", "swd_x1e3": {"<size>": ...}, "swd_avg_x1e3", "msssim_fake", ...}.
std::string to_json(const EvalResult& r);
// Aligned "name  value" lines, one per figure (eval's default output).
std::string to_text(const EvalResult& r);

}  // namespace trainer
