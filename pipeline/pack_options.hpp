// celeba-pack's options as a table (option_table.hpp): the command line, the checks and the options record of
// dataset.h5 derive from it. PackOptions (pack.hpp) holds the values.
#pragma once
#include "pipeline/option_table.hpp"
#include "pipeline/pack.hpp"

#include <string>
#include <utility>
#include <vector>

namespace pipeline {

const opt::Table<PackOptions>& pack_options();

// Throws std::invalid_argument naming the first bad option: the table's checks, --resume with --force, and the
// transform's own (--size, --channels, --max-pixels, checked by the stage that uses them).
void validate_options(const PackOptions& o);

// The options as recorded in dataset.h5: every row but the invocation's choices, names with '_' (shard_size),
// the input as an absolute path and the layout as detected.
std::vector<std::pair<std::string, std::string>> options_record(const PackOptions& o, Layout layout);
// The names options_record writes, in its order: what a reader looks up by name.
std::vector<std::string> options_record_names();

}  // namespace pipeline
