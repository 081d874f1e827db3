// The pack: options, output directory policy (--resume / --force), the oneTBB flow graph, the manifest
// (see pack.hpp).
#include "pipeline/pack.hpp"

#include "pipeline/atomic_file.hpp"
#include "pipeline/cache.hpp"
#include "pipeline/cache_h5.hpp"
#include "pipeline/celeba_meta.hpp"
#include "pipeline/crc32.hpp"
#include "pipeline/manifest.hpp"
#include "pipeline/shard_writer.hpp"

#include <sys/statvfs.h>

#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;
namespace cf = cache_format;
namespace flow = tbb::flow;

int parse_compression(std::string_view s) {
  if (s == "none") return -1;
  if (s == "deflate") return 4;  // h5py's default gzip level
  if (s.rfind("deflate:", 0) == 0 && s.size() == 9 && s[8] >= '0' && s[8] <= '9') return s[8] - '0';
  throw std::invalid_argument("--compression '" + std::string(s) + "' is not none, deflate or deflate:0..9");
}

bool parse_on_error(std::string_view s) {
  if (s == "skip") return false;
  if (s == "fail") return true;
  throw std::invalid_argument("--on-error '" + std::string(s) + "' is not skip or fail");
}

namespace {

// Warnings always reach the log; notes (what is read, what a resume keeps) only without --quiet.
void warn(const PackOptions& o, const std::string& msg) {
  if (o.log) std::fprintf(o.log, "celeba-pack: warning: %s\n", msg.c_str());
}
void note(const PackOptions& o, const std::string& msg) {
  if (o.log && o.progress != Progress::Mode::quiet) std::fprintf(o.log, "celeba-pack: %s\n", msg.c_str());
}

void validate(const PackOptions& o) {
  if (o.input.empty()) throw std::invalid_argument("--input is required");
  if (o.output.empty()) throw std::invalid_argument("--output is required");
  if (o.shard_size < 1) throw std::invalid_argument("--shard-size must be at least 1, got " + std::to_string(o.shard_size));
  if (o.threads < 0) throw std::invalid_argument("--threads must be 0 (all cores) or more, got " + std::to_string(o.threads));
  if (o.limit < 0) throw std::invalid_argument("--limit must be 0 (all) or more, got " + std::to_string(o.limit));
  if (o.resume && o.force) throw std::invalid_argument("--resume and --force exclude each other: pick one");
  if (o.deflate_level > 9) throw std::invalid_argument("--compression level must be 0..9");
  Transform probe(o.transform);  // throws std::invalid_argument naming --size / --channels / --max-pixels
}

bool is_cache_file(const std::string& n) {
  return n == cf::kManifestFile || n == cf::kRejectedFile || n.rfind(cf::kShardPrefix, 0) == 0 ||
         n.rfind(std::string(cf::kManifestFile) + ".tmp", 0) == 0 || n.rfind(std::string(cf::kRejectedFile) + ".tmp", 0) == 0;
}

bool is_temp(const std::string& n) { return n.find(".tmp") != std::string::npos; }

// Everything that decides the bytes of the cache; a resume with a different key would mix two caches.
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

std::vector<std::pair<std::string, std::string>> options_record(const PackOptions& o, Layout layout) {
  std::error_code ec;
  const fs::path in = fs::absolute(o.input, ec);
  return {{"input", in.string()},
          {"layout", layout_name(layout)},
          {"size", std::to_string(o.transform.size)},
          {"channels", std::to_string(o.transform.channels)},
          {"exact", o.transform.mode == ResizeMode::exact ? "true" : "false"},
          {"store", store_name(o.store)},
          {"compression", o.deflate_level < 0 ? "none" : "deflate:" + std::to_string(o.deflate_level)},
          {"shard_size", std::to_string(o.shard_size)},
          {"threads", std::to_string(o.threads)},
          {"on_error", o.fail_on_error ? "fail" : "skip"},
          {"max_pixels", std::to_string(o.transform.max_pixels)},
          {"limit", std::to_string(o.limit)}};
}

// The output directory before packing: refuses an existing cache without --resume/--force, clears it with
// --force, removes stale temporaries.
void prepare_output(const PackOptions& o) {
  std::error_code ec;
  if (fs::exists(o.output, ec) && !fs::is_directory(o.output, ec))
    throw std::runtime_error("output '" + o.output.string() + "' exists and is not a directory");
  if (!fs::exists(o.output, ec)) {
    fs::create_directories(o.output, ec);
    if (ec) throw std::runtime_error("cannot create output '" + o.output.string() + "': " + ec.message());
    return;
  }
  bool empty = true;
  for (const auto& e : fs::directory_iterator(o.output, ec)) {
    (void)e;
    empty = false;
    break;
  }
  if (!empty && !o.resume && !o.force)
    throw std::runtime_error("output '" + o.output.string() +
                             "' already exists and is not empty: pass --resume to continue an interrupted pack, "
                             "or --force to replace its cache files");
  for (const auto& e : fs::directory_iterator(o.output, ec)) {
    const std::string n = e.path().filename().string();
    if ((o.force && is_cache_file(n)) || (is_cache_file(n) && is_temp(n))) fs::remove(e.path());
  }
}

struct Resumed {
  std::vector<ShardInfo> shards;
  std::vector<RejectRecord> rejected;
  int64_t next_source = 0;
};

// Complete shards of an interrupted run with the same pack key, in order from shard 0; later files are removed.
Resumed scan_shards(const PackOptions& o, const std::string& key) {
  Resumed r;
  for (int64_t k = 0;; ++k) {
    const std::string name = cf::shard_name(k);
    std::error_code ec;
    if (!fs::exists(o.output / name, ec)) break;
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
    if (s.info.source_begin != r.next_source)
      throw std::runtime_error("--resume: '" + (o.output / name).string() + "' starts at input " +
                               std::to_string(s.info.source_begin) + ", expected " + std::to_string(r.next_source) +
                               "; start over with --force");
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

void check_free_space(const PackOptions& o, int64_t inputs, size_t image_bytes) {
  if (o.deflate_level >= 0) return;  // compressed size is unknown up front; a full disk is caught when writing
  struct statvfs st {};
  if (::statvfs(o.output.c_str(), &st) != 0) return;
  const int64_t avail = static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
  // Pixels, plus ~200 bytes of metadata per image and 1 MB of HDF5 structure.
  const int64_t need = inputs * static_cast<int64_t>(image_bytes + 200) + (1 << 20);
  if (need > avail)
    throw std::runtime_error("not enough free space on the disk of '" + o.output.string() + "': the cache needs about " +
                             format_bytes(need) + ", " + format_bytes(avail) +
                             " are free (free some space, choose another --output, or use --limit / "
                             "--compression deflate)");
}

// Turns an exception from writing into a full-disk message when the disk is indeed full.
[[noreturn]] void rethrow_with_disk_state(const PackOptions& o, const std::exception& e) {
  struct statvfs st {};
  if (::statvfs(o.output.c_str(), &st) == 0 &&
      static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize) < (1 << 20))
    throw std::runtime_error(std::string("the disk of '") + o.output.string() +
                             "' is full (" + e.what() + "); free some space and rerun with --resume to continue");
  throw;
}

// One input travelling through the graph; a pool of them is reused, so memory stays flat.
struct Work {
  int64_t seq = 0;     // position in this run (sequencer key)
  int64_t source = 0;  // position in the source order
  SourceItem item;
  std::vector<uint8_t> out;    // stored image bytes [C,S,S]
  std::vector<float> scratch;  // float16 store: normalized floats before conversion
  uint32_t crc = 0;            // CRC-32 of out (zlib's), computed in the parallel stage
  bool rejected = false;
  std::string reason;
};

std::string reject_reason(const SourceItem& item, const std::string& why) {
  if (!item.pixels && looks_like_html(item.bytes))
    return "an HTML page, not an image (a failed download saved under an image name?)";
  return why;
}

}  // namespace

PackSummary pack(const PackOptions& o) {
  // After a failed write (a full disk) HDF5 1.10 keeps the file in a state that its exit-time cleanup cannot
  // close: H5_term_library crashes in H5F__close_cb, and `celeba-pack` would die of SIGSEGV instead of exiting
  // with status 1 and its message. The pack closes every file it opens itself, so the exit-time cleanup is not
  // needed. H5dont_atexit only works before HDF5's first call; when the process already used HDF5 (a test
  // harness), it fails harmlessly and that process keeps the library's cleanup.
  H5dont_atexit();
  validate(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto source = open_source(o.input, o.layout);
  if (o.limit > 0) source->truncate(o.limit);
  for (const auto& w : source->warnings()) warn(o, w);
  PackSummary sum;
  sum.source = source->description();
  note(o, "reading " + sum.source);

  const int64_t count = source->count();
  ShardSpec spec;
  spec.size = o.transform.size;
  spec.channels = o.transform.channels;
  spec.store = o.store;
  spec.deflate_level = o.deflate_level;
  spec.shard_size = o.shard_size;
  spec.layout = layout_name(source->layout());
  spec.pack_key = pack_key(o, *source, count);
  spec.attribute_names = source->attribute_names();
  spec.partition = source->has_partition();
  spec.labels = source->has_labels();

  prepare_output(o);
  std::error_code ec;
  if (o.resume && fs::exists(o.output / cf::kManifestFile, ec)) {
    const ManifestData done = read_manifest(o.output);
    if (done.spec.pack_key != spec.pack_key)
      throw std::runtime_error("--resume: '" + o.output.string() +
                               "' holds a finished cache packed from other inputs or with other options; use --force "
                               "to replace it");
    try {
      Cache verified(o.output);  // every shard present and matching its manifest entry
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("--resume: the finished cache cannot be used: ") + e.what());
    }
    sum.already_complete = true;
    sum.packed = done.count();
    sum.rejected = static_cast<int64_t>(done.rejected.size());
    sum.shards = static_cast<int64_t>(done.shards.size());
    sum.resumed_shards = sum.shards;
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sum;
  }
  Resumed resumed = o.resume ? scan_shards(o, spec.pack_key) : Resumed{};
  sum.resumed_shards = static_cast<int64_t>(resumed.shards.size());
  if (sum.resumed_shards)
    note(o, "--resume: keeping " + std::to_string(sum.resumed_shards) + " complete shards (inputs 0.." +
                std::to_string(resumed.next_source) + " of " + std::to_string(count) + ")");
  const int64_t start = resumed.next_source;
  check_free_space(o, count - start, spec.image_bytes());

  // ---- the flow graph --------------------------------------------------------------------------------------
  std::unique_ptr<tbb::global_control> threads;
  if (o.threads > 0)
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, size_t(o.threads));
  const int workers = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  const int tokens = o.tokens > 0 ? o.tokens : std::max(16, 8 * workers);

