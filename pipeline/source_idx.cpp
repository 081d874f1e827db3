// IDX source: MNIST-format image files (*-images-idx3-ubyte[.gz], Fashion-MNIST's format) with labels from the
// matching *-labels-idx1-ubyte[.gz]. Format: http://yann.lecun.com/exdb/mnist/ "FILE FORMATS": a big-endian
// magic (0x00000803 images, 0x00000801 labels), the dimensions as big-endian uint32, then uint8 data.
//
// One file per set: when a set is present both raw and gzipped (torchvision's FashionMNIST/raw), the raw file is
// read and a note says so; its labels come from either form.
//
// Order: the "train" file first, then "t10k", then any other prefix alphabetically. Partitions: train -> 0
// (train), t10k -> 2 (test), as torchvision's FashionMNIST(train=True/False); no file maps to valid (1). When a
// prefix is neither, the cache has no partition data.
#include "pipeline/sources.hpp"

#include "pipeline/transform.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <tuple>

namespace pipeline {

namespace fs = std::filesystem;

namespace {

// The most image bytes an IDX file may declare: the reader holds a set in memory (Fashion-MNIST's training set is
// 47 MB). A header is checked against it before anything is allocated from it, and a file (or a .gz that inflates)
// is read only as far as its header declares: a 2 MB .gz expanding to 2 GB once cost 4.75 GB (issue 13, finding 12).
constexpr uint64_t kMaxIdxBytes = uint64_t{4} << 30;

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// An IDX file opened through zlib (gzread also passes plain files through), read in exact amounts. A FIFO or device
// named like an IDX file is refused before it is opened (opening a FIFO blocks until a writer comes).
class IdxReader {
 public:
  explicit IdxReader(const fs::path& p) : path_(p) {
    if (const std::string why = why_not_regular(p); !why.empty()) throw std::runtime_error("'" + p.string() + "': " + why);
    f_ = gzopen(p.c_str(), "rb");
    if (!f_) throw std::runtime_error("cannot open '" + p.string() + "': " + std::strerror(errno));
  }
  ~IdxReader() { gzclose(f_); }
  IdxReader(const IdxReader&) = delete;
  IdxReader& operator=(const IdxReader&) = delete;

  // Up to `n` bytes into `dst`; returns how many there were (fewer only at the end of the file).
  size_t read(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, size_t{1} << 30));
      const int r = gzread(f_, dst + got, chunk);
      if (r < 0) {
        int errnum = 0;
        throw std::runtime_error("cannot read '" + path_.string() + "': " + gzerror(f_, &errnum) +
                                 " (damaged or truncated .gz?)");
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }
  // Exactly `n` bytes, or a "truncated" error saying what the header declared. The buffer grows as the bytes
  // arrive (doubling from 1 MB), never to more than twice what the file holds: a 224-byte file declaring 1.5 GB
  // once had all of it allocated up front (fuzz finding, tests/fuzz/regressions/idx/).
  std::vector<uint8_t> read_exactly(size_t n, const std::string& declared) {
    std::vector<uint8_t> out;
    size_t got = 0;
    while (got < n) {
      const size_t want = std::min(n - got, std::max(got, size_t{1} << 20));
      out.resize(got + want);
      const size_t r = read(out.data() + got, want);
      got += r;
      if (r < want) {
        out.resize(got);
        throw std::runtime_error("'" + path_.string() + "' is truncated: its header declares " + declared + " (" +
                                 std::to_string(n) + " bytes after the header), it holds " + std::to_string(got));
      }
    }
    return out;
  }
  // What follows the declared data is refused, as torchvision refuses it, without reading it: a .gz holding a
  // small header and gigabytes of zeros stops here, not after inflating them.
  void expect_end(const std::string& declared) {
    uint8_t extra;
    if (read(&extra, 1) != 0)
      throw std::runtime_error("'" + path_.string() + "' holds more than its header declares (" + declared +
                               "): a damaged file or a .gz bomb");
  }

