// Progress: reports a long count-up (images packed, batches read) as a redrawn bar with rate and ETA on a
// terminal, as plain periodic lines when the output is a file or pipe (logs, CI), or not at all (--quiet).
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace pipeline {

class Progress {
 public:
  enum class Mode { automatic, bar, lines, quiet };  // automatic: bar when `out` is a terminal, else lines

  // label: what is counted, e.g. "packing"; unit: "images". Lines mode prints every line_every_s seconds.
  Progress(std::string label, int64_t total, std::string unit = "images", Mode mode = Mode::automatic,
           std::FILE* out = stderr, double line_every_s = 5.0);
  // Sets the count done so far. Cheap enough to call per item: it draws at most ~8 times a second.
  void update(int64_t done);
  // The count already done when this session started (a resumed job): rate and ETA count only what follows.
  void set_start(int64_t done) { start_done_ = done_ = done; }
  // Text shown after the rate and ETA in bar mode (e.g. the latest losses).
  void set_note(std::string note) { note_ = std::move(note); }
  // Erases the bar (bar mode) so that a log line can be printed; the next update draws it again.
  void clear();
  // Draws the final state and ends the line (bar mode).
  void finish();
  double elapsed_seconds() const;
  Mode mode() const { return mode_; }

 private:
  void draw(bool final);
  std::string label_, unit_, note_;
  int64_t total_, done_ = 0, start_done_ = 0;
  bool drawn_ = false;
  Mode mode_;
  std::FILE* out_;
  double line_every_s_;
  std::chrono::steady_clock::time_point start_;
  double last_draw_ = -1e9;
};

// "1:02:03", "4:05" (hours only when needed).
std::string format_duration(double seconds);
// "512 B", "3.4 MB", "2.49 GB" (decimal units).
std::string format_bytes(int64_t bytes);

}  // namespace pipeline
