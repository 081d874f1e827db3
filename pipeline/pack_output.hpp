// The pack's output policy (used by pack.cpp, see pack.hpp): the pack key that decides
// whether a resume may continue, the output's lock, the output directory before packing (--resume / --force),
// the state an interrupted or finished run left behind, and the disk-space checks.
#pragma once
#include "pipeline/dir_lock.hpp"
#include "pipeline/manifest.hpp"
#include "pipeline/pack.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pipeline {

// Warnings always reach the log; notes (what is read, what a resume keeps) only without --quiet.
void pack_warn(const PackOptions& o, const std::string& msg);
void pack_note(const PackOptions& o, const std::string& msg);

// What every shard of this pack shares, including its pack key: everything that decides the bytes of the cache
// (a resume with a different key would mix two caches).
ShardSpec make_shard_spec(const PackOptions& o, const Source& s, int64_t source_count);

// One writer per output: creates the output directory if needed and locks it (dir_lock.hpp) for the life of the
// returned lock. Throws naming the output when it is not a directory, or naming the process that holds it.
std::unique_ptr<DirLock> lock_output(const PackOptions& o);

// The locked output directory before packing: refuses an existing cache without --resume/--force, clears it with
// --force, removes stale temporaries. The lock file counts for nothing and stays.
void prepare_output(const PackOptions& o);

// --resume of a finished cache: its manifest when dataset.h5 exists, after checking that it has the same pack key
// and that every shard matches it; nothing when there is no dataset.h5.
std::optional<ManifestData> finished_cache(const PackOptions& o, const std::string& key);

struct Resumed {  // what an interrupted run left: its complete shards and their rejects
  std::vector<ShardInfo> shards;
  std::vector<RejectRecord> rejected;
  int64_t next_source = 0;  // the first input still to pack
};

// Complete shards of an interrupted run with the same pack key, in order from shard 0; later files are removed.
Resumed scan_shards(const PackOptions& o, const std::string& key);

// Refuses to start an uncompressed pack of `inputs` images that would not fit on the output's disk, `copies` times
// (2 across MPI ranks: the spools hold the images until the shards are written).
void check_free_space(const PackOptions& o, int64_t inputs, size_t image_bytes, int copies = 1);

// Rethrows e (the exception being handled) as a full-disk message when the output's disk is indeed full.
[[noreturn]] void rethrow_with_disk_state(const PackOptions& o, const std::exception& e);

}  // namespace pipeline
