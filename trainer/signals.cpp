// Async-signal-safe stop flag for SIGINT/SIGTERM (see signals.hpp).
#include "trainer/signals.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace trainer {

namespace {
std::atomic<int> g_signal{0};

extern "C" void on_stop(int sig) {
  if (g_signal.exchange(sig) != 0) {
    // Second signal: the default action, so the user is never stuck.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}
}  // namespace

StopSignals::StopSignals() {
  g_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sa.sa_flags = SA_RESTART;  // reads and writes in flight (HDF5, the loader) continue rather than fail with EINTR
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGINT, &sa, &old_int_) != 0 || sigaction(SIGTERM, &sa, &old_term_) != 0)
    throw std::runtime_error(std::string("cannot install the SIGINT/SIGTERM handlers: ") + std::strerror(errno));
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

int stop_requested() { return g_signal.load(); }

}  // namespace trainer
