// The pack: the oneTBB flow graph from the source to the ShardWriter, then the manifest (see pack.hpp). Options,
// the output directory and --resume are pack_output.cpp's.
//
// Built with -fno-sanitize=vptr (pipeline/CMakeLists.txt): oneTBB's flow-graph tasks trip UBSan's vptr check
// inside TBB's own headers.
#include "pipeline/pack.hpp"

#include "pipeline/atomic_file.hpp"
#include "pipeline/cache_h5.hpp"
#include "pipeline/celeba_meta.hpp"
#include "pipeline/crc32.hpp"
#include "pipeline/manifest.hpp"
#include "pipeline/pack_options.hpp"
#include "pipeline/pack_output.hpp"
#include "pipeline/shard_writer.hpp"

#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;
namespace cf = cache_format;
namespace flow = tbb::flow;

namespace {

// One input travelling through the graph; a pool of them is reused, so memory stays flat.
struct Work {
  int64_t seq = 0;     // position in this run (sequencer key)
  int64_t source = 0;  // position in the source order
  SourceItem item;
  std::vector<uint8_t> out;    // stored image bytes [C,S,S]
  std::vector<float> scratch;  // float16 store: normalized floats before conversion
  uint32_t crc = 0;            // CRC-32 of out (crc32.hpp), computed in the parallel stage
  bool rejected = false;
  std::string reason;
};

// What the nodes of one run share. The reader (next, pool) and the writer (writer, progress, written) are each
// serial and pass Work through free_work, a concurrent queue; encode_item runs in parallel and touches only its
// Work and its thread's Transform.
struct Run {
  Run(const PackOptions& o, const Source& source, const ShardSpec& spec, ShardWriter& writer, Progress& progress,
      int64_t start, int64_t count)
      : o(o), source(source), spec(spec), writer(writer), progress(progress), start(start), count(count), next(start) {}
  const PackOptions& o;
  const Source& source;
  const ShardSpec& spec;
  ShardWriter& writer;
  Progress& progress;
  const int64_t start, count;
  int64_t next, written = 0;
  tbb::enumerable_thread_specific<std::unique_ptr<Transform>> transforms;
  std::vector<std::unique_ptr<Work>> pool;  // owned here; the queue hands out free ones
  tbb::concurrent_queue<Work*> free_work;
};

std::string reject_reason(const SourceItem& item, const std::string& why) {
  if (!item.pixels && looks_like_html(item.bytes))
    return "an HTML page, not an image (a failed download saved under an image name?)";
  return why;
}

// The reader node's body: the next input in source order, read into a free Work.
Work* read_item(Run& r, tbb::flow_control& fc) {
  if (r.next >= r.count) {
    fc.stop();
    return nullptr;
  }
  Work* w = nullptr;
  if (!r.free_work.try_pop(w)) {  // at most tokens + 1 are ever created (the limiter bounds those in flight)
    r.pool.push_back(std::make_unique<Work>());
    w = r.pool.back().get();
  }
  w->source = r.next;
  w->seq = r.next - r.start;
  w->rejected = false;
  w->reason.clear();
  try {
    r.source.read(r.next, w->item);
  } catch (const RejectedInput& e) {
    w->rejected = true;
    w->reason = e.what();
  }
  ++r.next;
  return w;
}

// Decodes, resizes and crops w.item into w.out as the store's element type: uint8, normalized float32, or
// normalized float16 (through w.scratch). Throws RejectedInput.
void transform_item(Transform& tf, const ShardSpec& spec, Work& w) {
  const SourceItem& it = w.item;
  if (spec.store == Store::uint8) {
    if (it.pixels) tf.pixels(it.bytes.data(), it.width, it.height, it.channels, w.out.data());
    else tf.encoded(it.bytes, w.out.data());
    return;
  }
  const float mean = static_cast<float>(spec.mean), stdev = static_cast<float>(spec.std);
  float* f = reinterpret_cast<float*>(w.out.data());
  if (spec.store == Store::float16) {
    w.scratch.resize(spec.image_elems());
    f = w.scratch.data();
  }
  if (it.pixels) tf.pixels(it.bytes.data(), it.width, it.height, it.channels, f, mean, stdev);
  else tf.encoded(it.bytes, f, mean, stdev);
  if (spec.store == Store::float16) {
    auto* h = reinterpret_cast<uint16_t*>(w.out.data());
    for (size_t i = 0; i < w.scratch.size(); ++i) h[i] = cacheh5::float_to_half(w.scratch[i]);
  }
}

// The transform node's body, run in parallel: the stored image and its CRC, or the reason it is rejected.
void encode_item(Run& r, Work& w) {
  if (w.rejected) return;
  auto& tf = r.transforms.local();
  if (!tf) tf = std::make_unique<Transform>(r.o.transform);
  w.out.resize(r.spec.image_bytes());
  try {
    transform_item(*tf, r.spec, w);
    // The checksum runs here, in parallel, rather than in the serial writer that would otherwise carry it.
    w.crc = crc32_update(0, {w.out.data(), w.out.size()});
  } catch (const RejectedInput& e) {
    w.rejected = true;
    w.reason = reject_reason(w.item, e.what());
    // The next image on this thread starts from a fresh Transform, so that no image's result can depend on
    // which bad file the same thread met before (and so on --threads).
    tf.reset();
  }
}

// The writer node's body, serial and in source order: the sample or its reject goes to the ShardWriter.
void write_item(Run& r, Work* w) {
  const int64_t i = w->source;
  const Source& s = r.source;
  if (w->rejected) {
    if (r.o.fail_on_error)
      throw std::runtime_error("'" + (r.o.input / s.name(i)).string() + "': " + w->reason +
                               " (--on-error fail stops at the first bad input; the default, skip, records it "
                               "in rejected.txt and goes on)");
    r.writer.reject(i, s.name(i), w->reason);
  } else {
    r.writer.append(i, s.name(i), w->out.data(), s.has_attributes() ? s.attributes(i) : nullptr,
                    s.has_partition() ? s.partition(i) : 0, s.has_labels() ? s.label(i) : 0, w->crc);
  }
  r.free_work.push(w);
  r.progress.update(++r.written);
}

// reader -> limiter -> transform (unlimited) -> sequencer -> writer (serial) -> limiter decrement (see pack.hpp).
void run_graph(Run& r, size_t tokens) {
  flow::graph g;
  flow::input_node<Work*> reader(g, [&](tbb::flow_control& fc) { return read_item(r, fc); });
  flow::limiter_node<Work*> limiter(g, tokens);
  flow::function_node<Work*, Work*> transform(g, flow::unlimited, [&](Work* w) {
    encode_item(r, *w);
    return w;
  });
  flow::sequencer_node<Work*> sequencer(g, [](Work* const& w) { return static_cast<size_t>(w->seq); });
  flow::function_node<Work*, flow::continue_msg> write(g, flow::serial, [&](Work* w) {
    write_item(r, w);
    return flow::continue_msg();
  });
  flow::make_edge(reader, limiter);
  flow::make_edge(limiter, transform);
  flow::make_edge(transform, sequencer);
  flow::make_edge(sequencer, write);
  flow::make_edge(write, limiter.decrementer());
  reader.activate();
  g.wait_for_all();
}

// Packs inputs [start, count) of the source into the writer's shards, with --threads workers.
void pack_inputs(const PackOptions& o, const Source& source, const ShardSpec& spec, ShardWriter& writer,
                 int64_t start, int64_t count) {
  std::unique_ptr<tbb::global_control> threads;
  if (o.threads > 0)
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, size_t(o.threads));
  const int workers = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  const int tokens = o.tokens > 0 ? o.tokens : std::max(16, 8 * workers);
  Progress progress("packing", count - start, "images", o.progress, o.log);
  Run r(o, source, spec, writer, progress, start, count);
  try {
    run_graph(r, static_cast<size_t>(tokens));
    writer.finish();
  } catch (const std::exception& e) {
    if (o.progress != Progress::Mode::quiet && o.log) std::fputc('\n', o.log);
    if (dynamic_cast<const h5::Error*>(&e)) rethrow_with_disk_state(o, e);
    throw;
  }
  progress.finish();
}

