// RejectedInput: an input file that cannot become a sample (corrupt, truncated, not an image, too large).
//
// The pack graph records it (file name + what()) and goes on; it is not a failure of the run. Any other
// exception from decoding is a failure of the program itself (out of memory, a library that would not start).
#pragma once
#include <stdexcept>

namespace pipeline {

// An input that cannot become a sample; what() is a reason a person can read ("truncated JPEG: ...").
struct RejectedInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace pipeline
