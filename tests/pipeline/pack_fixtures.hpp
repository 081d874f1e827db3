// Test fixtures for the pack/cache/loader tests: CelebA-like samples made at test time by
// ../shared/tools/make_celeba_like.py (real photographs), tiny IDX files, and small file helpers.
#pragma once
#include "pipeline/cache_h5.hpp"
#include "pipeline/manifest.hpp"
#include "pipeline/shard_writer.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace packtest {

namespace fs = std::filesystem;

inline const std::string kPython = "/usr/bin/python3";

inline fs::path make_celeba_like_script() {
  return fs::path(DCGAN_SOURCE_DIR).parent_path() / "shared" / "tools" / "make_celeba_like.py";
}

// True when /usr/bin/python3 can import the given modules (e.g. "PIL, numpy").
inline bool python_has(const std::string& modules) {
  return testsupport::run(kPython + " -c 'import " + modules + "'").status == 0;
}

// A CelebA-like sample of n images (seed 0), made once per build tree and shared by the tests that read it.
// Returns an empty path when the generator or its packages are missing (the caller skips).
inline fs::path celeba_like(int n, std::string* why = nullptr) {
  const fs::path dir = fs::path(DCGAN_TEST_TMP) / ("celeba_like_" + std::to_string(n));
  if (fs::exists(dir / "list_eval_partition.txt")) return dir;
  if (!fs::exists(make_celeba_like_script())) {
    if (why) *why = "no " + make_celeba_like_script().string();
    return {};
  }
  // Built in a private directory and renamed into place, so that concurrent test processes never see half of it.
  const fs::path tmp = fs::path(DCGAN_TEST_TMP) / ("celeba_like_" + std::to_string(n) + ".tmp" + std::to_string(::getpid()));
  fs::create_directories(tmp.parent_path());
  fs::remove_all(tmp);
  const auto r = testsupport::run(kPython + " " + make_celeba_like_script().string() + " " + tmp.string() +
                                  " --n " + std::to_string(n));
  if (r.status != 0) {
    if (why) *why = "make_celeba_like.py failed (needs python3-pil, python3-numpy, python3-skimage, mate-backgrounds): " + r.err;
    fs::remove_all(tmp);
    return {};
  }
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp);  // another process won the race
  return dir;
}

// The message of the exception f throws (fails the test when none is thrown).
template <class F>
inline std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return {};
}

// In a TEST body: `var` = a CelebA-like sample of n images, or skip the test saying why it cannot be made.
#define REQUIRE_CELEBA_LIKE(var, n)                                      \
  std::string why_##var;                                                 \
  const std::filesystem::path var = packtest::celeba_like(n, &why_##var); \
  if (var.empty()) GTEST_SKIP() << why_##var

inline void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const fs::path& p) { return testsupport::slurp(p); }

// A small real JPEG committed with the transform goldens (k in 1..24): for tests that need a few decodable images
// without ../shared.
inline fs::path golden_jpeg(int k) {
  char n[32];
  std::snprintf(n, sizeof n, "celeba_%06d.jpg", k);
  return fs::path(DCGAN_SOURCE_DIR) / "tests" / "golden" / "transform" / "inputs" / n;
}

// rejected.txt's escapes undone (\\ \t \n \r, see manifest.hpp), as a reader of the file does.
inline std::string unescape_rejected_field(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    out += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
  }
  return out;
}

// Byte offset in a shard file of its stored images: the contiguous `images` data (H5Dget_offset, as cache.cpp
// reads it), or the first chunk of a chunked (deflate) dataset.
inline uint64_t images_data_offset(const fs::path& shard) {
  h5::File f = h5::File::open(shard);
  h5::Handle d = h5::open_dataset(f, "images");
  const haddr_t off = H5Dget_offset(d.id());
  if (off != HADDR_UNDEF) return off;
  h5::Handle space(H5Dget_space(d.id()), H5Sclose);
  hsize_t chunk_at[4] = {};
  unsigned filter_mask = 0;
  haddr_t addr = HADDR_UNDEF;
  hsize_t size = 0;
  h5::check(H5Dget_chunk_info(d.id(), space.id(), 0, chunk_at, &filter_mask, &addr, &size), "locating chunk 0",
            f.file());
  return addr;
}

// Flips the bits `mask` of the byte at `offset` in place: the file keeps its size and every other byte.
inline void flip_byte(const fs::path& p, uint64_t offset, uint8_t mask = 0x40) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f) << p;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ static_cast<char>(mask)));
  ASSERT_TRUE(f) << p;
}

inline std::string be32(uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 255), char((v >> 8) & 255), char(v & 255)};
}

