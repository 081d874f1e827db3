// CelebA metadata parsing, MD5 (RFC 1321) and HTML-page detection (see celeba_meta.hpp).
#include "pipeline/celeba_meta.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

namespace pipeline {

namespace fs = std::filesystem;

// ---- MD5, written from the algorithm description in RFC 1321 section 3 ----------------------------------------

namespace {

// T[i] = floor(2^32 * abs(sin(i + 1))), the table of RFC 1321 section 3.4.
constexpr std::array<uint32_t, 64> kMd5Sines = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
// Per-round left-rotation amounts (RFC 1321 3.4, rounds 1-4).
constexpr int kMd5Shift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

inline uint32_t rotl(uint32_t x, int c) { return (x << c) | (x >> (32 - c)); }

void md5_block(uint32_t state[4], const uint8_t* block) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i)  // little-endian words
    m[i] = uint32_t(block[4 * i]) | uint32_t(block[4 * i + 1]) << 8 | uint32_t(block[4 * i + 2]) << 16 |
           uint32_t(block[4 * i + 3]) << 24;
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  for (int i = 0; i < 64; ++i) {
    const int round = i / 16;
    uint32_t f;
    int g;
    switch (round) {
      case 0: f = (b & c) | (~b & d); g = i; break;                  // F
      case 1: f = (b & d) | (c & ~d); g = (5 * i + 1) % 16; break;   // G
      case 2: f = b ^ c ^ d; g = (3 * i + 5) % 16; break;            // H
      default: f = c ^ (b | ~d); g = (7 * i) % 16; break;            // I
    }
    const uint32_t next = b + rotl(a + f + kMd5Sines[i] + m[g], kMd5Shift[round][i % 4]);
    a = d;
    d = c;
    c = b;
    b = next;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

}  // namespace

std::string md5_hex(std::span<const uint8_t> bytes) {
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const size_t full = bytes.size() / 64;
  for (size_t i = 0; i < full; ++i) md5_block(state, bytes.data() + 64 * i);
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit little-endian number (RFC 1321 3.1-3.2).
  uint8_t tail[128] = {};
  const size_t rest = bytes.size() - 64 * full;
  if (rest) std::memcpy(tail, bytes.data() + 64 * full, rest);
  tail[rest] = 0x80;
  const size_t tail_len = rest < 56 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(bytes.size()) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  for (size_t off = 0; off < tail_len; off += 64) md5_block(state, tail + off);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (uint32_t w : state)
    for (int i = 0; i < 4; ++i) {
      const uint8_t byte = static_cast<uint8_t>(w >> (8 * i));
      out += hex[byte >> 4];
      out += hex[byte & 15];
    }
  return out;
}

// ---- HTML, MD5 of the official files ----------------------------------------------------------------------

bool looks_like_html(std::span<const uint8_t> bytes) {
  size_t i = 0;
  if (bytes.size() >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) i = 3;
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n')) ++i;
  std::string head;
  for (size_t k = i; k < bytes.size() && head.size() < 16; ++k)
    head += static_cast<char>(std::tolower(static_cast<unsigned char>(bytes[k])));
  for (const char* tag : {"<!doctype html", "<html", "<head", "<body"})
    if (head.rfind(tag, 0) == 0) return true;
  return false;
}

std::string_view official_md5(std::string_view filename) {
  // torchvision 0.14 datasets/celeba.py, CelebA.file_list (the files of the official Google Drive release).
  if (filename == "list_attr_celeba.txt") return "75e246fa4810816ffd6ee81facbd244c";
  if (filename == "list_eval_partition.txt") return "d32c9cbf5e040fd4025c592c306e6668";
  if (filename == "identity_CelebA.txt") return "32bd1bd63d3c78cd57e08160ec5ed1e2";
  if (filename == "list_bbox_celeba.txt") return "00566efa6fedff7a56946cd1c10f1c16";
  if (filename == "list_landmarks_align_celeba.txt") return "cc24ecafdb5b50baae59b03474781f8c";
  return {};
}

std::optional<std::string> check_official_md5(const fs::path& path, std::span<const uint8_t> bytes, int64_t listed) {
  const std::string_view want = official_md5(path.filename().string());
  if (want.empty()) return std::nullopt;
  const std::string got = md5_hex(bytes);
  if (got == want) return std::nullopt;
  constexpr int64_t kOfficialImages = 202599;
  std::string msg = "'" + path.string() + "' has MD5 " + got + ", not the official release's " + std::string(want);
  if (listed != kOfficialImages)
    msg += " (it lists " + std::to_string(listed) + " images, the official file 202599: a subset or another release)";
  else
    msg += " (same number of images: modified, or saved with other line ends?)";
  return msg;
}

std::vector<uint8_t> read_whole_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open '" + path.string() + "': " + std::strerror(errno));
  std::vector<uint8_t> out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw std::runtime_error("cannot read '" + path.string() + "': " + std::strerror(errno));
  return out;
}

