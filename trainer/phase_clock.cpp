// Summary line of the loop's phase times (see phase_clock.hpp).
#include "trainer/phase_clock.hpp"

#include <cstdio>

namespace trainer {

double PhaseClock::total() const {
  double t = 0;
  for (double v : s_) t += v;
  return t;
}

std::string PhaseClock::summary(int64_t iterations, int batch) const {
  const double t = total();
  if (t <= 0) return {};
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "%lld iterations in %.1f s: %.1f images/s; model step %.1f%% of the loop, "
                        "outside it %.1f%% (", static_cast<long long>(iterations), t,
                        static_cast<double>(iterations) * batch / t, 100 * s_[1] / t, 100 * (t - s_[1]) / t);
  bool first = true;
  for (int i = 0; i < kPhases; ++i) {
    if (i == static_cast<int>(Phase::step)) continue;
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "%s%s %.2f%%", first ? "" : ", ", kPhaseNames[i],
                       100 * s_[static_cast<size_t>(i)] / t);
    first = false;
  }
  std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ")\n");
  return buf;
}

}  // namespace trainer