  ShardWriter writer(o.output, spec, static_cast<int64_t>(resumed.shards.size()), start, count);
  Progress progress("packing", count - start, "images", o.progress, o.log);
  tbb::enumerable_thread_specific<std::unique_ptr<Transform>> transforms;
  std::vector<std::unique_ptr<Work>> pool;  // owned here; the queue hands out free ones
  tbb::concurrent_queue<Work*> free_work;
  int64_t next = start;
  int64_t written = 0;
  const size_t out_bytes = spec.image_bytes();
  const float mean = static_cast<float>(spec.mean), stdev = static_cast<float>(spec.std);

  flow::graph g;
  flow::input_node<Work*> reader(g, [&](tbb::flow_control& fc) -> Work* {
    if (next >= count) {
      fc.stop();
      return nullptr;
    }
    Work* w = nullptr;
    if (!free_work.try_pop(w)) {  // at most tokens + 1 are ever created (the limiter bounds those in flight)
      pool.push_back(std::make_unique<Work>());
      w = pool.back().get();
    }
    w->source = next;
    w->seq = next - start;
    w->rejected = false;
    w->reason.clear();
    try {
      source->read(next, w->item);
    } catch (const RejectedInput& e) {
      w->rejected = true;
      w->reason = e.what();
    }
    ++next;
    return w;
  });
  flow::limiter_node<Work*> limiter(g, static_cast<size_t>(tokens));
  flow::function_node<Work*, Work*> transform(g, flow::unlimited, [&](Work* w) -> Work* {
    if (w->rejected) return w;
    auto& tf = transforms.local();
    if (!tf) tf = std::make_unique<Transform>(o.transform);
    w->out.resize(out_bytes);
    try {
      const SourceItem& it = w->item;
      if (spec.store == Store::uint8) {
        if (it.pixels) tf->pixels(it.bytes.data(), it.width, it.height, it.channels, w->out.data());
        else tf->encoded(it.bytes, w->out.data());
      } else {
        float* f = reinterpret_cast<float*>(w->out.data());
        if (spec.store == Store::float16) {
          w->scratch.resize(spec.image_elems());
          f = w->scratch.data();
        }
        if (it.pixels) tf->pixels(it.bytes.data(), it.width, it.height, it.channels, f, mean, stdev);
        else tf->encoded(it.bytes, f, mean, stdev);
        if (spec.store == Store::float16) {
          auto* h = reinterpret_cast<uint16_t*>(w->out.data());
          for (size_t i = 0; i < w->scratch.size(); ++i) h[i] = cacheh5::float_to_half(w->scratch[i]);
        }
      }
      // The checksum runs here, in parallel, rather than in the serial writer that would otherwise carry it.
      w->crc = crc32_update(0, {w->out.data(), out_bytes});
    } catch (const RejectedInput& e) {
      w->rejected = true;
      w->reason = reject_reason(w->item, e.what());
      // A failed decode may leave state in the decoder (a TurboJPEG handle after a corrupt header did, in the
      // first Transform): start the next image on this thread from a fresh one, so that no image's result can
      // depend on which bad file the same thread met before (and so on --threads).
      tf.reset();
    }
    return w;
  });
  flow::sequencer_node<Work*> sequencer(g, [](Work* const& w) { return static_cast<size_t>(w->seq); });
  flow::function_node<Work*, flow::continue_msg> write(g, flow::serial, [&](Work* w) {
    const int64_t i = w->source;
    if (w->rejected) {
      if (o.fail_on_error)
        throw std::runtime_error("'" + (o.input / source->name(i)).string() + "': " + w->reason +
                                 " (--on-error fail stops at the first bad input; the default, skip, records it "
                                 "in rejected.txt and goes on)");
      writer.reject(i, source->name(i), w->reason);
    } else {
      writer.append(i, source->name(i), w->out.data(), source->has_attributes() ? source->attributes(i) : nullptr,
                    source->has_partition() ? source->partition(i) : 0, source->has_labels() ? source->label(i) : 0,
                    w->crc);
    }
    free_work.push(w);
    progress.update(++written);
    return flow::continue_msg();
  });
  flow::make_edge(reader, limiter);
  flow::make_edge(limiter, transform);
  flow::make_edge(transform, sequencer);
  flow::make_edge(sequencer, write);
  flow::make_edge(write, limiter.decrementer());

