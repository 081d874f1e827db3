// The files of a run directory, named in one place (written by the trainer, read by report and resume).
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace trainer::run_layout {

inline constexpr const char* kMetrics = "metrics.csv";    // one row per iteration, appended
inline constexpr const char* kWarnings = "warnings.csv";  // iter,kind,message
inline constexpr const char* kOptions = "options.cfg";    // the options used, as a --config file
inline constexpr const char* kInfo = "info.txt";          // `dcgan-onednn info` of the machine that trained
inline constexpr const char* kReport = "report.html";
inline constexpr const char* kSamplesDir = "samples";
inline constexpr const char* kRealSamples = "real_samples.png";
inline constexpr const char* kCheckpointsDir = "checkpoints";

// samples/iter_0000500.png
inline std::filesystem::path sample_path(const std::filesystem::path& run, int64_t iter) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "iter_%07lld.png", static_cast<long long>(iter));
  return run / kSamplesDir / buf;
}

// checkpoints/ckpt_0000500.h5 (iterations completed)
inline std::filesystem::path checkpoint_path(const std::filesystem::path& run, int64_t iter) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ckpt_%07lld.h5", static_cast<long long>(iter));
  return run / kCheckpointsDir / buf;
}

}  // namespace trainer::run_layout