 private:
  fs::path path_;
  gzFile f_ = nullptr;
};

struct IdxFile {
  std::string file;            // file name, for the recorded sample names
  std::vector<uint8_t> data;   // the images, count x rows x cols bytes (the header stripped)
  int64_t count = 0;
  int rows = 0, cols = 0;
};

IdxFile load_images(const fs::path& p) {
  IdxReader in(p);
  IdxFile f;
  f.file = p.filename().string();
  uint8_t h[16];
  if (in.read(h, sizeof h) < sizeof h || be32(h) != 0x00000803)
    throw std::runtime_error("'" + p.string() + "' is not an IDX image file (expected magic 0x00000803: " +
                             "unsigned bytes, 3 dimensions)");
  f.count = be32(h + 4);
  const uint32_t rows = be32(h + 8), cols = be32(h + 12);
  const std::string declared = std::to_string(f.count) + " " + std::to_string(rows) + "x" + std::to_string(cols) + " images";
  if (rows == 0 || cols == 0 || rows > 65535 || cols > 65535)
    throw std::runtime_error("'" + p.string() + "' declares " + declared + ": rows and columns must be 1..65535");
  const uint64_t need = uint64_t(f.count) * rows * cols;
  if (need > kMaxIdxBytes)
    throw std::runtime_error("'" + p.string() + "' declares " + declared + " (" + std::to_string(need) +
                             " bytes), more than the " + std::to_string(kMaxIdxBytes >> 30) +
                             " GiB an IDX set may hold in memory");
  f.rows = static_cast<int>(rows);
  f.cols = static_cast<int>(cols);
  f.data = in.read_exactly(static_cast<size_t>(need), declared);
  in.expect_end(declared);
  return f;
}

std::vector<int64_t> load_labels(const fs::path& p, int64_t expected) {
  IdxReader in(p);
  uint8_t h[8];
  if (in.read(h, sizeof h) < sizeof h || be32(h) != 0x00000801)
    throw std::runtime_error("'" + p.string() + "' is not an IDX label file (expected magic 0x00000801)");
  const int64_t n = be32(h + 4);
  if (n != expected)
    throw std::runtime_error("'" + p.string() + "' holds " + std::to_string(n) + " labels for " +
                             std::to_string(expected) + " images");
  const auto d = in.read_exactly(static_cast<size_t>(n), std::to_string(n) + " labels");
  in.expect_end(std::to_string(n) + " labels");
  return std::vector<int64_t>(d.begin(), d.end());
}

// "train-images-idx3-ubyte.gz" -> prefix "train", labels name "train-labels-idx1-ubyte.gz", gz.
struct IdxName {
  std::string prefix, labels;
  bool gz = false;
};
std::optional<IdxName> parse_idx_name(const std::string& n) {
  for (const auto& [img, lab] : {std::pair<std::string, std::string>{"-images-idx3-ubyte", "-labels-idx1-ubyte"},
                                 {"-images.idx3-ubyte", "-labels.idx1-ubyte"}}) {
    const size_t at = n.find(img);
    if (at == std::string::npos) continue;
    const std::string rest = n.substr(at + img.size());
    if (rest != "" && rest != ".gz") continue;
    return IdxName{n.substr(0, at), n.substr(0, at) + lab + rest, rest == ".gz"};
  }
  return std::nullopt;
}

int prefix_rank(const std::string& prefix) { return prefix == "train" ? 0 : (prefix == "t10k" || prefix == "test") ? 1 : 2; }

using Found = std::pair<IdxName, fs::path>;

// One image file per set (prefix). torchvision's FashionMNIST/raw keeps every set both raw and gzipped, and both
// packed would hold each image twice: the uncompressed file is read (no inflating), and a note names both.
std::vector<Found> one_file_per_set(std::vector<Found> found, std::vector<std::string>& notes) {
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tuple(prefix_rank(a.first.prefix), a.first.prefix, a.first.gz, a.second) <
           std::tuple(prefix_rank(b.first.prefix), b.first.prefix, b.first.gz, b.second);
  });
  std::vector<Found> kept;
  for (auto& f : found) {
    if (!kept.empty() && kept.back().first.prefix == f.first.prefix) {
      notes.push_back("'" + kept.back().second.filename().string() + "' and '" + f.second.filename().string() +
                      "' are both the '" + f.first.prefix + "' set: packing '" + kept.back().second.filename().string() +
                      "' only" + (kept.back().first.gz ? "" : " (the uncompressed copy)"));
      continue;
    }
    kept.push_back(std::move(f));
  }
  return kept;
}