  try {
    reader.activate();
    g.wait_for_all();
    writer.finish();
  } catch (const std::exception& e) {
    if (o.progress != Progress::Mode::quiet && o.log) std::fputc('\n', o.log);
    if (dynamic_cast<const h5::Error*>(&e)) rethrow_with_disk_state(o, e);
    throw;
  }
  progress.finish();

  // ---- manifest ---------------------------------------------------------------------------------------------
  ManifestData m;
  m.spec = spec;
  m.shards = resumed.shards;
  m.shards.insert(m.shards.end(), writer.completed().begin(), writer.completed().end());
  m.rejected = resumed.rejected;
  m.rejected.insert(m.rejected.end(), writer.rejected().begin(), writer.rejected().end());
  m.source_count = count;
  m.options = options_record(o, source->layout());
  sum.packed = m.count();
  sum.rejected = static_cast<int64_t>(m.rejected.size());
  sum.shards = static_cast<int64_t>(m.shards.size());
  sum.processed = count - start;
  if (sum.packed == 0) {
    write_file_atomic(o.output / cf::kRejectedFile, rejected_text(m.rejected, count));
    throw std::runtime_error("all " + std::to_string(count) + " inputs were rejected, nothing was packed: see '" +
                             (o.output / cf::kRejectedFile).string() + "' for the reasons");
  }
  try {
    write_manifest(o.output, m);
  } catch (const h5::Error& e) {
    rethrow_with_disk_state(o, e);
  }
  sum.bytes_written = writer.bytes_written() +
                      static_cast<int64_t>(fs::file_size(o.output / cf::kManifestFile) +
                                           fs::file_size(o.output / cf::kRejectedFile));
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

std::string format_summary(const PackSummary& s, const PackOptions& o) {
  char buf[512];
  if (s.already_complete) {
    std::snprintf(buf, sizeof buf,
                  "'%s' is already complete: %lld images packed, %lld rejected, %lld shards (nothing to do)",
                  o.output.c_str(), static_cast<long long>(s.packed), static_cast<long long>(s.rejected),
                  static_cast<long long>(s.shards));
    return buf;
  }
  const double rate = s.seconds > 0 ? static_cast<double>(s.processed) / s.seconds : 0.0;
  const std::string kept =
      s.resumed_shards ? " (" + std::to_string(s.resumed_shards) + " kept from the interrupted run)" : std::string();
  std::snprintf(buf, sizeof buf,
                "packed %lld images, rejected %lld (see %s), %.2f s, %.0f images/s, %s written, %lld shards%s",
                static_cast<long long>(s.packed), static_cast<long long>(s.rejected),
                (o.output / cf::kRejectedFile).c_str(), s.seconds, rate, format_bytes(s.bytes_written).c_str(),
                static_cast<long long>(s.shards), kept.c_str());
  return buf;
}

}  // namespace pipeline
