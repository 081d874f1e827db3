// One-line progress display for the training loop: bar, images/s, ETA and losses, on a terminal only.
#pragma once
#include <cstdint>

namespace trainer {

class ProgressLine {
 public:
  // Draws on standard error, only when `enabled` and it is a terminal; otherwise every call is a no-op.
  explicit ProgressLine(bool enabled);
  // At most ~4 redraws per second.
  void update(int64_t done, int64_t total, int batch, double elapsed_s, double loss_d, double loss_g);
  // Erases the line, so a log line can be printed cleanly.
  void clear();

 private:
  bool on_;
  bool drawn_ = false;
  double last_draw_ = -1;
  int64_t first_done_ = -1;
  double first_elapsed_ = 0;
};

}  // namespace trainer
