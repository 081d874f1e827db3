// pack: reads a dataset once (celeba, folder or idx source) and writes a sharded HDF5 cache, as a oneTBB flow graph
// (pack_graph.hpp, DESIGN.md "celeba-pack"), in one process or across the ranks of an MPI job (pack_ranks.hpp).
//
// The bytes written depend only on the input and the options that enter the pack key, never on --threads or on
// the number of ranks.
#pragma once
#include "nn/collectives.hpp"
#include "pipeline/cache_format.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/sources.hpp"
#include "pipeline/transform.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pipeline {

struct PackOptions {
  std::filesystem::path input;
  std::filesystem::path output;
  std::optional<Layout> layout;        // detected when empty
  TransformOptions transform;          // --size, --channels, --exact, --max-pixels
  Store store = Store::uint8;          // --store
  int deflate_level = -1;              // --compression: -1 none, 0..9 deflate
  int64_t shard_size = 16384;          // --shard-size
  int threads = 0;                     // --threads: 0 = oneTBB's default (all cores)
  bool fail_on_error = false;          // --on-error fail
  int64_t limit = 0;                   // --limit: first N inputs, 0 = all
  bool resume = false;                 // --resume
  bool force = false;                  // --force
  Progress::Mode progress = Progress::Mode::automatic;  // quiet for --quiet
  std::FILE* log = stderr;             // warnings, notes and progress; nullptr: silent
  int tokens = 0;                      // limiter tokens; 0: max(16, 8 per thread)
  // The ranks packing together (mpirun -np N celeba-pack: every rank calls pack() with the same options); nullptr
  // or a group of one: this process alone. --output must be one directory every rank shares.
  nn::Collectives* group = nullptr;
};

struct PackSummary {
  int64_t packed = 0;          // images in the cache
  int64_t rejected = 0;        // inputs recorded in rejected.txt
  int64_t shards = 0;          // shard files in the cache
  int64_t resumed_shards = 0;  // complete shards kept from an interrupted run
  int64_t processed = 0;       // inputs read and transformed by this run
  double seconds = 0;          // this run, wall clock
  int64_t bytes_written = 0;   // by this run (shards, dataset.h5, rejected.txt)
  bool already_complete = false;  // --resume found a finished cache with the same options
  std::string source;          // what was read, for the log
};

// Validates the options (std::invalid_argument naming the option), packs, and returns the summary (across ranks:
// rank 0's holds the cache's counts, the other ranks' only the source).
// Throws std::runtime_error for a missing/empty input, an output another process is packing into (its lock,
// dir_lock.hpp), an existing output without --resume/--force, a resume with different options, a full disk, every
// input rejected, or (--on-error fail) the first bad input.
PackSummary pack(const PackOptions& options);

// "none" -> -1, "deflate" -> 4, "deflate:N" (N in 0..9) -> N; else std::invalid_argument naming --compression.
int parse_compression(std::string_view);
// "skip" -> false, "fail" -> true; else std::invalid_argument naming --on-error.
bool parse_on_error(std::string_view);

// The human summary printed at the end: packed, rejected, seconds, images/s, bytes written.
std::string format_summary(const PackSummary& s, const PackOptions& o);

}  // namespace pipeline
