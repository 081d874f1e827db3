// NumPy .npy float32 files (npy.hpp): the header's Python dict literal parsed strictly, the data copied as is.
#include "trainer/npy.hpp"

#include "pipeline/atomic_file.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kMaxDims = 8;
// The data is copied as it is: this build's float is IEEE float32 and its byte order little-endian (x86-64).
static_assert(sizeof(float) == 4 && std::endian::native == std::endian::little, "little-endian float32");

// The header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }: the three keys numpy writes,
// each once, in any order.
class HeaderParser {
 public:
  HeaderParser(std::string_view s, const std::string& what) : s_(s), what_(what) {}

  std::vector<int64_t> parse() {
    bool have_descr = false, have_order = false, have_shape = false;
    std::vector<int64_t> shape;
    expect('{');
    while (!peek('}')) {
      const std::string key = quoted();
      expect(':');
      if (key == "descr" && !have_descr) {
        const std::string d = quoted();
        if (d != "<f4") fail("dtype '" + d + "' is not float32 little-endian ('<f4'); save with .astype('<f4')");
        have_descr = true;
      } else if (key == "fortran_order" && !have_order) {
        if (word() != "False") fail("Fortran-ordered data is not read; save a C-ordered array");
        have_order = true;
      } else if (key == "shape" && !have_shape) {
        shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected or repeated key '" + key + "'");
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    skip_space();
    if (pos_ != s_.size()) fail("text after the dict");
    if (!have_descr || !have_order || !have_shape) fail("the dict lacks 'descr', 'fortran_order' or 'shape'");
    return shape;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(what_ + ": bad .npy header: " + why);
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string quoted() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a quoted string");
    const char q = s_[pos_++];
    const size_t end = s_.find(q, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string v(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return v;
  }
  std::string word() {
    skip_space();
    const size_t start = pos_;
    while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (!peek(')')) {
      const size_t start = pos_;
      int64_t v = 0;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        v = v * 10 + (s_[pos_++] - '0');
        if (v > kMaxNpyElements) fail("a dimension exceeds " + std::to_string(kMaxNpyElements));
      }
      if (pos_ == start) fail("expected a dimension");
      if (dims.size() == kMaxDims) fail("more than " + std::to_string(kMaxDims) + " dimensions");
      dims.push_back(v);
      if (!peek(')')) expect(',');
    }
    expect(')');
    return dims;
  }

  std::string_view s_;
  size_t pos_ = 0;
  const std::string& what_;
};

struct Layout {
  std::vector<int64_t> shape;
  size_t data_offset = 0;
  int64_t count = 1;
};

// The header at the start of `head` (the file's first bytes; `total_size` is the whole file's) and where the data
// begins. Throws when the data is not exactly the bytes the shape declares.
Layout parse_header(std::string_view head, uint64_t total_size, const std::string& what) {
  if (head.size() < kMagicLen + 4 || std::memcmp(head.data(), kMagic, kMagicLen) != 0)
    throw std::runtime_error(what + ": not a .npy file (no \\x93NUMPY magic)");
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(head[i]); };
  const int major = byte(6);
  size_t header_len = 0, prefix = 0;
  if (major == 1) {
    header_len = byte(8) | (size_t{byte(9)} << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (head.size() < 12) throw std::runtime_error(what + ": torn .npy header");
    header_len = byte(8) | (size_t{byte(9)} << 8) | (size_t{byte(10)} << 16) | (size_t{byte(11)} << 24);
    prefix = 12;
  } else {
    throw std::runtime_error(what + ": .npy format version " + std::to_string(major) + " is not read (1, 2 or 3)");
  }
  if (prefix + header_len > head.size()) throw std::runtime_error(what + ": torn .npy header");
  Layout l;
  l.shape = HeaderParser(head.substr(prefix, header_len), what).parse();
  for (int64_t d : l.shape) {
    if (d != 0 && l.count > kMaxNpyElements / d)
      throw std::runtime_error(what + ": the array holds more than " + std::to_string(kMaxNpyElements) + " values");
    l.count *= d;
  }
  l.data_offset = prefix + header_len;
  const uint64_t want = l.data_offset + static_cast<uint64_t>(l.count) * sizeof(float);
  if (total_size != want)
    throw std::runtime_error(what + ": " + std::to_string(total_size) + " bytes, the header declares " +
                             std::to_string(want));
  return l;
}

}  // namespace

NpyArray parse_npy(const std::string& bytes, const std::string& what) {
  const Layout l = parse_header(bytes, bytes.size(), what);
  NpyArray a{l.shape, std::vector<float>(static_cast<size_t>(l.count))};
  if (l.count > 0) std::memcpy(a.data.data(), bytes.data() + l.data_offset, a.data.size() * sizeof(float));
  return a;
}

NpyArray read_npy(const fs::path& path) {
  const std::string what = "'" + path.string() + "'";
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + what);
  f.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(f.tellg());
  f.seekg(0);
  // The header is at most 12 + 2^32 bytes by the format; numpy writes 128 or so, and a header longer than 64 KiB is
  // refused as torn. Read what can be a header first, check it against the file's size, then allocate the data.
  std::string head(static_cast<size_t>(std::min<uint64_t>(size, 1 << 16)), '\0');
  f.read(head.data(), static_cast<std::streamsize>(head.size()));
  const Layout l = parse_header(head, size, what);
  NpyArray a{l.shape, std::vector<float>(static_cast<size_t>(l.count))};
  f.seekg(static_cast<std::streamoff>(l.data_offset));
  if (!f.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(a.data.size() * sizeof(float))))
    throw std::runtime_error("cannot read " + what);
  return a;
}

void write_npy(const fs::path& path, const std::vector<int64_t>& shape, const float* data) {
  std::string dims;
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += (i ? ", " : "") + std::to_string(shape[i]);
    count *= shape[i];
  }
  if (shape.size() == 1) dims += ',';  // Python's one-element tuple: (3,)
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t unpadded = kMagicLen + 4 + header.size() + 1;  // + the '\n' that ends the header
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string bytes(kMagic, kMagicLen);
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(data), static_cast<size_t>(count) * sizeof(float));
  pipeline::write_file_atomic(path, bytes);
}

}  // namespace trainer
