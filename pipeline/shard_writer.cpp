// ShardWriter: streams samples into atomic shard files (see shard_writer.hpp).
#include "pipeline/shard_writer.hpp"

#include "pipeline/atomic_file.hpp"
#include "pipeline/cache_h5.hpp"
#include "pipeline/crc32.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <optional>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;
namespace cf = cache_format;

namespace {
constexpr hsize_t kBlockRows = 32;  // images buffered per H5Dwrite (~400 KB at 64x64x3 uint8)
}

struct ShardWriter::Impl {
  fs::path dir;
  ShardSpec spec;
  int64_t next_shard;
  int64_t source_end;
  std::vector<ShardInfo> done;
  std::vector<RejectRecord> rejects;  // all of them
  int64_t images_total = 0;
  int64_t bytes_total = 0;

  // The open shard.
  bool open = false;
  fs::path target, tmp;
  h5::File file;
  h5::Handle images;
  hsize_t capacity = 0;
  int64_t count = 0;
  int64_t begin = 0;            // source_begin of the open (or next) shard
  size_t rejects_begin = 0;     // first reject of this shard's range in `rejects`
  uint32_t crc = 0;
  std::vector<uint8_t> block;   // rows not yet written [rows, image_bytes]
  hsize_t block_rows = 0;
  std::vector<int64_t> index;
  std::vector<std::string> filenames;
  std::vector<int8_t> attributes;
  std::vector<uint8_t> partition;
  std::vector<int64_t> label;

  // The last closed shard's commit (fsync, rename, directory fsync), running while the next shard fills: it
  // waits on the disk, not the CPU, and in line it stalled the whole graph (~80 ms per 16384-image shard
  // here). One at a time, so shard k is renamed before shard k + 1 (--resume keeps shards from 0 to the first gap).
  std::future<void> committing;
  ShardInfo committing_info;

  // Waits for the commit in flight; rethrows its failure. The shard counts as done only once it is renamed.
  void wait_commit() {
    if (!committing.valid()) return;
    committing.get();
    done.push_back(committing_info);
    bytes_total += committing_info.bytes;
  }

  std::vector<hsize_t> image_dims(hsize_t n) const {
    return {n, hsize_t(spec.channels), hsize_t(spec.size), hsize_t(spec.size)};
  }

  h5::Handle create_images(const h5::File& f, hsize_t n) const {
    h5::Handle t = cacheh5::image_type(spec.store, f.file());
    std::vector<hsize_t> chunk;
    if (spec.deflate_level >= 0) chunk = image_dims(1);  // one chunk per image: random reads decompress one image
    return h5::create_dataset(f, cf::kImages, t.id(), image_dims(n), {chunk, spec.deflate_level});
  }

  void open_shard(int64_t first_source) {
    target = dir / cf::shard_name(next_shard);
    tmp = temp_path_for(target);
    // An upper bound: the remaining inputs. A final shard that loses images to rejects is compacted at close.
    capacity = hsize_t(std::min<int64_t>(spec.shard_size, source_end - first_source));
    file = h5::File::create(tmp);
    images = create_images(file, capacity);
    open = true;
    count = 0;
    crc = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
    block.resize(kBlockRows * spec.image_bytes());
    block_rows = 0;
    index.clear();
    filenames.clear();
    attributes.clear();
    partition.clear();
    label.clear();
  }

  void flush_block() {
    if (!block_rows) return;
    h5::Handle t = cacheh5::image_type(spec.store, file.file());
    h5::write_rows(images.id(), t.id(), hsize_t(count) - block_rows, block_rows, block.data(), "images", file.file());
    block_rows = 0;
  }

  // Copies the first `count` images into a file of exactly that size (the final shard, when inputs were rejected).
  void compact() {
    const fs::path tmp2 = fs::path(tmp.string() + "c");
    h5::File f2 = h5::File::create(tmp2);
    h5::Handle img2 = create_images(f2, hsize_t(count));
    h5::Handle t = cacheh5::image_type(spec.store, file.file());
    for (hsize_t r = 0; r < hsize_t(count); r += kBlockRows) {
      const hsize_t n = std::min<hsize_t>(kBlockRows, hsize_t(count) - r);
      h5::read_rows(images.id(), t.id(), r, n, block.data(), "images", file.file());
      h5::write_rows(img2.id(), t.id(), r, n, block.data(), "images", f2.file());
    }
    images.reset();
    file.close();
    fs::remove(tmp);
    fs::rename(tmp2, tmp);
    img2.reset();
    f2.close();
    file = h5::File::open(tmp, /*writable=*/true);
    images = h5::open_dataset(file, cf::kImages);
  }

