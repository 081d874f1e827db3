// Cache: opens a packed training cache (cache_format.hpp), verifies it against its manifest, and reads images.
//
// A missing or replaced shard behind an HDF5 virtual dataset silently reads as zeros (fill value), so the
// constructor checks every shard listed in dataset.h5 (present, same size in bytes, format, version, count,
// geometry, the images' element type against the store) and reads every shard's images once to compare their
// CRC-32 with dataset.h5's, refusing a damaged cache by the shard's name. verify_checksums() re-reads them later.
#pragma once
#include "pipeline/cache_format.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pipeline {

enum class Partition { all, train, valid, test };  // CelebA list_eval_partition: 0 train, 1 valid, 2 test
inline constexpr std::pair<Partition, std::string_view> kPartitionNames[] = {
    {Partition::all, "all"}, {Partition::train, "train"}, {Partition::valid, "valid"}, {Partition::test, "test"}};
// A name of kPartitionNames; anything else throws std::invalid_argument naming --partition.
Partition parse_partition(std::string_view);
const char* partition_name(Partition);

class Cache {  // an opened, verified cache (read-only, thread-compatible: concurrent read() calls are safe)
 public:
  // Throws std::runtime_error naming the path and what was expected/found (missing dataset.h5, unknown format
  // or version, missing/truncated/mismatched shard, images of another element type, pixels whose CRC-32 differs).
  explicit Cache(const std::filesystem::path& dir);
  ~Cache();
  Cache(Cache&&) noexcept;
  Cache& operator=(Cache&&) noexcept;

  int64_t count() const;
  int channels() const;
  int size() const;
  float mean() const;   // x = (u/255 - mean)/std
  float stdev() const;
  Store store() const;
  const std::string& layout() const;  // celeba | folder | idx
  const std::filesystem::path& dir() const;
  size_t image_elems() const;  // C*S*S

  // Dataset positions in that partition, ascending. Throws std::invalid_argument naming --partition for a
  // partition other than all when the cache has no partition data.
  std::vector<int64_t> indices(Partition) const;
  bool has_partition() const;
  bool has_labels() const;
  bool has_attributes() const;

  // Reads images at dataset positions idx (any order, repeats allowed) as normalized float [n,C,S,S].
  void read(std::span<const int64_t> idx, float* dst) const;
  // Reads the stored uint8 pixels [n,C,S,S]; throws std::logic_error for a float-stored cache.
  void read_u8(std::span<const int64_t> idx, uint8_t* dst) const;

  // Per-sample metadata: file names read from the shards and labels from dataset.h5 on each call; partitions kept
  // since open.
  std::vector<std::string> filenames() const;
  std::vector<int64_t> labels() const;       // empty when absent
  std::vector<uint8_t> partitions() const;   // empty when absent

  // Re-reads every shard's images and compares CRC-32s with the manifest (as the constructor did); throws naming
  // the first bad shard.
  void verify_checksums() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipeline
