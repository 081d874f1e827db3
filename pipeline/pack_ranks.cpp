// Packing across MPI ranks: slices, the shard plan, spools and the ranks' agreement checks (see pack_ranks.hpp).
#include "pipeline/pack_ranks.hpp"

#include "pipeline/atomic_file.hpp"
#include "pipeline/celeba_meta.hpp"
#include "pipeline/crc32.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace pipeline {

namespace fs = std::filesystem;

namespace {

// The index's first bytes: format name and version. Numbers follow in the byte order of the machine; the ranks of
// one job share it.
constexpr char kSpoolMagic[] = "dcgan-onednn spool 1\n";

std::string spool_name(int rank, const char* what) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%05d.%s.tmp", kSpoolPrefix, rank, what);
  return buf;
}

std::string errno_text() { return std::strerror(errno); }

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Reads the index bytes in order; throws naming the file when they end early.
struct IndexReader {
  const std::string& bytes;
  const fs::path& path;
  size_t at = 0;
  const char* take(size_t n) {
    if (bytes.size() - at < n) throw std::runtime_error("'" + path.string() + "' is truncated (a damaged spool)");
    const char* p = bytes.data() + at;
    at += n;
    return p;
  }
  template <class T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
};

std::string rank_list(const std::vector<int>& ranks) {
  std::string s;
  for (size_t i = 0; i < ranks.size(); ++i)
    s += (i ? (i + 1 == ranks.size() ? " and " : ", ") : "") + std::to_string(ranks[i]);
  return (ranks.size() > 1 ? "ranks " : "rank ") + s;
}

}  // namespace

Slice rank_slice(int64_t begin, int64_t end, int rank, int ranks) {
  const int64_t n = end - begin;
  return {begin + n * rank / ranks, begin + n * (rank + 1) / ranks};
}

std::vector<PlannedShard> plan_shards(const std::vector<uint8_t>& accepted, const std::vector<Slice>& slices,
                                      int64_t shard_size, int64_t first_shard) {
  if (slices.empty() || shard_size < 1) throw std::invalid_argument("plan_shards: no slices or shard_size < 1");
  const int64_t begin = slices.front().begin, end = slices.back().end;
  if (static_cast<int64_t>(accepted.size()) != end - begin)
    throw std::invalid_argument("plan_shards: accepted does not cover the slices");
  auto rank_of = [&](int64_t i) {
    for (size_t r = 0; r < slices.size(); ++r)
      if (slices[r].contains(i)) return static_cast<int>(r);
    throw std::logic_error("plan_shards: input " + std::to_string(i) + " is in no slice");
  };
  std::vector<PlannedShard> plan;
  int64_t images = 0;
  for (int64_t i = begin; i < end; ++i) {
    if (!accepted[size_t(i - begin)]) continue;
    if (images++ % shard_size) continue;
    // Input i is a shard's first image: it ends the shard before (with the rejects before it) and starts one.
    if (!plan.empty()) plan.back().source_end = i;
    plan.push_back({first_shard + static_cast<int64_t>(plan.size()), plan.empty() ? begin : i, end, rank_of(i)});
  }
  if (plan.empty() && end > begin) plan.push_back({first_shard, begin, end, 0});  // rejects only
  return plan;
}

// ---- SpoolWriter ----

struct SpoolWriter::Impl {
  fs::path dir;
  int rank = 0;
  uint64_t job = 0;
  size_t image_bytes = 0;
  Slice slice;
  fs::path images_path;
  CFile images{nullptr, &std::fclose};
  bool finished = false;  // the index is written: the spool is complete
  std::vector<int64_t> item;
  std::vector<uint32_t> crc;
  std::vector<std::string> reasons;
  int64_t next = 0;  // the input expected next

  void expect(int64_t source) {
    if (source != next || !slice.contains(source))
      throw std::logic_error("SpoolWriter: input " + std::to_string(source) + " out of order (expected " +
                             std::to_string(next) + ")");
    ++next;
  }
};

SpoolWriter::SpoolWriter(fs::path dir, int rank, uint64_t job, size_t image_bytes, Slice slice)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.dir = std::move(dir);
  m.rank = rank;
  m.job = job;
  m.image_bytes = image_bytes;
  m.slice = slice;
  m.next = slice.begin;
  m.images_path = m.dir / spool_name(rank, "images");
  m.images.reset(std::fopen(m.images_path.c_str(), "wb"));
  if (!m.images) throw std::runtime_error("cannot create '" + m.images_path.string() + "': " + errno_text());
}

SpoolWriter::~SpoolWriter() {
  if (impl_->finished) return;
  impl_->images.reset();
  std::error_code ec;
  fs::remove(impl_->images_path, ec);
}

void SpoolWriter::image(int64_t source, const uint8_t* image, uint32_t crc) {
  Impl& m = *impl_;
  m.expect(source);
  if (std::fwrite(image, 1, m.image_bytes, m.images.get()) != m.image_bytes)
    throw std::runtime_error("cannot write '" + m.images_path.string() + "': " + errno_text() +
                             " (a pack across ranks spools each rank's images beside the shards until it writes them)");
  m.item.push_back(static_cast<int64_t>(m.crc.size()));
  m.crc.push_back(crc);
}

void SpoolWriter::reject(int64_t source, const std::string& reason) {
  Impl& m = *impl_;
  m.expect(source);
  m.item.push_back(-static_cast<int64_t>(m.reasons.size()) - 1);
  m.reasons.push_back(reason);
}