  void close_shard(int64_t end) {
    flush_block();
    if (hsize_t(count) < capacity) compact();
    images.reset();
    const hsize_t n = hsize_t(count);
    h5::write(file, cf::kIndex, {n}, index.data());
    h5::write_strings(file, cf::kFilename, filenames);
    if (!spec.attribute_names.empty()) {
      const hsize_t k = spec.attribute_names.size();
      h5::write(file, cf::kAttributes, {n, k}, attributes.data());
      h5::Handle a = h5::open_dataset(file, cf::kAttributes);
      h5::set_attr(a.id(), cf::kAttrNames, spec.attribute_names, file.file());
    }
    if (spec.partition) h5::write(file, cf::kPartition, {n}, partition.data());
    if (spec.labels) h5::write(file, cf::kLabel, {n}, label.data());
    std::vector<std::string> rf, rr;
    std::vector<int64_t> rs;
    for (size_t i = rejects_begin; i < rejects.size(); ++i) {
      rf.push_back(rejects[i].filename);
      rr.push_back(rejects[i].reason);
      rs.push_back(rejects[i].source);
    }
    h5::write_strings(file, cf::kRejectedFilename, rf);
    h5::write_strings(file, cf::kRejectedReason, rr);
    h5::write(file, cf::kRejectedSource, {hsize_t(rs.size())}, rs.data());
    const hid_t id = file.id();
    const std::string& fn = file.file();
    write_cache_attributes(id, fn, spec, count);
    h5::set_attr(id, cf::kAttrSourceBegin, begin, fn);
    h5::set_attr(id, cf::kAttrSourceEnd, end, fn);
    h5::set_attr(id, cf::kAttrChecksum, int64_t{crc}, fn);
    file.close();
    ShardInfo info;
    info.name = target.filename().string();
    info.count = count;
    info.checksum = crc;
    info.bytes = static_cast<int64_t>(fs::file_size(tmp));
    info.source_begin = begin;
    info.source_end = end;
    wait_commit();
    committing_info = info;
    committing = std::async(std::launch::async, [from = tmp, to = target] { commit_file(from, to); });
    open = false;
    ++next_shard;
    begin = end;
    rejects_begin = rejects.size();
  }
};

void write_cache_attributes(hid_t obj, const std::string& fn, const ShardSpec& spec, int64_t count) {
  h5::set_attr(obj, cf::kAttrFormat, cf::kFormat, fn);
  h5::set_attr(obj, cf::kAttrVersion, cf::kVersion, fn);
  h5::set_attr(obj, cf::kAttrSize, int64_t{spec.size}, fn);
  h5::set_attr(obj, cf::kAttrChannels, int64_t{spec.channels}, fn);
  h5::set_attr(obj, cf::kAttrCount, count, fn);
  h5::set_attr(obj, cf::kAttrMean, spec.mean, fn);
  h5::set_attr(obj, cf::kAttrStd, spec.std, fn);
  h5::set_attr(obj, cf::kAttrLayout, spec.layout, fn);
  h5::set_attr(obj, cf::kAttrStore, store_name(spec.store), fn);
  h5::set_attr(obj, cf::kAttrRule,
                           spec.store == Store::uint8 ? "x = (u/255 - mean)/std" : "images hold x = (u/255 - mean)/std", fn);
  h5::set_attr(obj, cf::kAttrPackKey, spec.pack_key, fn);
}

ShardWriter::ShardWriter(fs::path dir, ShardSpec spec, int64_t first_shard, int64_t source_begin, int64_t source_end)
    : impl_(std::make_unique<Impl>()) {
  if (spec.shard_size < 1) throw std::invalid_argument("--shard-size must be at least 1");
  impl_->dir = std::move(dir);
  impl_->spec = std::move(spec);
  impl_->next_shard = first_shard;
  impl_->begin = source_begin;
  impl_->source_end = source_end;
}

ShardWriter::~ShardWriter() {
  // A commit in flight finishes first (the future's destructor waits): its shard is complete, and a later
  // --resume keeps it.
  if (impl_ && impl_->open) {
    impl_->images.reset();
    impl_->file = h5::File();  // closes without flushing checks: the file is being discarded
    std::error_code ec;
    fs::remove(impl_->tmp, ec);
    fs::remove(fs::path(impl_->tmp.string() + "c"), ec);
  }
}

