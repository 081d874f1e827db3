// SIGINT/SIGTERM become a flag the training loop polls, so it can checkpoint and stop cleanly.
#pragma once
#include <csignal>

namespace trainer {

// While alive: SIGINT and SIGTERM set the stop flag instead of killing the process (a second one while the first
// is being handled kills it as usual, so a stuck run can still be stopped). The constructor clears the flag;
// the destructor restores the previous handlers. Throws std::runtime_error if sigaction fails.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// The signal number received while a StopSignals was alive, or 0.
int stop_requested();

}  // namespace trainer
