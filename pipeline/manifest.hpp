// Manifest: dataset.h5, written last by a pack, read first by a Cache. It presents the shards as one dataset
// through HDF5 virtual datasets (h5py.File('dataset.h5')['images'][i] works), and records the shard table
// (name, count, CRC-32, bytes), totals, rejected inputs and the options used. Also writes rejected.txt.
#pragma once
#include "pipeline/shard_writer.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace pipeline {

struct ManifestData {
  ShardSpec spec;                   // geometry, store, layout, attribute names, partition/label presence
  std::vector<ShardInfo> shards;    // in order; their counts add up to count()
  std::vector<RejectRecord> rejected;
  int64_t source_count = 0;         // inputs considered: packed + rejected
  std::vector<std::pair<std::string, std::string>> options;  // as given on the command line, for the record
  int64_t count() const;
};

// Writes dir/dataset.h5 (temporary, fsync, rename) and dir/rejected.txt.
void write_manifest(const std::filesystem::path& dir, const ManifestData& m);

// Reads dir/dataset.h5. Throws std::runtime_error naming the file and what it found when it is missing, not a
// cache, or of an unknown format or version.
ManifestData read_manifest(const std::filesystem::path& dir);

// The text of rejected.txt: a comment line, then "filename<TAB>reason" per reject. A backslash, tab, newline or
// carriage return in either field is written as \\ \t \n \r, so that every reject keeps one line of two fields
// whatever its file name (a reader undoes the four escapes; dataset.h5's rejected/filename holds the names as they are).
std::string rejected_text(const std::vector<RejectRecord>& rejected, int64_t source_count);

}  // namespace pipeline