// A deterministic test pattern for image k of an IDX file: pixel (y, x) = (k*37 + y*w + x*5) % 256.
inline std::string idx_pixels(int k, int w, int h) {
  std::string s(size_t(w) * size_t(h), '\0');
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) s[size_t(y) * w + x] = static_cast<char>((k * 37 + y * w + x * 5) % 256);
  return s;
}

// Writes <prefix>-images-idx3-ubyte and <prefix>-labels-idx1-ubyte (gzipped when gz) with n w x h images;
// label of image k = (k + label_offset) % 10.
inline void write_idx(const fs::path& dir, const std::string& prefix, int n, int w, int h, bool gz, int label_offset = 0) {
  std::string img = be32(0x803) + be32(n) + be32(h) + be32(w);
  std::string lab = be32(0x801) + be32(n);
  for (int k = 0; k < n; ++k) {
    img += idx_pixels(k, w, h);
    lab += static_cast<char>((k + label_offset) % 10);
  }
  fs::create_directories(dir);
  auto put = [&](const std::string& name, const std::string& bytes) {
    if (!gz) return write_file(dir / name, bytes);
    gzFile f = gzopen((dir / (name + ".gz")).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(f);
  };
  put(prefix + "-images-idx3-ubyte", img);
  put(prefix + "-labels-idx1-ubyte", lab);
}

}  // namespace packtest

// ---- synthetic caches written straight through ShardWriter + write_manifest (no decoding involved) ----------

namespace packtest {

// Pixel j of synthetic image k (C*S*S bytes): bytes 0 and 1 spell k, the rest a pattern.
inline uint8_t synth_pixel(int64_t k, size_t j) {
  if (j == 0) return static_cast<uint8_t>(k & 255);
  if (j == 1) return static_cast<uint8_t>((k >> 8) & 255);
  return static_cast<uint8_t>((k * 7 + static_cast<int64_t>(j) * 13) % 256);
}

// The image number a loaded, normalized image carries (inverse of synth_pixel's first two bytes, mean=std=0.5).
inline int64_t synth_id(const float* img) {
  auto u = [](float x) { return static_cast<int64_t>(std::lround((x * 0.5f + 0.5f) * 255.0f)); };
  return u(img[0]) + 256 * u(img[1]);
}

struct SynthOptions {
  int64_t inputs = 20;           // source positions
  int64_t shard_size = 7;
  int size = 4, channels = 3;
  pipeline::Store store = pipeline::Store::uint8;
  int deflate_level = -1;
  std::vector<int64_t> rejects;  // source positions that are rejected
  bool partitions = true;        // partition of source k: k % 3
  bool labels = true;            // label of source k: k % 10
};

// Writes a cache of synthetic images into dir: image of source position k is synth image k. Returns the manifest.
inline pipeline::ManifestData make_synthetic_cache(const fs::path& dir, const SynthOptions& so) {
  using namespace pipeline;
  fs::create_directories(dir);
  ShardSpec spec;
  spec.size = so.size;
  spec.channels = so.channels;
  spec.store = so.store;
  spec.deflate_level = so.deflate_level;
  spec.shard_size = so.shard_size;
  spec.layout = "folder";
  spec.pack_key = "synthetic";
  spec.attribute_names = {"A", "B"};
  spec.partition = so.partitions;
  spec.labels = so.labels;
  ShardWriter w(dir, spec, 0, 0, so.inputs);
  std::vector<uint8_t> img(spec.image_bytes());
  for (int64_t k = 0; k < so.inputs; ++k) {
    const std::string name = "img" + std::to_string(k) + ".png";
    if (std::find(so.rejects.begin(), so.rejects.end(), k) != so.rejects.end()) {
      w.reject(k, name, "synthetic reject " + std::to_string(k));
      continue;
    }
    for (size_t j = 0; j < spec.image_elems(); ++j) {
      const uint8_t u = synth_pixel(k, j);
      const float x = (static_cast<float>(u) / 255.0f - 0.5f) / 0.5f;
      if (so.store == Store::uint8) img[j] = u;
      else if (so.store == Store::float32) std::memcpy(img.data() + 4 * j, &x, 4);
      else {
        const uint16_t h = cacheh5::float_to_half(x);
        std::memcpy(img.data() + 2 * j, &h, 2);
      }
    }
    const int8_t attrs[2] = {static_cast<int8_t>(k % 2 ? 1 : -1), 1};
    w.append(k, name, img.data(), attrs, static_cast<uint8_t>(k % 3), k % 10);
  }
  ManifestData m;
  m.spec = spec;
  m.shards = w.finish();
  m.rejected = w.rejected();
  m.source_count = so.inputs;
  m.options = {{"synthetic", "true"}};
  write_manifest(dir, m);
  return m;
}

}  // namespace packtest
