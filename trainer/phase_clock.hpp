// Wall time of the training loop split by phase, so the share outside the model step can be reported.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>

namespace trainer {

// data: loader wait and noise; step: Dcgan::train_step; bookkeeping: norms, health, metrics, log lines;
// samples: grids and the diversity check; eval: SWD/MS-SSIM; checkpoint: checkpoint and report.
enum class Phase { data, step, bookkeeping, samples, eval, checkpoint };
inline constexpr int kPhases = 6;
inline constexpr const char* kPhaseNames[kPhases] = {"data", "step", "bookkeeping", "samples", "eval", "checkpoint"};

class PhaseClock {
 public:
  using Seconds = std::array<double, kPhases>;

  // Runs f, adds its wall time to the phase, and returns what f returns.
  template <class F>
  auto time(Phase p, F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    struct Add {
      PhaseClock* c;
      Phase p;
      std::chrono::steady_clock::time_point t0;
      ~Add() { c->s_[static_cast<int>(p)] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }
    } add{this, p, t0};
    return f();
  }
  const Seconds& seconds() const { return s_; }
  double total() const;
  // "N iterations in T s: X images/s; model step S% of the loop; outside it O% (data a%, bookkeeping b%, ...)"
  std::string summary(int64_t iterations, int batch) const;

 private:
  Seconds s_{};
};

}  // namespace trainer
