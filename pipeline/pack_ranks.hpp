// Packing across the ranks of an MPI job (`mpirun -np N celeba-pack`): the pieces pack.cpp's pack_across_ranks
// puts together.
//
// Each rank decodes a contiguous slice of the inputs into its spool, in the output directory. Shard boundaries
// follow the accepted images (every shard_size of them, the rejects between two shards in the earlier one), so
// they are known only once every slice is decoded: then every rank reads every spool's index, plans the same
// shards a one-process pack cuts (plan_shards), and writes the shards whose first image it decoded, reading the
// images of the slices that follow from their ranks' spools. The output is byte-identical to a one-process pack.
#pragma once
#include "nn/collectives.hpp"
#include "pipeline/pack_graph.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace pipeline {

// A C stream, closed when it goes (the spool's files are read and written through stdio).
using CFile = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// Spool files start with this; prepare_output removes them with the other stale temporaries.
inline constexpr const char* kSpoolPrefix = "spool-";

// Inputs [begin, end) of the source.
struct Slice {
  int64_t begin = 0, end = 0;
  bool contains(int64_t i) const { return i >= begin && i < end; }
};

// The slice rank `rank` of `ranks` decodes: [begin, end) cut into contiguous slices in rank order, sizes differing
// by at most one.
Slice rank_slice(int64_t begin, int64_t end, int rank, int ranks);

struct PlannedShard {
  int64_t shard = 0;                       // its number: shard-NNNNN.h5
  int64_t source_begin = 0, source_end = 0;  // the inputs it covers, images and rejects
  int rank = 0;                            // its writer: the rank whose slice holds its first image
};

// The shards a one-process pack (ShardWriter) cuts from inputs [slices.front().begin, slices.back().end), numbered
// from first_shard: a new shard at every shard_size-th accepted image, the rejects before a shard's first image in
// the shard before it, the first shard starting at the first input and the last ending at the last; with no image
// at all but some rejects, one image-less shard holds them (rank 0 writes it). accepted [inputs]: 1 packed, 0
// rejected, in source order; slices: the ranks' slices, contiguous, in rank order.
std::vector<PlannedShard> plan_shards(const std::vector<uint8_t>& accepted, const std::vector<Slice>& slices,
                                      int64_t shard_size, int64_t first_shard);

// One rank's decoded slice, the sink of its flow graph: the packed images' bytes in source order
// (spool-RRRRR.images.tmp), and, written once the slice is complete, which inputs were packed, with their CRC-32,
// and why the others were rejected (spool-RRRRR.index.tmp). `job` (a number drawn by rank 0 for this run) marks the
// index, so that a spool of another run is never read as this one's.
class SpoolWriter final : public PackSink {
 public:
  SpoolWriter(std::filesystem::path dir, int rank, uint64_t job, size_t image_bytes, Slice slice);
  ~SpoolWriter() override;  // removes the images file of an unfinished spool
  void image(int64_t source, const uint8_t* image, uint32_t crc) override;
  void reject(int64_t source, const std::string& reason) override;
  void finish() override;  // closes the images file and writes the index

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A finished spool's index.
struct SpoolIndex {
  Slice slice;
  std::vector<int64_t> item;         // [slice inputs]: >= 0 the image's number in the spool, < 0 -(reject number) - 1
  std::vector<uint32_t> crc;         // [images]
  std::vector<std::string> reasons;  // [rejects]
};
// Reads rank `rank`'s spool index; throws naming the file when it is missing, damaged or from another job.
SpoolIndex read_spool_index(const std::filesystem::path& dir, int rank, uint64_t job);

// Reads images of rank `rank`'s spool.
class SpoolReader {
 public:
  SpoolReader(const std::filesystem::path& dir, int rank, size_t image_bytes);
  // Image number `image` into out [image_bytes]; throws naming the file when it is short or its bytes do not have
  // the CRC-32 the index gives (`crc`).
  void read(int64_t image, uint32_t crc, uint8_t* out);

 private:
  std::filesystem::path path_;
  size_t image_bytes_;
  CFile file_;
};

// Removes rank `rank`'s spool files.
void remove_spool(const std::filesystem::path& dir, int rank);

// The file rank 0 writes into the output directory with this run's job number, and every rank reads back: a rank
// that cannot is not writing into the same directory (the output must be shared by every rank).
std::filesystem::path job_file(const std::filesystem::path& dir);

// Every rank makes the same call; a rank that differs ends nothing by itself: each throws the same message.
// Throws on every rank, naming the ranks, when their values of `fact` (what shapes the pack) differ from rank 0's.
void check_ranks_agree(nn::Collectives& g, const std::string& fact, const std::string& what);
// Throws on every rank when some rank's `ok` is false, naming those ranks and `problem`.
void check_all_ok(nn::Collectives& g, bool ok, const std::string& problem);
// Returns when every rank has called it.
void barrier(nn::Collectives& g);

}  // namespace pipeline
