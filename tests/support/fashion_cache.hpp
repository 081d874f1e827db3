// Test helper: the first N Fashion-MNIST images (Debian's dataset-fashion-mnist) packed by celeba-pack into a cache,
// once per test binary and name.
#pragma once
#include "support/run.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

namespace testsupport {

inline constexpr const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";

// `name`: the directory under the test build tree (testsupport::fresh_dir); images: celeba-pack --limit.
inline std::filesystem::path pack_fashion_mnist(const std::string& name, int images) {
  const std::filesystem::path d = fresh_dir(name) / "fmnist";
  const auto r = run(std::string(CELEBA_PACK_EXE) + " --input " + kFashionMnist + " --layout idx --channels 1 --limit " +
                     std::to_string(images) + " --quiet --output " + d.string());
  if (r.status != 0) throw std::runtime_error("celeba-pack failed: " + r.err);
  return d;
}

}  // namespace testsupport