// The label file of an image file: the same compression first, else the other one.
fs::path labels_path(const Found& f) {
  const fs::path same = f.second.parent_path() / f.first.labels;
  std::error_code ec;
  if (fs::exists(same, ec)) return same;
  const std::string& l = f.first.labels;
  const fs::path other = f.second.parent_path() / (f.first.gz ? l.substr(0, l.size() - 3) : l + ".gz");
  return fs::exists(other, ec) ? other : same;
}

class IdxSource final : public Source {
 public:
  explicit IdxSource(const fs::path& in) {
    layout_ = Layout::idx;
    std::vector<Found> all;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(in, ec))
      if (auto n = parse_idx_name(e.path().filename().string())) all.emplace_back(*n, e.path());
    if (ec) throw std::runtime_error("cannot list '" + in.string() + "': " + ec.message());
    if (all.empty())
      throw std::runtime_error("no IDX image files (*-images-idx3-ubyte[.gz]) in '" + in.string() + "'");
    const std::vector<Found> found = one_file_per_set(std::move(all), notes_);
    bool all_labels = true, all_known = true;
    std::vector<std::vector<int64_t>> labels;
    for (const auto& f : found) {
      const auto& [name, path] = f;
      files_.push_back(load_images(path));
      const fs::path lp = labels_path(f);
      std::error_code le;
      if (fs::exists(lp, le)) labels.push_back(load_labels(lp, files_.back().count));
      else {
        all_labels = false;
        warnings_.push_back("no label file '" + lp.string() + "' for '" + path.string() + "': the cache has no labels");
      }
      all_known = all_known && prefix_rank(name.prefix) < 2;
    }
    std::string desc;
    for (size_t f = 0; f < files_.size(); ++f) {
      const IdxFile& x = files_[f];
      const uint8_t part = prefix_rank(found[f].first.prefix) == 0 ? 0 : 2;
      for (int64_t i = 0; i < x.count; ++i) {
        names_.push_back(x.file + "[" + std::to_string(i) + "]");
        where_.emplace_back(static_cast<uint32_t>(f), static_cast<uint32_t>(i));
        if (all_known) partition_.push_back(part);
        if (all_labels) labels_.push_back(labels[f][static_cast<size_t>(i)]);
      }
      desc += (f ? ", " : "") + x.file + " (" + std::to_string(x.count) + " " + std::to_string(x.cols) + "x" +
              std::to_string(x.rows) + (all_known ? (part == 0 ? ", train" : ", test") : "") + ")";
    }
    if (names_.empty()) throw std::runtime_error("the IDX files in '" + in.string() + "' hold no images");
    description_ = "IDX files in '" + in.string() + "': " + desc;
  }

  void read(int64_t i, SourceItem& item) const override {
    const auto [f, k] = where_[static_cast<size_t>(i)];
    const IdxFile& x = files_[f];
    const size_t bytes = size_t(x.rows) * size_t(x.cols);
    const uint8_t* p = x.data.data() + size_t(k) * bytes;
    item.pixels = true;
    item.width = x.cols;
    item.height = x.rows;
    item.channels = 1;
    item.bytes.assign(p, p + bytes);
  }

 private:
  std::vector<IdxFile> files_;
  std::vector<std::pair<uint32_t, uint32_t>> where_;  // sample -> (file, image in file)
};

}  // namespace

std::unique_ptr<Source> open_idx_source(const fs::path& input) { return std::make_unique<IdxSource>(input); }

}  // namespace pipeline