void SpoolWriter::finish() {
  Impl& m = *impl_;
  if (m.next != m.slice.end) throw std::logic_error("SpoolWriter::finish: the slice is not complete");
  const int closed = std::fclose(m.images.release());
  if (closed != 0) throw std::runtime_error("cannot write '" + m.images_path.string() + "': " + errno_text());
  std::string s(kSpoolMagic);
  put(s, m.job);
  put(s, m.slice.begin);
  put(s, m.slice.end);
  for (int64_t v : m.item) put(s, v);
  for (uint32_t v : m.crc) put(s, v);
  for (const auto& r : m.reasons) {
    put(s, static_cast<uint64_t>(r.size()));
    s += r;
  }
  write_file_atomic(m.dir / spool_name(m.rank, "index"), s);
  m.finished = true;
}

// ---- reading spools ----

SpoolIndex read_spool_index(const fs::path& dir, int rank, uint64_t job) {
  const fs::path p = dir / spool_name(rank, "index");
  std::error_code ec;
  if (!fs::exists(p, ec))
    throw std::runtime_error("rank " + std::to_string(rank) + "'s spool index '" + p.string() +
                             "' does not exist (is --output one directory every rank shares?)");
  const std::vector<uint8_t> raw = read_whole_file(p);
  const std::string bytes(raw.begin(), raw.end());
  IndexReader in{bytes, p};
  if (std::string(in.take(sizeof kSpoolMagic - 1), sizeof kSpoolMagic - 1) != kSpoolMagic)
    throw std::runtime_error("'" + p.string() + "' is not a spool index of this version");
  if (in.get<uint64_t>() != job) throw std::runtime_error("'" + p.string() + "' belongs to another run");
  SpoolIndex x;
  x.slice.begin = in.get<int64_t>();
  x.slice.end = in.get<int64_t>();
  const int64_t most = static_cast<int64_t>(bytes.size() / sizeof(int64_t));  // one item per input at least
  if (x.slice.begin < 0 || x.slice.end < x.slice.begin || x.slice.end - x.slice.begin > most)
    throw std::runtime_error("'" + p.string() + "' has an impossible slice (a damaged spool)");
  const int64_t inputs = x.slice.end - x.slice.begin;
  int64_t images = 0, rejects = 0;
  for (int64_t i = 0; i < inputs; ++i) {
    const int64_t v = in.get<int64_t>();
    if (v != (v >= 0 ? images : -rejects - 1)) throw std::runtime_error("'" + p.string() + "' is damaged");
    ++(v >= 0 ? images : rejects);
    x.item.push_back(v);
  }
  for (int64_t i = 0; i < images; ++i) x.crc.push_back(in.get<uint32_t>());
  for (int64_t i = 0; i < rejects; ++i) {
    const auto len = in.get<uint64_t>();
    x.reasons.emplace_back(in.take(len), len);
  }
  if (in.at != bytes.size()) throw std::runtime_error("'" + p.string() + "' has trailing bytes (a damaged spool)");
  return x;
}

SpoolReader::SpoolReader(const fs::path& dir, int rank, size_t image_bytes)
    : path_(dir / spool_name(rank, "images")),
      image_bytes_(image_bytes),
      file_(std::fopen(path_.c_str(), "rb"), &std::fclose) {
  if (!file_) throw std::runtime_error("cannot open '" + path_.string() + "', rank " + std::to_string(rank) +
                                       "'s spooled images: " + errno_text());
}

void SpoolReader::read(int64_t image, uint32_t crc, uint8_t* out) {
  if (::fseeko(file_.get(), static_cast<off_t>(image) * static_cast<off_t>(image_bytes_), SEEK_SET) != 0 ||
      std::fread(out, 1, image_bytes_, file_.get()) != image_bytes_)
    throw std::runtime_error("cannot read image " + std::to_string(image) + " of '" + path_.string() +
                             "' (truncated or unreadable)");
  // Damage between the write and this read (a shared file system's) must not reach a shard whose checksum would
  // then vouch for it.
  if (crc32_update(0, {out, image_bytes_}) != crc)
    throw std::runtime_error("image " + std::to_string(image) + " of '" + path_.string() +
                             "' does not match its CRC-32 in the spool index (a damaged spool)");
}

void remove_spool(const fs::path& dir, int rank) {
  std::error_code ec;
  fs::remove(dir / spool_name(rank, "images"), ec);
  fs::remove(dir / spool_name(rank, "index"), ec);
}

fs::path job_file(const fs::path& dir) { return dir / (std::string(kSpoolPrefix) + "job.tmp"); }

// ---- agreement ----

void check_ranks_agree(nn::Collectives& g, const std::string& fact, const std::string& what) {
  const uint64_t mine = nn::fnv1a(fact.data(), fact.size());
  std::vector<uint64_t> all(size_t(g.size()));
  g.allgather(&mine, sizeof mine, all.data());
  std::vector<int> differ;
  for (int r = 1; r < g.size(); ++r)
    if (all[size_t(r)] != all[0]) differ.push_back(r);
  if (!differ.empty())
    throw std::runtime_error(rank_list(differ) + " and rank 0 differ in " + what);
}

void check_all_ok(nn::Collectives& g, bool ok, const std::string& problem) {
  const uint8_t mine = ok ? 1 : 0;
  std::vector<uint8_t> all(size_t(g.size()));
  g.allgather(&mine, 1, all.data());
  std::vector<int> failed;
  for (int r = 0; r < g.size(); ++r)
    if (!all[size_t(r)]) failed.push_back(r);
  if (!failed.empty()) throw std::runtime_error(rank_list(failed) + ": " + problem);
}

void barrier(nn::Collectives& g) {
  int64_t x = 0;
  g.allreduce_max(&x, 1);
}

}  // namespace pipeline
