// The pack's output policy: the output's lock, --resume / --force, the pack key, free space (see pack_output.hpp).
#include "pipeline/pack_output.hpp"

#include "pipeline/cache.hpp"
#include "pipeline/celeba_meta.hpp"
#include "pipeline/pack_ranks.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;
namespace cf = cache_format;

void pack_warn(const PackOptions& o, const std::string& msg) {
  if (o.log) std::fprintf(o.log, "celeba-pack: warning: %s\n", msg.c_str());
}

void pack_note(const PackOptions& o, const std::string& msg) {
  if (o.log && o.progress != Progress::Mode::quiet) std::fprintf(o.log, "celeba-pack: %s\n", msg.c_str());
}

namespace {

// The options and the input's identity (its names, hashed) in one canonical line.
std::string pack_key(const PackOptions& o, const Source& s, int64_t source_count) {
  std::string names;
  for (int64_t i = 0; i < source_count; ++i) names += s.name(i) + '\n';
  const auto* p = reinterpret_cast<const uint8_t*>(names.data());
  return std::string("layout=") + layout_name(s.layout()) + " size=" + std::to_string(o.transform.size) +
         " channels=" + std::to_string(o.transform.channels) +
         " mode=" + (o.transform.mode == ResizeMode::exact ? "exact" : "fast") + " store=" + store_name(o.store) +
         " deflate=" + std::to_string(o.deflate_level) + " shard_size=" + std::to_string(o.shard_size) +
         " max_pixels=" + std::to_string(o.transform.max_pixels) + " inputs=" + std::to_string(source_count) +
         " names_md5=" + md5_hex({p, names.size()});
}

bool is_cache_file(const std::string& n) {
  return n == cf::kManifestFile || n == cf::kRejectedFile || n.rfind(cf::kShardPrefix, 0) == 0 ||
         n.rfind(kSpoolPrefix, 0) == 0 ||
         n.rfind(std::string(cf::kManifestFile) + ".tmp", 0) == 0 || n.rfind(std::string(cf::kRejectedFile) + ".tmp", 0) == 0;
}

bool is_temp(const std::string& n) { return n.find(".tmp") != std::string::npos; }

// Bytes available to this user on the output's disk, or nothing when statvfs fails.
std::optional<int64_t> free_bytes(const PackOptions& o) {
  struct statvfs st {};
  if (::statvfs(o.output.c_str(), &st) != 0) return std::nullopt;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

// Shard `name` of an interrupted run, checked to carry this run's key and to start where the previous one ended.
ExistingShard resumable_shard(const PackOptions& o, const std::string& name, const std::string& key,
                              int64_t next_source) {
  ExistingShard s;
  try {
    s = read_shard_summary(o.output, name);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("--resume: cannot use ") + e.what() + "; start over with --force");
  }
  if (s.pack_key != key)
    throw std::runtime_error("--resume: '" + (o.output / name).string() +
                             "' was packed from other inputs or with other options:\n  it has:  " + s.pack_key +
                             "\n  this run: " + key + "\nuse the same options, or start over with --force");
  if (s.info.source_begin != next_source)
    throw std::runtime_error("--resume: '" + (o.output / name).string() + "' starts at input " +
                             std::to_string(s.info.source_begin) + ", expected " + std::to_string(next_source) +
                             "; start over with --force");
  return s;
}

}  // namespace

ShardSpec make_shard_spec(const PackOptions& o, const Source& s, int64_t source_count) {
  ShardSpec spec;
  spec.size = o.transform.size;
  spec.channels = o.transform.channels;
  spec.store = o.store;
  spec.deflate_level = o.deflate_level;
  spec.shard_size = o.shard_size;
  spec.layout = layout_name(s.layout());
  spec.pack_key = pack_key(o, s, source_count);
  spec.attribute_names = s.attribute_names();
  spec.partition = s.has_partition();
  spec.labels = s.has_labels();
  return spec;
}

