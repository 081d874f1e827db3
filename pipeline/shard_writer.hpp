// ShardWriter: appends packed samples in dataset order and cuts them into shard-NNNNN.h5 files of
// `shard_size` images, each written as a temporary, fsync'd and renamed only when complete (atomic_file.hpp).
//
// Source ranges: every shard records the source positions [source_begin, source_end) it covers; a shard is
// closed when the first image of the next shard arrives (or at finish()), so the rejects between two shards
// belong to the earlier one and the last shard ends at the end of the input. --resume continues at the last
// complete shard's source_end and recovers the earlier rejects from the shards' `rejected` groups.
#pragma once
#include "pipeline/cache_format.hpp"

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pipeline {

struct ShardSpec {  // what every shard of one pack shares
  int size = 64;
  int channels = 3;
  Store store = Store::uint8;
  int deflate_level = -1;  // -1: contiguous, unfiltered; 0..9: chunked by image, deflate
  int64_t shard_size = 16384;
  double mean = 0.5, std = 0.5;
  std::string layout;                        // celeba | folder | idx
  std::string pack_key;                      // canonical options + input identity; resume refuses a mismatch
  std::vector<std::string> attribute_names;  // empty: no `attributes` dataset
  bool partition = false;
  bool labels = false;
  size_t image_elems() const { return size_t(channels) * size_t(size) * size_t(size); }
  size_t image_bytes() const { return image_elems() * store_bytes(store); }
};

struct ShardInfo {
  std::string name;          // shard-NNNNN.h5
  int64_t count = 0;         // images
  uint32_t checksum = 0;     // CRC-32 of the raw images bytes
  int64_t bytes = 0;         // file size
  int64_t source_begin = 0;  // source positions covered, images and rejects
  int64_t source_end = 0;
};

struct RejectRecord {
  int64_t source = 0;  // position in the source order
  std::string filename;
  std::string reason;
};

class ShardWriter {
 public:
  // Writes shards first_shard, first_shard+1, ... into dir for the inputs at source positions
  // [source_begin, source_end).
  ShardWriter(std::filesystem::path dir, ShardSpec spec, int64_t first_shard, int64_t source_begin, int64_t source_end);
  ~ShardWriter();  // removes an unfinished temporary (a failed or interrupted pack)
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // One packed sample in source order. image: image_bytes() of the stored type [C,S,S]; attributes: K int8
  // (ignored without attribute names); partition/label ignored when the spec has none. image_crc: the zlib
  // CRC-32 of the image bytes when the caller computed it (in the parallel stage of the pack), else -1.
  void append(int64_t source, std::string_view filename, const void* image, const int8_t* attributes,
              uint8_t partition, int64_t label, int64_t image_crc = -1);
  // One rejected input in source order.
  void reject(int64_t source, std::string_view filename, std::string_view reason);
  // Closes the last shard (ending at source_end) and waits for its commit (a shard is committed, fsync'd and
  // renamed, in the background while the next one fills). Returns the shards this writer completed.
  const std::vector<ShardInfo>& finish();

  const std::vector<ShardInfo>& completed() const;    // committed so far
  const std::vector<RejectRecord>& rejected() const;  // every reject seen, in order
  int64_t images() const;                             // appended so far
  int64_t bytes_written() const;                      // of completed shards

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The file attributes shards and dataset.h5 share: format, version, size, channels, count, mean, std, layout,
// store, rule, pack_key.
void write_cache_attributes(hid_t obj, const std::string& file, const ShardSpec& spec, int64_t count);

// A complete shard found on disk, for --resume: its table entry, its rejects, and its pack key.
struct ExistingShard {
  ShardInfo info;
  std::vector<RejectRecord> rejected;
  std::string pack_key;
};
// Reads shard `name` in dir; throws naming it when it is not a complete cache shard.
ExistingShard read_shard_summary(const std::filesystem::path& dir, const std::string& name);

}  // namespace pipeline