void ShardWriter::append(int64_t source, std::string_view filename, const void* image, const int8_t* attributes,
                         uint8_t partition, int64_t label, int64_t image_crc) {
  Impl& m = *impl_;
  if (m.open && m.count == m.spec.shard_size) m.close_shard(source);
  if (!m.open) m.open_shard(source);
  const size_t ib = m.spec.image_bytes();
  std::memcpy(m.block.data() + m.block_rows * ib, image, ib);
  // The shard's CRC continues over this image; crc32_combine joins a CRC computed elsewhere in O(log n).
  if (image_crc < 0) m.crc = crc32_update(m.crc, {static_cast<const uint8_t*>(image), ib});
  else m.crc = static_cast<uint32_t>(crc32_combine(m.crc, static_cast<uLong>(image_crc), static_cast<z_off_t>(ib)));
  ++m.block_rows;
  ++m.count;
  ++m.images_total;
  if (m.block_rows == kBlockRows) m.flush_block();
  m.index.push_back(source);
  m.filenames.emplace_back(filename);
  if (!m.spec.attribute_names.empty())
    m.attributes.insert(m.attributes.end(), attributes, attributes + m.spec.attribute_names.size());
  if (m.spec.partition) m.partition.push_back(partition);
  if (m.spec.labels) m.label.push_back(label);
}

void ShardWriter::reject(int64_t source, std::string_view filename, std::string_view reason) {
  impl_->rejects.push_back({source, std::string(filename), std::string(reason)});
}

const std::vector<ShardInfo>& ShardWriter::finish() {
  Impl& m = *impl_;
  // The last shard ends at the end of the input. With no image since the last shard, its trailing rejects still
  // need a home: an image-less shard holds them (only possible when every remaining input was rejected).
  if (!m.open && m.rejects.size() > m.rejects_begin) m.open_shard(m.begin);
  if (m.open) m.close_shard(m.source_end);
  m.wait_commit();
  return m.done;
}

const std::vector<ShardInfo>& ShardWriter::completed() const { return impl_->done; }
const std::vector<RejectRecord>& ShardWriter::rejected() const { return impl_->rejects; }
int64_t ShardWriter::images() const { return impl_->images_total; }
int64_t ShardWriter::bytes_written() const { return impl_->bytes_total; }

ExistingShard read_shard_summary(const fs::path& dir, const std::string& name) {
  const fs::path p = dir / name;
  h5::File f = h5::File::open(p);
  const hid_t id = f.id();
  const std::string& fn = f.file();
  const std::string format = h5::has_attr(id, cf::kAttrFormat) ? h5::get_attr_string(id, cf::kAttrFormat, fn) : "";
  if (format != cf::kFormat)
    throw std::runtime_error("'" + p.string() + "' is not a cache shard (format '" + format + "', expected '" +
                             cf::kFormat + "')");
  const int64_t version = h5::get_attr_int(id, cf::kAttrVersion, fn);
  if (version != cf::kVersion)
    throw std::runtime_error("'" + p.string() + "' is cache version " + std::to_string(version) + ", this build writes " +
                             std::to_string(cf::kVersion));
  ExistingShard s;
  s.info.name = name;
  s.info.count = h5::get_attr_int(id, cf::kAttrCount, fn);
  s.info.checksum = static_cast<uint32_t>(h5::get_attr_int(id, cf::kAttrChecksum, fn));
  s.info.source_begin = h5::get_attr_int(id, cf::kAttrSourceBegin, fn);
  s.info.source_end = h5::get_attr_int(id, cf::kAttrSourceEnd, fn);
  s.pack_key = h5::get_attr_string(id, cf::kAttrPackKey, fn);
  const auto files = h5::read_strings(f, cf::kRejectedFilename);
  const auto reasons = h5::read_strings(f, cf::kRejectedReason);
  const auto sources = h5::read<int64_t>(f, cf::kRejectedSource);
  if (files.size() != reasons.size() || files.size() != sources.size())
    throw std::runtime_error("'" + p.string() + "' has inconsistent rejected lists");
  for (size_t i = 0; i < files.size(); ++i) s.rejected.push_back({sources[i], files[i], reasons[i]});
  f.close();
  s.info.bytes = static_cast<int64_t>(fs::file_size(p));
  return s;
}

}  // namespace pipeline