void count_into(PackSummary& sum, const ManifestData& m) {
  sum.packed = m.count();
  sum.rejected = static_cast<int64_t>(m.rejected.size());
  sum.shards = static_cast<int64_t>(m.shards.size());
}

// The cache's table: the shards and rejects kept by --resume, then this run's.
ManifestData make_manifest(const PackOptions& o, const Source& source, const ShardSpec& spec,
                           const Resumed& resumed, const ShardWriter& writer) {
  ManifestData m;
  m.spec = spec;
  m.shards = resumed.shards;
  m.shards.insert(m.shards.end(), writer.completed().begin(), writer.completed().end());
  m.rejected = resumed.rejected;
  m.rejected.insert(m.rejected.end(), writer.rejected().begin(), writer.rejected().end());
  m.source_count = source.count();
  m.options = options_record(o, source.layout());
  return m;
}

// Writes dataset.h5 and rejected.txt; when every input was rejected, only rejected.txt, and throws.
void write_pack_manifest(const PackOptions& o, const ManifestData& m) {
  if (m.count() == 0) {
    write_file_atomic(o.output / cf::kRejectedFile, rejected_text(m.rejected, m.source_count));
    throw std::runtime_error("all " + std::to_string(m.source_count) +
                             " inputs were rejected, nothing was packed: see '" +
                             (o.output / cf::kRejectedFile).string() + "' for the reasons");
  }
  try {
    write_manifest(o.output, m);
  } catch (const h5::Error& e) {
    rethrow_with_disk_state(o, e);
  }
}

