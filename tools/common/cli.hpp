// The one exception handler every tool's main uses: usage errors exit 2, other failures exit 1.
//
// Convention across the libraries: std::invalid_argument means "a bad option value" (a usage error, named by
// option); every other std::exception is a failure of the work itself (a bad file, a full disk, ...).
#pragma once
#include <boost/program_options.hpp>

#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

namespace cli {

// Thrown by a tool's option handling for errors the user fixes on the command line.
struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A failure or a usage error (not success, and not 128+signal for an interrupted run).
inline bool failed(int rc) { return rc == kExitFailure || rc == kExitUsage; }

// Each message goes out in one write: under mpirun, several ranks' stderr lines are forwarded through one stream,
// and a message written piecewise (std::cerr is unbuffered) came out interleaved with another rank's.
inline void say(const std::string& message) { std::cerr << message << std::flush; }

template <class Body>
int run(const std::string& prog, Body&& body) {
  try {
    return body();
  } catch (const boost::program_options::error& e) {
    say(prog + ": " + e.what() + "\nTry '" + prog + " --help' for the options.\n");
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    say(prog + ": " + e.what() + "\nTry '" + prog + " --help' for the options.\n");
    return kExitUsage;
  } catch (const std::exception& e) {
    say(prog + ": error: " + e.what() + "\n");
    return kExitFailure;
  }
}

}  // namespace cli
