// libFuzzer target: opening a packed cache (pipeline::Cache: manifest.cpp's read_manifest, then every shard checked
// against it, pixels CRC'd) and reading it back. The input holds two files separated by fuzz::kPartSeparator:
// dataset.h5 and shard-00000.h5, written into an empty directory (a one-shard cache, as the seeds are). A cache
// that opens is read as the loader and the trainer read it: images as float and uint8, names, labels, partitions.
#include "fuzz_support.hpp"

#include "pipeline/cache.hpp"
#include "pipeline/cache_format.hpp"

#include <algorithm>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchDir dir;
  dir.clear();
  const auto parts = fuzz::split_parts({data, size}, 2);
  dir.write(pipeline::cache_format::kManifestFile, parts[0]);
  if (parts.size() > 1) dir.write(pipeline::cache_format::shard_name(0), parts[1]);
  fuzz::expected_errors([&] {
    const pipeline::Cache c(dir.path());
    const int64_t n = std::min<int64_t>(c.count(), 8);
    std::vector<int64_t> idx;
    for (int64_t i = n - 1; i >= 0; --i) idx.push_back(i);  // descending, with a repeat: the gather's sort and runs
    idx.push_back(0);
    std::vector<float> f(idx.size() * c.image_elems());
    c.read(idx, f.data());
    if (c.store() == pipeline::Store::uint8) {
      std::vector<uint8_t> u(idx.size() * c.image_elems());
      c.read_u8(idx, u.data());
    }
    for (const auto p : {pipeline::Partition::all, pipeline::Partition::train})
      if (p == pipeline::Partition::all || c.has_partition()) (void)c.indices(p);
    (void)c.filenames();
    (void)c.labels();
    c.verify_checksums();
  });
  return 0;
}
