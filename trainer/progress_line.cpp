// Terminal progress line for training (see progress_line.hpp).
#include "trainer/progress_line.hpp"

#include <unistd.h>

#include <cstdio>
namespace trainer {

ProgressLine::ProgressLine(bool enabled) : on_(enabled && ::isatty(STDERR_FILENO)) {}

void ProgressLine::update(int64_t done, int64_t total, int batch, double elapsed_s, double loss_d, double loss_g) {
  if (!on_) return;
  if (first_done_ < 0) {  // rate and ETA from this session's iterations only (a resumed run starts mid-way)
    first_done_ = done - 1;
    first_elapsed_ = 0;
  }
  if (done != total && elapsed_s - last_draw_ < 0.25) return;
  last_draw_ = elapsed_s;
  const double secs = elapsed_s - first_elapsed_;
  const double its = secs > 0 ? static_cast<double>(done - first_done_) / secs : 0;
  const double eta = its > 0 ? static_cast<double>(total - done) / its : 0;
  const int width = 24;
  const int fill = total > 0 ? static_cast<int>(width * done / total) : width;
  char buf[256];
  std::snprintf(buf, sizeof buf, "\r[%-*.*s] %lld/%lld  %.1f img/s  ETA %d:%02d:%02d  Loss_D %.3f  Loss_G %.3f\033[K",
                width, fill, "########################", static_cast<long long>(done), static_cast<long long>(total),
                its * batch, static_cast<int>(eta / 3600), static_cast<int>(eta / 60) % 60, static_cast<int>(eta) % 60,
                loss_d, loss_g);
  std::fputs(buf, stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!on_ || !drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace trainer