std::unique_ptr<Source> open_pack_source(const PackOptions& o) {
  auto source = open_source(o.input, o.layout, o.output);
  if (o.limit > 0) source->truncate(o.limit);
  for (const auto& w : source->warnings()) pack_warn(o, w);
  for (const auto& n : source->notes()) pack_note(o, n);
  pack_note(o, "reading " + source->description());
  return source;
}

Resumed resume_state(const PackOptions& o, const std::string& key, int64_t count) {
  if (!o.resume) return {};
  Resumed resumed = scan_shards(o, key);
  if (!resumed.shards.empty())
    pack_note(o, "--resume: keeping " + std::to_string(resumed.shards.size()) + " complete shards (inputs 0.." +
                     std::to_string(resumed.next_source) + " of " + std::to_string(count) + ")");
  return resumed;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

PackSummary pack(const PackOptions& o) {
  // After a failed write (a full disk) HDF5 1.10 keeps the file in a state that its exit-time cleanup cannot
  // close: H5_term_library crashes in H5F__close_cb, and `celeba-pack` would die of SIGSEGV instead of exiting
  // with status 1 and its message. The pack closes every file it opens itself, so the exit-time cleanup is not
  // needed. H5dont_atexit only works before HDF5's first call; when the process already used HDF5 (a test
  // harness), it fails harmlessly and that process keeps the library's cleanup.
  H5dont_atexit();
  validate_options(o);
  const auto t0 = std::chrono::steady_clock::now();
  const auto source = open_pack_source(o);
  PackSummary sum;
  sum.source = source->description();
  const int64_t count = source->count();
  const ShardSpec spec = make_shard_spec(o, *source, count);

  // One writer per output, held until pack() returns (or the process dies): a second pack stops here, naming the
  // holder, instead of interleaving its shards with this one's.
  const DirLock lock = lock_output(o);
  prepare_output(o);
  if (const auto done = o.resume ? finished_cache(o, spec.pack_key) : std::nullopt) {
    count_into(sum, *done);
    sum.already_complete = true;
    sum.resumed_shards = sum.shards;
    sum.seconds = seconds_since(t0);
    return sum;
  }
  const Resumed resumed = resume_state(o, spec.pack_key, count);
  sum.resumed_shards = static_cast<int64_t>(resumed.shards.size());
  const int64_t start = resumed.next_source;
  check_free_space(o, count - start, spec.image_bytes());

  ShardWriter writer(o.output, spec, sum.resumed_shards, start, count);
  pack_inputs(o, *source, spec, writer, start, count);

  const ManifestData m = make_manifest(o, *source, spec, resumed, writer);
  count_into(sum, m);
  sum.processed = count - start;
  write_pack_manifest(o, m);
  sum.bytes_written = writer.bytes_written() +
                      static_cast<int64_t>(fs::file_size(o.output / cf::kManifestFile) +
                                           fs::file_size(o.output / cf::kRejectedFile));
  sum.seconds = seconds_since(t0);
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
