// dataset.h5 writer and reader (see manifest.hpp).
#include "pipeline/manifest.hpp"

#include "pipeline/atomic_file.hpp"
#include "pipeline/cache_h5.hpp"
#include "pipeline/pack_options.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string_view>

namespace pipeline {

namespace fs = std::filesystem;
namespace cf = cache_format;

int64_t ManifestData::count() const {
  int64_t n = 0;
  for (const auto& s : shards) n += s.count;
  return n;
}

namespace {

// A virtual dataset `name` of shape [N, row...] mapping rows of each shard's dataset of the same name.
void create_vds(const h5::File& f, const std::string& name, hid_t type, const std::vector<hsize_t>& row,
                const std::vector<ShardInfo>& shards) {
  const std::string& fn = f.file();
  hsize_t total = 0;
  for (const auto& s : shards) total += hsize_t(s.count);
  std::vector<hsize_t> dims = {total};
  dims.insert(dims.end(), row.begin(), row.end());
  h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  h5::check(dcpl.id(), "creating a dataset property list", fn);
  h5::check(H5Pset_obj_track_times(dcpl.id(), 0), "turning off time tracking", fn);
  hsize_t first = 0;
  for (const auto& s : shards) {
    if (s.count == 0) continue;  // an image-less shard holds only rejects
    std::vector<hsize_t> src = dims, start(dims.size(), 0);
    src[0] = hsize_t(s.count);
    start[0] = first;
    h5::Handle vspace(H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose);
    h5::Handle sspace(H5Screate_simple(int(src.size()), src.data(), nullptr), H5Sclose);
    h5::check(vspace.id() < 0 || sspace.id() < 0 ? -1 : 0, "creating dataspaces for '" + name + "'", fn);
    h5::check(H5Sselect_hyperslab(vspace.id(), H5S_SELECT_SET, start.data(), nullptr, src.data(), nullptr),
              "selecting rows of '" + name + "' for " + s.name, fn);
    h5::check(H5Pset_virtual(dcpl.id(), vspace.id(), s.name.c_str(), name.c_str(), sspace.id()),
              "mapping '" + name + "' of " + s.name, fn);
    first += hsize_t(s.count);
  }
  h5::Handle space(H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose);
  h5::check(space.id(), "creating the dataspace of '" + name + "'", fn);
  const hid_t d = H5Dcreate2(f.id(), name.c_str(), type, space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT);
  h5::check(d, "creating virtual dataset '" + name + "'", fn);
  H5Dclose(d);
}

}  // namespace

namespace {
// A field of rejected.txt: the characters that would break its line or its two fields, and the escape character,
// as two-character escapes.
void append_escaped(std::string& out, std::string_view field) {
  for (const char c : field) {
    const char e = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : 0;
    if (e) out += '\\';
    out += e ? e : c;
  }
}
}  // namespace

std::string rejected_text(const std::vector<RejectRecord>& rejected, int64_t source_count) {
  std::string s = "# celeba-pack: " + std::to_string(rejected.size()) + " of " + std::to_string(source_count) +
                  " inputs were not packed. One per line: filename<TAB>reason, a backslash, tab, newline or carriage "
                  "return in them written as \\\\ \\t \\n \\r\n";
  for (const auto& r : rejected) {
    append_escaped(s, r.filename);
    s += '\t';
    append_escaped(s, r.reason);
    s += '\n';
  }
  return s;
}

void write_manifest(const fs::path& dir, const ManifestData& m) {
  h5::write_file_atomic(dir / cf::kManifestFile, [&](h5::File& f) {
    const std::string& fn = f.file();
    const ShardSpec& sp = m.spec;
    const hid_t id = f.id();
    write_cache_attributes(id, fn, sp, m.count());
    h5::set_attr(id, cf::kAttrSourceCount, m.source_count, fn);
    h5::set_attr(id, cf::kAttrRejectedCount, static_cast<int64_t>(m.rejected.size()), fn);
    h5::set_attr(id, cf::kAttrShardCount, static_cast<int64_t>(m.shards.size()), fn);

    const hsize_t c = hsize_t(sp.channels), s = hsize_t(sp.size);
    {
      h5::Handle t = cacheh5::image_type(sp.store, fn);
      create_vds(f, cf::kImages, t.id(), {c, s, s}, m.shards);
    }
    create_vds(f, cf::kIndex, H5T_STD_I64LE, {}, m.shards);
    {
      h5::Handle t = h5::vlen_utf8_type(fn);
      create_vds(f, cf::kFilename, t.id(), {}, m.shards);
    }
    if (!sp.attribute_names.empty()) {
      create_vds(f, cf::kAttributes, H5T_STD_I8LE, {hsize_t(sp.attribute_names.size())}, m.shards);
      h5::Handle a = h5::open_dataset(f, cf::kAttributes);
      h5::set_attr(a.id(), cf::kAttrNames, sp.attribute_names, fn);
    }
    if (sp.partition) create_vds(f, cf::kPartition, H5T_STD_U8LE, {}, m.shards);
    if (sp.labels) create_vds(f, cf::kLabel, H5T_STD_I64LE, {}, m.shards);

    std::vector<std::string> names;
    std::vector<int64_t> counts, bytes;
    std::vector<uint32_t> sums;
    for (const auto& sh : m.shards) {
      names.push_back(sh.name);
      counts.push_back(sh.count);
      sums.push_back(sh.checksum);
      bytes.push_back(sh.bytes);
    }
    const hsize_t n = m.shards.size();
    h5::write_strings(f, cf::kShardsName, names);
    h5::write(f, cf::kShardsCount, {n}, counts.data());
    h5::write(f, cf::kShardsChecksum, {n}, sums.data());
    h5::write(f, cf::kShardsBytes, {n}, bytes.data());
    {
      h5::Handle d = h5::open_dataset(f, cf::kShardsChecksum);
      h5::set_attr(d.id(), "algorithm", std::string("CRC-32 (zlib crc32) of the shard's images bytes in row order"), fn);
    }

    std::vector<std::string> rf, rr;
    std::vector<int64_t> rs;
    for (const auto& r : m.rejected) {
      rf.push_back(r.filename);
      rr.push_back(r.reason);
      rs.push_back(r.source);
    }
    h5::write_strings(f, cf::kRejectedFilename, rf);
    h5::write_strings(f, cf::kRejectedReason, rr);
    h5::write(f, cf::kRejectedSource, {hsize_t(rs.size())}, rs.data());

    h5::Location opts = f.create_group(cf::kOptions);
    for (const auto& [k, v] : m.options) h5::set_attr(opts.id(), k, v, fn);
    opts = h5::Location();
  });
  write_file_atomic(dir / cf::kRejectedFile, rejected_text(m.rejected, m.source_count));
}

ManifestData read_manifest(const fs::path& dir) {
  const fs::path p = dir / cf::kManifestFile;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error("cache directory '" + dir.string() + "' does not exist");
  if (!fs::exists(p, ec))
    throw std::runtime_error("'" + dir.string() + "' is not a finished cache: " + cf::kManifestFile +
                             " is missing (an interrupted pack? run celeba-pack again with --resume)");
  h5::File f = h5::File::open(p);
  const hid_t id = f.id();
  const std::string& fn = f.file();
  const std::string format = h5::has_attr(id, cf::kAttrFormat) ? h5::get_attr_string(id, cf::kAttrFormat, fn) : "";
  if (format != cf::kFormat)
    throw std::runtime_error("'" + p.string() + "' is not a training cache: its format attribute is " +
                             (format.empty() ? std::string("missing") : "'" + format + "'") + ", expected '" +
                             cf::kFormat + "'");
  const int64_t version = h5::get_attr_int(id, cf::kAttrVersion, fn);
  if (version != cf::kVersion)
    throw std::runtime_error("'" + p.string() + "' is " + cf::kFormat + " version " + std::to_string(version) +
                             "; this build reads version " + std::to_string(cf::kVersion) +
                             " (repack with this celeba-pack, or use the matching build)");
  ManifestData m;
  ShardSpec& sp = m.spec;
  sp.size = static_cast<int>(h5::get_attr_int(id, cf::kAttrSize, fn));
  sp.channels = static_cast<int>(h5::get_attr_int(id, cf::kAttrChannels, fn));
  sp.mean = h5::get_attr_double(id, cf::kAttrMean, fn);
  sp.std = h5::get_attr_double(id, cf::kAttrStd, fn);
  sp.layout = h5::get_attr_string(id, cf::kAttrLayout, fn);
  sp.pack_key = h5::get_attr_string(id, cf::kAttrPackKey, fn);
  try {
    sp.store = parse_store(h5::get_attr_string(id, cf::kAttrStore, fn));
  } catch (const std::invalid_argument&) {
    throw std::runtime_error("'" + p.string() + "' stores images as '" + h5::get_attr_string(id, cf::kAttrStore, fn) +
                             "', which this build cannot read (uint8, float16, float32)");
  }
  if (f.exists(cf::kAttributes)) {
    h5::Handle a = h5::open_dataset(f, cf::kAttributes);
    sp.attribute_names = h5::get_attr_strings(a.id(), cf::kAttrNames, fn);
  }
  sp.partition = f.exists(cf::kPartition);
  sp.labels = f.exists(cf::kLabel);
  m.source_count = h5::get_attr_int(id, cf::kAttrSourceCount, fn);
  const auto names = h5::read_strings(f, cf::kShardsName);
  const auto counts = h5::read<int64_t>(f, cf::kShardsCount);
  const auto sums = h5::read<uint32_t>(f, cf::kShardsChecksum);
  const auto bytes = h5::read<int64_t>(f, cf::kShardsBytes);
  if (counts.size() != names.size() || sums.size() != names.size() || bytes.size() != names.size())
    throw std::runtime_error("'" + p.string() + "' has an inconsistent shard table");
  for (size_t i = 0; i < names.size(); ++i) {
    ShardInfo s;
    s.name = names[i];
    s.count = counts[i];
    s.checksum = sums[i];
    s.bytes = bytes[i];
    m.shards.push_back(s);
  }
  const auto rf = h5::read_strings(f, cf::kRejectedFilename);
  const auto rr = h5::read_strings(f, cf::kRejectedReason);
  const auto rs = h5::read<int64_t>(f, cf::kRejectedSource);
  for (size_t i = 0; i < rf.size() && i < rr.size() && i < rs.size(); ++i) m.rejected.push_back({rs[i], rf[i], rr[i]});
  if (f.exists(cf::kOptions)) {
    h5::Location g = f.group(cf::kOptions);
    // By name, the names this version records: enumerating the attributes (H5Aget_name_by_idx) builds libhdf5's
    // attribute table, whose error path dereferences a null entry when one attribute message is damaged (a SEGV in
    // H5A__close found by fuzzing, tests/fuzz/regressions/cache/). An option only a newer version records is not read.
    for (const std::string& name : options_record_names())
      if (h5::has_attr(g.id(), name)) m.options.emplace_back(name, h5::get_attr_string(g.id(), name, fn));
    std::sort(m.options.begin(), m.options.end());
  }
  const int64_t declared = h5::get_attr_int(id, cf::kAttrCount, fn);
  if (declared != m.count())
    throw std::runtime_error("'" + p.string() + "' declares " + std::to_string(declared) +
                             " images but its shard table adds up to " + std::to_string(m.count()));
  return m;
}

}  // namespace pipeline
