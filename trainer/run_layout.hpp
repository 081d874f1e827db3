// The files of a run directory, named in one place (written by the trainer, read by report and resume).
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

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

// The iteration of a checkpoint file name ("ckpt_0000500.h5" -> 500); nullopt for any other name (temporaries,
// files set aside as damaged).
inline std::optional<int64_t> checkpoint_iteration(const std::string& filename) {
  constexpr std::string_view pre = "ckpt_", suf = ".h5";
  if (filename.size() != pre.size() + 7 + suf.size() || filename.compare(0, pre.size(), pre) != 0 ||
      filename.compare(filename.size() - suf.size(), suf.size(), suf) != 0)
    return std::nullopt;
  int64_t v = 0;
  for (size_t i = pre.size(); i < pre.size() + 7; ++i) {
    if (filename[i] < '0' || filename[i] > '9') return std::nullopt;
    v = v * 10 + (filename[i] - '0');
  }
  return v;
}

}  // namespace trainer::run_layout