std::unique_ptr<DirLock> lock_output(const PackOptions& o) {
  std::error_code ec;
  if (fs::exists(o.output, ec) && !fs::is_directory(o.output, ec))
    throw std::runtime_error("output '" + o.output.string() + "' exists and is not a directory");
  return std::make_unique<DirLock>(o.output, "celeba-pack output");
}

void prepare_output(const PackOptions& o) {
  std::error_code ec;
  bool empty = true;  // the lock file, and temporaries a failed run left (nothing of value), do not count
  for (const auto& e : fs::directory_iterator(o.output, ec)) {
    const std::string n = e.path().filename().string();
    if (n != kLockFile && !(is_cache_file(n) && is_temp(n))) {
      empty = false;
      break;
    }
  }
  if (ec) throw std::runtime_error("cannot list output '" + o.output.string() + "': " + ec.message());
  if (!empty && !o.resume && !o.force)
    throw std::runtime_error("output '" + o.output.string() +
                             "' already exists and is not empty: pass --resume to continue an interrupted pack, "
                             "or --force to replace its cache files");
  for (const auto& e : fs::directory_iterator(o.output, ec)) {
    const std::string n = e.path().filename().string();
    if ((o.force && is_cache_file(n)) || (is_cache_file(n) && is_temp(n))) fs::remove(e.path());
  }
}

std::optional<ManifestData> finished_cache(const PackOptions& o, const std::string& key) {
  std::error_code ec;
  if (!fs::exists(o.output / cf::kManifestFile, ec)) return std::nullopt;
  ManifestData done = read_manifest(o.output);
  if (done.spec.pack_key != key)
    throw std::runtime_error("--resume: '" + o.output.string() +
                             "' holds a finished cache packed from other inputs or with other options; use --force "
                             "to replace it");
  try {
    Cache verified(o.output);  // every shard present and matching its manifest entry
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("--resume: the finished cache cannot be used: ") + e.what());
  }
  return done;
}

Resumed scan_shards(const PackOptions& o, const std::string& key) {
  Resumed r;
  for (int64_t k = 0;; ++k) {
    const std::string name = cf::shard_name(k);
    std::error_code ec;
    if (!fs::exists(o.output / name, ec)) break;
    const ExistingShard s = resumable_shard(o, name, key, r.next_source);
    r.next_source = s.info.source_end;
    r.rejected.insert(r.rejected.end(), s.rejected.begin(), s.rejected.end());
    r.shards.push_back(s.info);
  }
  // Shards after a gap cannot be trusted to line up: remove them (they are rewritten).
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(o.output, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(cf::kShardPrefix, 0) != 0 || is_temp(n)) continue;
    const bool kept = std::any_of(r.shards.begin(), r.shards.end(), [&](const ShardInfo& s) { return s.name == n; });
    if (!kept) fs::remove(e.path());
  }
  return r;
}

void check_free_space(const PackOptions& o, int64_t inputs, size_t image_bytes, int copies) {
  // A compressed cache's size is unknown up front (a full disk is caught when writing); spools are not compressed.
  if (o.deflate_level >= 0 && --copies == 0) return;
  const std::optional<int64_t> avail = free_bytes(o);
  if (!avail) return;
  // Pixels, plus ~200 bytes of metadata per image and 1 MB of HDF5 structure.
  const int64_t need = copies * inputs * static_cast<int64_t>(image_bytes + 200) + (1 << 20);
  if (need > *avail)
    throw std::runtime_error("not enough free space on the disk of '" + o.output.string() + "': the cache needs " +
                             (copies > 1 ? "(with the spools of a pack across ranks) " : "") + "about " +
                             format_bytes(need) + ", " + format_bytes(*avail) +
                             " are free (free some space, choose another --output, or use --limit / "
                             "--compression deflate)");
}

void rethrow_with_disk_state(const PackOptions& o, const std::exception& e) {
  const std::optional<int64_t> avail = free_bytes(o);
  if (avail && *avail < (1 << 20))
    throw std::runtime_error(std::string("the disk of '") + o.output.string() +
                             "' is full (" + e.what() + "); free some space and rerun with --resume to continue");
  throw;
}

}  // namespace pipeline