// ---- parsing --------------------------------------------------------------------------------------------------

namespace {

// The lines of a text file, without their LF / CRLF ends, with 1-based line numbers; a UTF-8 BOM is skipped.
struct Lines {
  explicit Lines(std::span<const uint8_t> b) : text(reinterpret_cast<const char*>(b.data()), b.size()) {
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  }
  bool next(std::string_view& line) {
    if (pos >= text.size()) return false;
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    ++number;
    return true;
  }
  std::string_view text;
  size_t pos = 0;
  int64_t number = 0;
};

// Splits on runs of spaces/tabs (irregular spacing in the official files).
void split_ws(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
}

// Splits on commas, trimming spaces around fields.
void split_csv(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    std::string_view f = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.remove_suffix(1);
    out.push_back(f);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

bool blank(std::string_view line) { return line.find_first_not_of(" \t") == std::string_view::npos; }

[[noreturn]] void fail_at(const fs::path& path, int64_t line, const std::string& what) {
  throw std::runtime_error("'" + path.string() + "' line " + std::to_string(line) + ": " + what);
}

void refuse_html(const fs::path& path, std::span<const uint8_t> bytes, const char* what) {
  if (looks_like_html(bytes))
    throw std::runtime_error("'" + path.string() + "' is an HTML page, not " + what +
                             ": Google Drive saves its 'quota exceeded' or virus-scan page under the requested name "
                             "when a download fails. Download the file again (or use the Kaggle copy).");
}

bool is_csv(std::span<const uint8_t> bytes) {
  Lines lines(bytes);
  std::string_view first;
  return lines.next(first) && first.find("image_id") != std::string_view::npos && first.find(',') != first.npos;
}

// The names a list gives, checked as they are read: each a path inside the image folder (neither absolute nor
// climbing out with ".."), and each named once (compared as paths: "./a.jpg" is "a.jpg"). A repeat would be packed
// twice, a path outside would open a file that is no part of the dataset.
class ListedNames {
 public:
  explicit ListedNames(const fs::path& list) : list_(list) {}
  void add(std::string_view name, int64_t line) {
    std::string key(name);
    if (key.find('/') != std::string::npos || key == "..") {  // most names are plain file names: no path to normalize
      const fs::path p(key);
      const fs::path normal = p.lexically_normal();
      if (p.is_absolute() || (!normal.empty() && *normal.begin() == ".."))
        fail_at(list_, line, "'" + key + "' is outside the image folder (an absolute path, or one climbing out with "
                             "'..'): a list names files inside img_align_celeba/");
      key = normal.string();
    }
    const auto [at, added] = first_line_.emplace(std::move(key), line);
    if (!added)
      fail_at(list_, line, "'" + std::string(name) + "' is listed again (first on line " + std::to_string(at->second) +
                               "): each image is packed once, so a list names it once; remove the repeated line");
  }

 private:
  const fs::path& list_;
  std::unordered_map<std::string, int64_t> first_line_;  // name as a normal path -> its line
};

int8_t attribute_value(std::string_view v, const fs::path& path, int64_t line, std::string_view image) {
  if (v == "1") return 1;
  if (v == "-1") return -1;
  fail_at(path, line, "value '" + std::string(v) + "' for image '" + std::string(image) +
                          "' is not 1 or -1 (CelebA attributes are +1/-1)");
}

}  // namespace

CelebaAttributes parse_celeba_attributes(const fs::path& path, std::span<const uint8_t> bytes) {
  refuse_html(path, bytes, "CelebA's attribute list");
  CelebaAttributes out;
  Lines lines(bytes);
  std::string_view line;
  std::vector<std::string_view> f;
  const bool csv = is_csv(bytes);
  int64_t declared = -1;
  if (csv) {
    lines.next(line);
    split_csv(line, f);
    for (size_t i = 1; i < f.size(); ++i) out.names.emplace_back(f[i]);
  } else {
    if (!lines.next(line)) throw std::runtime_error("'" + path.string() + "' is empty: expected CelebA's attribute list");
    split_ws(line, f);
    char* end = nullptr;
    const std::string count(f.empty() ? std::string_view() : f[0]);
    declared = f.size() == 1 ? std::strtoll(count.c_str(), &end, 10) : -1;
    if (f.size() != 1 || !end || *end || declared < 0)
      fail_at(path, lines.number, "expected the image count (a single number), found '" + std::string(line.substr(0, 60)) +
                                      "'");
    if (!lines.next(line)) fail_at(path, 2, "missing the line of attribute names");
    split_ws(line, f);
    for (auto n : f) out.names.emplace_back(n);
  }
  if (out.names.empty()) fail_at(path, lines.number, "no attribute names");
  const size_t k = out.names.size();
  ListedNames names(path);
  while (lines.next(line)) {
    if (blank(line)) continue;
    csv ? split_csv(line, f) : split_ws(line, f);
    if (f.size() != k + 1)
      fail_at(path, lines.number, "expected an image name and " + std::to_string(k) + " values, found " +
                                      std::to_string(f.size()) + " fields" +
                                      (f.size() < k + 1 ? " (truncated file?)" : ""));
    names.add(f[0], lines.number);
    out.images.emplace_back(f[0]);
    for (size_t i = 0; i < k; ++i) out.values.push_back(attribute_value(f[i + 1], path, lines.number, f[0]));
  }
  if (declared >= 0 && declared != static_cast<int64_t>(out.images.size()))
    fail_at(path, 1, "declares " + std::to_string(declared) + " images but the file lists " +
                         std::to_string(out.images.size()) + " (truncated download?)");
  if (out.images.empty()) throw std::runtime_error("'" + path.string() + "' lists no images");
  return out;
}

CelebaPartition parse_celeba_partition(const fs::path& path, std::span<const uint8_t> bytes) {
  refuse_html(path, bytes, "CelebA's partition list");
  CelebaPartition out;
  Lines lines(bytes);
  std::string_view line;
  std::vector<std::string_view> f;
  const bool csv = is_csv(bytes);
  if (csv) lines.next(line);  // header
  ListedNames names(path);
  while (lines.next(line)) {
    if (blank(line)) continue;
    csv ? split_csv(line, f) : split_ws(line, f);
    if (f.size() != 2) fail_at(path, lines.number, "expected '<image> <0|1|2>', found '" + std::string(line.substr(0, 60)) + "'");
    if (f[1] != "0" && f[1] != "1" && f[1] != "2")
      fail_at(path, lines.number, "partition '" + std::string(f[1]) + "' of '" + std::string(f[0]) +
                                      "' is not 0 (train), 1 (valid) or 2 (test)");
    names.add(f[0], lines.number);
    out.images.emplace_back(f[0]);
    out.partition.push_back(static_cast<uint8_t>(f[1][0] - '0'));
  }
  if (out.images.empty()) throw std::runtime_error("'" + path.string() + "' lists no images");
  return out;
}

}  // namespace pipeline
