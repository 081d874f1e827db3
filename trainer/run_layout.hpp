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
inline constexpr const char* kWarnings = "warnings.csv";  // columns kWarningsColumns, one row per warning
inline constexpr const char* kOptions = "options.cfg";    // the options used, as a --config file
inline constexpr const char* kInfo = "info.txt";          // `dcgan-onednn info` of the machine that trained
inline constexpr const char* kReport = "report.html";
inline constexpr const char* kSamplesDir = "samples";
inline constexpr const char* kRealSamples = "real_samples.png";
inline constexpr const char* kCheckpointsDir = "checkpoints";

// The columns of warnings.csv (a HealthWarning per row; run_files.cpp reads them back in this order).
inline constexpr const char* kWarningsColumns[] = {"iter", "kind", "message"};

// Every sample grid (and real_samples.png) shows the images of the tutorial's fixed_noise: 64, in rows of 8.
inline constexpr int kGridImages = 64;
inline constexpr int kGridColumns = 8;

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

// The number in `prefix<digits>suffix` (between min_digits and max_digits decimal digits), or nullopt for any
// other name: temporaries, files set aside as damaged, strangers.
inline std::optional<int64_t> number_in_name(std::string_view name, std::string_view prefix, std::string_view suffix,
                                             size_t min_digits, size_t max_digits) {
  if (name.size() < prefix.size() + suffix.size() + min_digits || name.substr(0, prefix.size()) != prefix ||
      name.substr(name.size() - suffix.size()) != suffix)
    return std::nullopt;
  const std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > max_digits) return std::nullopt;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The iteration of a checkpoint file name ("ckpt_0000500.h5" -> 500).
inline std::optional<int64_t> checkpoint_iteration(std::string_view filename) {
  return number_in_name(filename, "ckpt_", ".h5", 7, 7);
}

// The iteration of a sample grid's file name ("iter_0000500.png" -> 500; wider numbers are accepted).
inline std::optional<int64_t> sample_iteration(std::string_view filename) {
  return number_in_name(filename, "iter_", ".png", 1, 18);
}

}  // namespace trainer::run_layout
