// Terminal progress bar / plain progress lines (see progress.hpp).
#include "pipeline/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace pipeline {

Progress::Progress(std::string label, int64_t total, std::string unit, Mode mode, std::FILE* out, double line_every_s)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), mode_(mode), out_(out),
      line_every_s_(line_every_s), start_(std::chrono::steady_clock::now()) {
  if (!out_) mode_ = Mode::quiet;
  if (mode_ == Mode::automatic) mode_ = ::isatty(::fileno(out_)) ? Mode::bar : Mode::lines;
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t done) {
  done_ = done;
  if (mode_ == Mode::quiet) return;
  const double t = elapsed_seconds();
  const double every = mode_ == Mode::bar ? 0.125 : line_every_s_;
  if (t - last_draw_ < every) return;
  last_draw_ = t;
  draw(false);
}

void Progress::clear() {
  if (mode_ != Mode::bar || !drawn_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  drawn_ = false;
}

void Progress::finish() {
  if (mode_ == Mode::quiet) return;
  draw(true);
}

void Progress::draw(bool final) {
  const double t = elapsed_seconds();
  const double rate = t > 0 ? static_cast<double>(done_ - start_done_) / t : 0.0;
  const double frac = total_ > 0 ? std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0) : 1.0;
  const std::string eta = rate > 0 && done_ < total_ ? format_duration(static_cast<double>(total_ - done_) / rate) : "-";
  char tail[160];
  std::snprintf(tail, sizeof tail, "%lld/%lld %s, %.0f %s/s, %s %s", static_cast<long long>(done_),
                static_cast<long long>(total_), unit_.c_str(), rate, unit_.c_str(), final ? "took" : "ETA",
                final ? format_duration(t).c_str() : eta.c_str());
  if (mode_ == Mode::bar) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(std::lround(frac * kWidth));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(out_, "\r\033[K%s [%s] %3.0f%% %s%s%s", label_.c_str(), bar.c_str(), frac * 100, tail,
                 note_.empty() ? "" : "  ", note_.c_str());
    drawn_ = !final;
    if (final) std::fputc('\n', out_);
  } else {
    std::fprintf(out_, "%s: %3.0f%% %s\n", label_.c_str(), frac * 100, tail);
  }
  std::fflush(out_);
}

std::string format_duration(double seconds) {
  const long long s = std::max(0LL, static_cast<long long>(std::llround(seconds)));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

std::string format_bytes(int64_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (bytes < 1000) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else if (b < 1e6) std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
  else if (b < 1e9) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  return buf;
}

}  // namespace pipeline
