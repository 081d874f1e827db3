// `dcgan-onednn info`: library versions, compiler, CPU ISA, threads and GPU engines, as text or JSON.
#pragma once
#include "pipeline/versions.hpp"

#include <iosfwd>
#include <vector>

namespace trainer {

using pipeline::InfoItem;

// Everything `info` prints, in order. Values come from the libraries at run time.
std::vector<InfoItem> collect_info();

void print_info(std::ostream& out, bool json);

}  // namespace trainer
