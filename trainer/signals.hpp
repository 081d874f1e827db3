// SIGINT/SIGTERM become a flag the training loop polls, so it can checkpoint and stop cleanly.
#pragma once

namespace trainer {

// Installs the handlers (idempotent). A second signal while the first is being handled kills the process as
// usual, so a stuck run can still be stopped.
void install_stop_handlers();
// The signal number received, or 0.
int stop_requested();
// Clears the flag (tests).
void clear_stop_request();

}  // namespace trainer
