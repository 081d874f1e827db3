// `dcgan-onednn info`: library versions, compiler, CPU ISA, threads and GPU engines, as text or JSON.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace trainer {

struct InfoItem {
  std::string key;    // stable machine-readable key, e.g. "onednn.version"
  std::string value;  // as reported at run time
};

// Everything `info` prints, in order. Values come from the libraries at run time.
std::vector<InfoItem> collect_info();

void print_info(std::ostream& out, bool json);

}  // namespace trainer
