// libFuzzer target: the IDX source (pipeline/source_idx.cpp). The input holds up to three files separated by
// fuzz::kPartSeparator: an image file, its label file, and a second image file. Each is written into an empty
// directory as train-images-idx3-ubyte / train-labels-idx1-ubyte / t10k-images-idx3-ubyte, with ".gz" added when
// the part starts with gzip's magic bytes (the source then inflates it with zlib). The directory is opened with
// open_idx_source, every image is read, and the first goes through Transform::pixels as the pack does.
#include "fuzz_support.hpp"

#include "pipeline/sources.hpp"
#include "pipeline/transform.hpp"

#include <algorithm>
#include <vector>

namespace {

std::string name_for(const std::string& stem, fuzz::Bytes part) {
  const bool gz = part.size() >= 2 && part[0] == 0x1f && part[1] == 0x8b;
  return stem + (gz ? ".gz" : "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchDir dir;
  static pipeline::Transform transform({28, 1, pipeline::ResizeMode::exact, 1 << 20});
  dir.clear();
  const auto parts = fuzz::split_parts({data, size}, 3);
  const char* stems[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"};
  for (size_t i = 0; i < parts.size(); ++i) dir.write(name_for(stems[i], parts[i]), parts[i]);
  fuzz::expected_errors([&] {
    const auto src = pipeline::open_idx_source(dir.path());
    pipeline::SourceItem item;
    for (int64_t i = 0; i < std::min<int64_t>(src->count(), 256); ++i) {
      src->read(i, item);
      if (item.bytes.size() != size_t(item.width) * size_t(item.height) * size_t(item.channels)) __builtin_trap();
      if (src->has_labels()) (void)src->label(i);
      if (src->has_partition()) (void)src->partition(i);
    }
    src->read(0, item);
    std::vector<uint8_t> out(transform.output_elems());
    transform.pixels(item.bytes.data(), item.width, item.height, item.channels, out.data());
  });
  return 0;
}
