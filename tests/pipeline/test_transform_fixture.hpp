// The golden fixture of pipeline::Transform (tests/golden/transform, made by tests/golden/make_transform_golden.py).
#pragma once
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace transform_fixture {

inline std::filesystem::path dir() { return std::filesystem::path(DCGAN_SOURCE_DIR) / "tests/golden/transform"; }

inline std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open fixture " + p.string() + " (run tests/golden/make_transform_golden.py)");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline std::vector<uint8_t> read_gz(const std::filesystem::path& p) {
  gzFile g = gzopen(p.c_str(), "rb");
  if (!g) throw std::runtime_error("cannot open fixture " + p.string());
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(g, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  const bool bad = n < 0;
  gzclose(g);
  if (bad) throw std::runtime_error("corrupt gzip fixture " + p.string());
  return out;
}

// One manifest line: an encoded file, or a raw [h, w, c] uint8 array for Transform::pixels.
struct Input {
  bool raw = false;
  std::string name;
  int w = 0, h = 0, c = 0;
  std::vector<std::string> sets;  // "64x3", ...
  std::vector<uint8_t> bytes;
  bool in(const std::string& set) const {
    for (const auto& s : sets)
      if (s == set) return true;
    return false;
  }
  bool is_jpeg() const { return name.ends_with(".jpg"); }
  bool is_celeba() const { return name.starts_with("celeba_"); }
};

inline std::vector<Input> inputs() {
  std::ifstream m(dir() / "manifest.txt");
  if (!m) throw std::runtime_error("missing " + (dir() / "manifest.txt").string());
  std::vector<Input> v;
  std::string line;
  while (std::getline(m, line)) {
    std::istringstream s(line);
    std::string kind, sets;
    Input in;
    s >> kind >> in.name >> in.w >> in.h >> in.c >> sets;
    in.raw = kind == "raw";
    std::stringstream ss(sets);
    for (std::string t; std::getline(ss, t, ',');) in.sets.push_back(t);
    in.bytes = read_file(dir() / "inputs" / in.name);
    v.push_back(std::move(in));
  }
  return v;
}

// Expected uint8 [C, S, S] per input name for one set.
inline std::map<std::string, std::vector<uint8_t>> expected(int S, int C) {
  const std::string set = std::to_string(S) + "x" + std::to_string(C);
  const auto blob = read_gz(dir() / ("expected_S" + std::to_string(S) + "_C" + std::to_string(C) + ".u8.gz"));
  const size_t n = static_cast<size_t>(C) * S * S;
  std::map<std::string, std::vector<uint8_t>> out;
  size_t at = 0;
  for (const Input& in : inputs()) {
    if (!in.in(set)) continue;
    if (at + n > blob.size()) throw std::runtime_error("fixture blob " + set + " too short");
    out[in.name].assign(blob.begin() + at, blob.begin() + at + n);
    at += n;
  }
  if (at != blob.size()) throw std::runtime_error("fixture blob " + set + " has trailing bytes");
  return out;
}

}  // namespace transform_fixture
