// Async-signal-safe stop flag for SIGINT/SIGTERM (see signals.hpp).
#include "trainer/signals.hpp"

#include <atomic>
#include <csignal>

namespace trainer {

namespace {
std::atomic<int> g_signal{0};

extern "C" void on_stop(int sig) {
  if (g_signal.exchange(sig) != 0) {
    // Second signal: restore the default action and re-raise, so the user is never stuck.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int stop_requested() { return g_signal.load(); }
void clear_stop_request() { g_signal.store(0); }

}  // namespace trainer
