// Cache: open and verify a packed cache against its manifest (every shard's element type and CRC-32 included),
// and read images (see cache.hpp).
//
// Reads avoid HDF5 on the hot path: for the default contiguous, unfiltered layout the byte offset of each
// shard's `images` is taken once from H5Dget_offset and rows are read with pread(2) (thread-safe, no library
// lock). Compressed (chunked) shards are read through H5Dread, which Debian's thread-safe HDF5 serializes.
#include "pipeline/cache.hpp"

#include "pipeline/cache_h5.hpp"
#include "pipeline/crc32.hpp"
#include "pipeline/manifest.hpp"
#include "pipeline/option_table.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;
namespace cf = cache_format;

Partition parse_partition(std::string_view s) {
  try {
    return opt::parse_choice<Partition>(kPartitionNames, s);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--partition: ") + e.what());
  }
}

const char* partition_name(Partition p) { return opt::choice_name<Partition>(kPartitionNames, p).data(); }

namespace {

// An owned file descriptor: closed when the shard goes, also when the Cache constructor throws half-way.
struct Fd {
  int v = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : v(std::exchange(o.v, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (v >= 0) ::close(v);
      v = std::exchange(o.v, -1);
    }
    return *this;
  }
  ~Fd() {
    if (v >= 0) ::close(v);
  }
};

struct Shard {
  std::string name;
  fs::path path;
  int64_t first = 0;  // global row of its first image
  int64_t count = 0;
  Fd fd;                        // for pread on the contiguous layout
  int64_t offset = -1;          // byte offset of images in the file; -1: chunked, read through HDF5
  h5::File file;                // kept open for the chunked layout
  h5::Handle images;
};

[[noreturn]] void damaged(const fs::path& dir, const std::string& shard, const std::string& what) {
  throw std::runtime_error("cache '" + dir.string() + "' is damaged: shard '" + shard + "' " + what +
                           " (repack with celeba-pack --force, or restore the file)");
}

// An element type as numpy would name it ("uint8", "float16", "int32 big-endian"), for messages.
std::string type_name(hid_t t) {
  const H5T_class_t cls = H5Tget_class(t);
  const std::string bits = std::to_string(8 * H5Tget_size(t));
  const std::string order = H5Tget_order(t) == H5T_ORDER_BE ? " big-endian" : "";
  if (cls == H5T_INTEGER) return (H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int") + bits + order;
  if (cls == H5T_FLOAT) return "float" + bits + order;
  return "a non-numeric HDF5 type (class " + std::to_string(static_cast<int>(cls)) + ", " + bits + " bits)";
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

struct Cache::Impl {
  fs::path dir;
  ManifestData m;
  std::vector<Shard> shards;
  std::vector<int64_t> ends;     // cumulative counts: shard k holds rows [ends[k-1], ends[k])
  std::vector<uint8_t> partition;
  float lut[256];                // (u/255 - mean)/std in float32, as torchvision ToTensor+Normalize
  size_t row_bytes = 0;
  int64_t total = 0;

  size_t shard_of(int64_t row) const {
    return static_cast<size_t>(std::upper_bound(ends.begin(), ends.end(), row) - ends.begin());
  }

  void read_rows_raw(const Shard& s, int64_t local, int64_t n, uint8_t* dst) const {
    if (s.offset >= 0) {
      size_t want = size_t(n) * row_bytes, done = 0;
      off_t at = static_cast<off_t>(s.offset + local * int64_t(row_bytes));
      while (done < want) {
        const ssize_t r = ::pread(s.fd.v, dst + done, want - done, at + static_cast<off_t>(done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
          throw std::runtime_error("cannot read images from '" + s.path.string() + "': " +
                                   (r < 0 ? std::strerror(errno) : "unexpected end of file (truncated?)"));
        done += size_t(r);
      }
    } else {
      h5::Handle t = cacheh5::image_type(m.spec.store, s.file.file());
      h5::read_rows(s.images.id(), t.id(), hsize_t(local), hsize_t(n), dst, "images", s.file.file());
    }
  }

  // CRC-32 of a shard's images bytes in row order (what ShardWriter records), read in blocks of about 4 MB.
  uint32_t images_crc(const Shard& s) const {
    const int64_t rows = std::max<int64_t>(1, int64_t{4 << 20} / static_cast<int64_t>(row_bytes));
    std::vector<uint8_t> buf;
    uint32_t crc = 0;
    for (int64_t r = 0; r < s.count; r += rows) {
      const int64_t n = std::min(rows, s.count - r);
      buf.resize(size_t(n) * row_bytes);
      read_rows_raw(s, r, n, buf.data());
      crc = crc32_update(crc, buf);
    }
    return crc;
  }

  // Refuses shard s when the CRC-32 of its images differs from `want`, the manifest's (pixels changed on disk).
  void check_crc(const Shard& s, uint32_t want) const {
    uint32_t crc = 0;
    try {
      crc = images_crc(s);
    } catch (const std::exception& e) {
      damaged(dir, s.name, std::string("cannot be read: ") + e.what());
    }
    if (crc != want)
      damaged(dir, s.name, "has pixels whose CRC-32 is " + hex32(crc) + ", dataset.h5 records " + hex32(want) +
                               " (corrupted on disk?)");
  }

  // Reads rows idx (any order) as raw stored elements into dst [n, row_bytes], one read per run of adjacent rows.
  void gather_raw(std::span<const int64_t> idx, uint8_t* dst, std::vector<uint8_t>& scratch) const {
    std::vector<uint32_t> order(idx.size());
    std::iota(order.begin(), order.end(), 0u);
    for (int64_t i : idx)
      if (i < 0 || i >= total)
        throw std::out_of_range("cache '" + dir.string() + "': position " + std::to_string(i) + " is outside [0, " +
                                std::to_string(total) + ")");
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return idx[a] < idx[b]; });
    size_t k = 0;
    while (k < order.size()) {
      const int64_t start = idx[order[k]];
      const size_t si = shard_of(start);
      const Shard& s = shards[si];
      // Extend over the sorted run of distinct consecutive rows (repeats join the run) in the same shard.
      size_t e = k + 1;
      int64_t last = start;
      while (e < order.size() && idx[order[e]] <= last + 1 && idx[order[e]] < ends[si]) last = idx[order[e++]];
      const int64_t n = last - start + 1;
      uint8_t* buf = dst + size_t(order[k]) * row_bytes;
      if (n > 1 || e - k > 1) {
        scratch.resize(size_t(n) * row_bytes);
        buf = scratch.data();
      }
      read_rows_raw(s, start - s.first, n, buf);
      if (buf == scratch.data())
        for (size_t j = k; j < e; ++j)
          std::memcpy(dst + size_t(order[j]) * row_bytes, scratch.data() + size_t(idx[order[j]] - start) * row_bytes,
                      row_bytes);
      k = e;
    }
  }
};

Cache::Cache(const fs::path& dir) : impl_(std::make_unique<Impl>()) {
  Impl& c = *impl_;
  c.dir = dir;
  c.m = read_manifest(dir);
  const ShardSpec& sp = c.m.spec;
  c.row_bytes = sp.image_bytes();
  if (sp.size < 1 || (sp.channels != 1 && sp.channels != 3))
    throw std::runtime_error("cache '" + dir.string() + "' declares images of " + std::to_string(sp.channels) + "x" +
                             std::to_string(sp.size) + "x" + std::to_string(sp.size) + ", which this build cannot read");
  const float mean = static_cast<float>(sp.mean), stdev = static_cast<float>(sp.std);
  for (int u = 0; u < 256; ++u) c.lut[u] = (static_cast<float>(u) / 255.0f - mean) / stdev;

  int64_t first = 0;
  for (const ShardInfo& info : c.m.shards) {
    Shard s;
    s.name = info.name;
    s.path = dir / info.name;
    s.first = first;
    s.count = info.count;
    std::error_code ec;
    if (!fs::exists(s.path, ec)) damaged(dir, info.name, "listed in dataset.h5 is missing");
    const auto size = static_cast<int64_t>(fs::file_size(s.path, ec));
    if (ec || size != info.bytes)
      damaged(dir, info.name, "has " + std::to_string(size) + " bytes, dataset.h5 records " + std::to_string(info.bytes) +
                                  " (truncated or replaced)");
    try {
      s.file = h5::File::open(s.path);
    } catch (const std::exception& e) {
      damaged(dir, info.name, std::string("cannot be opened: ") + e.what());
    }
    const hid_t id = s.file.id();
    const std::string& fn = s.file.file();
    const std::string format = h5::has_attr(id, cf::kAttrFormat) ? h5::get_attr_string(id, cf::kAttrFormat, fn) : "";
    if (format != cf::kFormat) damaged(dir, info.name, "is not a cache shard (format '" + format + "')");
    const int64_t version = h5::get_attr_int(id, cf::kAttrVersion, fn);
    if (version != cf::kVersion) damaged(dir, info.name, "is version " + std::to_string(version));
    if (h5::get_attr_int(id, cf::kAttrCount, fn) != info.count ||
        h5::get_attr_int(id, cf::kAttrSize, fn) != sp.size || h5::get_attr_int(id, cf::kAttrChannels, fn) != sp.channels ||
        h5::get_attr_string(id, cf::kAttrPackKey, fn) != sp.pack_key ||
        static_cast<uint32_t>(h5::get_attr_int(id, cf::kAttrChecksum, fn)) != info.checksum)
      damaged(dir, info.name, "does not match dataset.h5 (count, geometry, checksum or pack options differ)");
    s.images = h5::open_dataset(s.file, cf::kImages);
    const auto dims = h5::dataset_dims(s.images.id(), "images", fn);
    if (dims != std::vector<hsize_t>{hsize_t(info.count), hsize_t(sp.channels), hsize_t(sp.size), hsize_t(sp.size)})
      damaged(dir, info.name, "has images of another shape");
    {  // Same shape, another element type: the raw reads below would reinterpret its bytes.
      h5::Handle have(H5Dget_type(s.images.id()), H5Tclose);
      h5::check(have.id(), "reading the type of images", fn);
      const h5::Handle want = cacheh5::image_type(sp.store, fn);
      if (H5Tequal(have.id(), want.id()) <= 0)
        damaged(dir, info.name, "stores images as " + type_name(have.id()) + ", dataset.h5 records " +
                                    store_name(sp.store));
    }
    if (sp.partition) {
      const auto p = h5::read<uint8_t>(s.file, cf::kPartition);
      if (static_cast<int64_t>(p.size()) != info.count) damaged(dir, info.name, "has a partition list of another length");
      c.partition.insert(c.partition.end(), p.begin(), p.end());
    }
    // Contiguous, unfiltered, allocated: read rows straight from the file.
    h5::Handle dcpl(H5Dget_create_plist(s.images.id()), H5Pclose);
    h5::check(dcpl.id(), "reading the layout of images", fn);
    if (info.count > 0 && H5Pget_layout(dcpl.id()) == H5D_CONTIGUOUS && H5Pget_nfilters(dcpl.id()) == 0) {
      const haddr_t off = H5Dget_offset(s.images.id());
      if (off != HADDR_UNDEF) {
        s.fd.v = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (s.fd.v < 0) damaged(dir, info.name, std::string("cannot be opened: ") + std::strerror(errno));
        s.offset = static_cast<int64_t>(off);
        if (s.offset + info.count * int64_t(c.row_bytes) > size) damaged(dir, info.name, "is shorter than its images");
        s.images.reset();
        s.file.close();
      }
    }
    // Every pixel once, at GB/s: a cache that opens holds the bytes that were packed.
    c.check_crc(s, info.checksum);
    first += info.count;
    c.ends.push_back(first);
    c.shards.push_back(std::move(s));
  }
  c.total = first;
  if (c.total == 0) throw std::runtime_error("cache '" + dir.string() + "' holds no images");
}

Cache::~Cache() = default;

Cache::Cache(Cache&&) noexcept = default;
Cache& Cache::operator=(Cache&&) noexcept = default;

int64_t Cache::count() const { return impl_->total; }
int Cache::channels() const { return impl_->m.spec.channels; }
int Cache::size() const { return impl_->m.spec.size; }
float Cache::mean() const { return static_cast<float>(impl_->m.spec.mean); }
float Cache::stdev() const { return static_cast<float>(impl_->m.spec.std); }
Store Cache::store() const { return impl_->m.spec.store; }
const std::string& Cache::layout() const { return impl_->m.spec.layout; }
const fs::path& Cache::dir() const { return impl_->dir; }
size_t Cache::image_elems() const { return impl_->m.spec.image_elems(); }
bool Cache::has_partition() const { return impl_->m.spec.partition; }
bool Cache::has_labels() const { return impl_->m.spec.labels; }
bool Cache::has_attributes() const { return !impl_->m.spec.attribute_names.empty(); }

std::vector<int64_t> Cache::indices(Partition p) const {
  std::vector<int64_t> out;
  const Impl& c = *impl_;
  if (p != Partition::all && c.partition.empty())
    throw std::invalid_argument(std::string("--partition ") + partition_name(p) + ": the cache in '" +
                                c.dir.string() + "' has no partition data (only CelebA and IDX inputs do); use all");
  if (p == Partition::all) {
    out.resize(size_t(c.total));
    std::iota(out.begin(), out.end(), int64_t{0});
    return out;
  }
  const uint8_t want = p == Partition::train ? 0 : p == Partition::valid ? 1 : 2;
  for (size_t i = 0; i < c.partition.size(); ++i)
    if (c.partition[i] == want) out.push_back(static_cast<int64_t>(i));
  return out;
}

void Cache::read(std::span<const int64_t> idx, float* dst) const {
  const Impl& c = *impl_;
  const size_t elems = c.m.spec.image_elems();
  thread_local std::vector<uint8_t> raw, scratch;
  if (c.m.spec.store == Store::float32) {
    c.gather_raw(idx, reinterpret_cast<uint8_t*>(dst), scratch);
    return;
  }
  raw.resize(idx.size() * c.row_bytes);
  c.gather_raw(idx, raw.data(), scratch);
  const size_t n = idx.size() * elems;
  if (c.m.spec.store == Store::uint8) {
    const uint8_t* u = raw.data();
    for (size_t i = 0; i < n; ++i) dst[i] = c.lut[u[i]];
  } else {
    const uint8_t* h = raw.data();
    for (size_t i = 0; i < n; ++i) {
      uint16_t v;
      std::memcpy(&v, h + 2 * i, 2);
      dst[i] = cacheh5::half_to_float(v);
    }
  }
}

void Cache::read_u8(std::span<const int64_t> idx, uint8_t* dst) const {
  if (impl_->m.spec.store != Store::uint8)
    throw std::logic_error("cache '" + impl_->dir.string() + "' stores " + store_name(impl_->m.spec.store) +
                           " images, not uint8");
  thread_local std::vector<uint8_t> scratch;
  impl_->gather_raw(idx, dst, scratch);
}

std::vector<std::string> Cache::filenames() const {
  // From each shard: dataset.h5's names are a virtual dataset over the shards' own, whose strings live in the
  // shards' heaps, where h5::read_strings reads them.
  std::vector<std::string> names;
  for (const Shard& s : impl_->shards) {
    h5::File f = h5::File::open(s.path);
    auto part = h5::read_strings(f, cf::kFilename);
    if (static_cast<int64_t>(part.size()) != s.count)
      damaged(impl_->dir, s.name, "holds " + std::to_string(part.size()) + " file names for " +
                                      std::to_string(s.count) + " images");
    names.insert(names.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return names;
}

std::vector<int64_t> Cache::labels() const {
  if (!has_labels()) return {};
  h5::File f = h5::File::open(impl_->dir / cf::kManifestFile);
  return h5::read<int64_t>(f, cf::kLabel);
}

std::vector<uint8_t> Cache::partitions() const { return impl_->partition; }

void Cache::verify_checksums() const {
  const Impl& c = *impl_;
  for (size_t k = 0; k < c.shards.size(); ++k) c.check_crc(c.shards[k], c.m.shards[k].checksum);
}

}  // namespace pipeline
