// Cache v1: every file, dataset and attribute name of the training cache, and its format version, in one place.
//
// A cache is a directory (DESIGN.md "Cache v1", issue #3):
//   shard-NNNNN.h5  images [n,C,S,S] (uint8, or normalized float16/float32), index, filename, optional
//                   attributes [n,40] int8 (+ names), partition uint8, label int64; file attributes below.
//   dataset.h5      written last: virtual datasets of the same names spanning the shards, the shard table,
//                   totals, rejected inputs and the options used.
//   rejected.txt    the rejected inputs, one "filename<TAB>reason" per line, for people (a backslash, tab,
//                   newline or carriage return in a field written as \\ \t \n \r; manifest.hpp).
// Stored uint8 pixels u map to the model's input as x = (u/255 - mean)/std (torchvision ToTensor+Normalize).
#pragma once
#include "pipeline/option_table.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace pipeline {

enum class Store { uint8, float16, float32 };  // element type of `images` (floats hold normalized values)

inline constexpr std::pair<Store, std::string_view> kStoreNames[] = {
    {Store::uint8, "uint8"}, {Store::float16, "float16"}, {Store::float32, "float32"}};
// A name of kStoreNames, else std::invalid_argument naming --store.
inline Store parse_store(std::string_view s) {
  try {
    return opt::parse_choice<Store>(kStoreNames, s);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--store: ") + e.what());
  }
}
inline const char* store_name(Store s) { return opt::choice_name<Store>(kStoreNames, s).data(); }
inline size_t store_bytes(Store s) { return s == Store::uint8 ? 1 : s == Store::float16 ? 2 : 4; }

}  // namespace pipeline

namespace pipeline::cache_format {

inline constexpr const char* kFormat = "dcgan-cache";  // value of the `format` attribute
inline constexpr int64_t kVersion = 1;                 // value of the `version` attribute; readers refuse others

// ---- files in the cache directory ----
inline constexpr const char* kManifestFile = "dataset.h5";
inline constexpr const char* kRejectedFile = "rejected.txt";
inline constexpr const char* kShardPrefix = "shard-";
inline constexpr const char* kShardSuffix = ".h5";
// "shard-00042.h5"
inline std::string shard_name(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "shard-%05lld.h5", static_cast<long long>(i));
  return buf;
}

// ---- per-sample datasets (in every shard, and as virtual datasets in dataset.h5) ----
inline constexpr const char* kImages = "images";          // [n,C,S,S] uint8 | float16 | float32
inline constexpr const char* kIndex = "index";            // [n] int64: position of the sample in the source order
inline constexpr const char* kFilename = "filename";      // [n] UTF-8 strings, relative to the input directory
inline constexpr const char* kAttributes = "attributes";  // [n,40] int8, 1 / -1 (CelebA only)
inline constexpr const char* kPartition = "partition";    // [n] uint8: 0 train, 1 valid, 2 test
inline constexpr const char* kLabel = "label";            // [n] int64: class (folder, idx)
inline constexpr const char* kAttrNames = "names";        // attribute of `attributes`: the 40 names
// The most attribute names a cache holds. `names` is one HDF5 attribute, which HDF5 (in the file format written here,
// the library's default) keeps in an object header message of at most 64 KiB; a variable-length string takes 16
// bytes of it whatever its length, so 4,091 names fit (measured) and 4,000 are allowed. Sources refuse more.
inline constexpr int64_t kMaxAttributeNames = 4000;

// ---- file attributes (shards and dataset.h5) ----
inline constexpr const char* kAttrFormat = "format";
inline constexpr const char* kAttrVersion = "version";
inline constexpr const char* kAttrSize = "size";          // S
inline constexpr const char* kAttrChannels = "channels";  // C
inline constexpr const char* kAttrCount = "count";        // images in this file (dataset.h5: all)
inline constexpr const char* kAttrMean = "mean";          // x = (u/255 - mean)/std
inline constexpr const char* kAttrStd = "std";
inline constexpr const char* kAttrLayout = "layout";      // source layout: celeba | folder | idx
inline constexpr const char* kAttrStore = "store";        // uint8 | float16 | float32 (floats are normalized)
inline constexpr const char* kAttrRule = "rule";          // the normalization rule, spelled out for h5py users
// shards only: the source-order range [source_begin, source_end) this shard covers (its images and rejects),
// and the canonical string of the options that determine its bytes (resume refuses a mismatch).
inline constexpr const char* kAttrSourceBegin = "source_begin";
inline constexpr const char* kAttrSourceEnd = "source_end";
inline constexpr const char* kAttrPackKey = "pack_key";
inline constexpr const char* kAttrChecksum = "checksum";  // CRC-32 (zlib) of the shard's raw images bytes
// dataset.h5 only
inline constexpr const char* kAttrSourceCount = "source_count";  // inputs considered (packed + rejected)
inline constexpr const char* kAttrRejectedCount = "rejected_count";
inline constexpr const char* kAttrShardCount = "shard_count";

// ---- groups in dataset.h5 (and `rejected` in shards: the rejects inside the shard's source range) ----
inline constexpr const char* kShards = "shards";              // name (str), count (int64), checksum (uint32), bytes (int64)
inline constexpr const char* kShardsName = "shards/name";
inline constexpr const char* kShardsCount = "shards/count";
inline constexpr const char* kShardsChecksum = "shards/checksum";  // CRC-32 (zlib) of the shard's raw images bytes
inline constexpr const char* kShardsBytes = "shards/bytes";        // shard file size
inline constexpr const char* kRejected = "rejected";
inline constexpr const char* kRejectedFilename = "rejected/filename";
inline constexpr const char* kRejectedReason = "rejected/reason";
inline constexpr const char* kRejectedSource = "rejected/source";  // int64 source positions
inline constexpr const char* kOptions = "options";            // group: one attribute per pack option

inline constexpr int kCelebaAttributes = 40;

}  // namespace pipeline::cache_format
