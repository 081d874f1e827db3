// The pack's flow graph, from the source to a sink (see pack_graph.hpp).
//
// Built with -fno-sanitize=vptr (pipeline/CMakeLists.txt): oneTBB's flow-graph tasks trip UBSan's vptr check
// inside TBB's own headers.
#include "pipeline/pack_graph.hpp"

#include "pipeline/cache_h5.hpp"
#include "pipeline/celeba_meta.hpp"
#include "pipeline/crc32.hpp"
#include "pipeline/h5.hpp"
#include "pipeline/pack_output.hpp"

#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace pipeline {

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

// What the nodes of one run share. The reader (next, pool) and the writer (sink, progress, written) are each
// serial and pass Work through free_work, a concurrent queue; encode_item runs in parallel and touches only its
// Work and its thread's Transform.
struct Run {
  Run(const PackOptions& o, const Source& source, const ShardSpec& spec, PackSink& sink, Progress& progress,
      int64_t start, int64_t count)
      : o(o), source(source), spec(spec), sink(sink), progress(progress), start(start), count(count), next(start) {}
  const PackOptions& o;
  const Source& source;
  const ShardSpec& spec;
  PackSink& sink;
  Progress& progress;
  const int64_t start, count;  // inputs [start, count)
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

// The writer node's body, serial and in source order: the sample or its reject goes to the sink.
void write_item(Run& r, Work* w) {
  const int64_t i = w->source;
  const Source& s = r.source;
  if (w->rejected) {
    if (r.o.fail_on_error)
      throw std::runtime_error("'" + (r.o.input / s.name(i)).string() + "': " + w->reason +
                               " (--on-error fail stops at the first bad input; the default, skip, records it "
                               "in rejected.txt and goes on)");
    r.sink.reject(i, w->reason);
  } else {
    r.sink.image(i, w->out.data(), w->crc);
  }
  r.free_work.push(w);
  r.progress.update(++r.written);
}

// reader -> limiter -> transform (unlimited) -> sequencer -> writer (serial) -> limiter decrement (see
// pack_graph.hpp).
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

}  // namespace

void pack_inputs(const PackOptions& o, const Source& source, const ShardSpec& spec, PackSink& sink, int64_t begin,
                 int64_t end, const std::string& label) {
  std::unique_ptr<tbb::global_control> threads;
  if (o.threads > 0)
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, size_t(o.threads));
  const int workers = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  const int tokens = o.tokens > 0 ? o.tokens : std::max(16, 8 * workers);
  Progress progress(label, end - begin, "images", o.progress, o.log);
  Run r(o, source, spec, sink, progress, begin, end);
  try {
    run_graph(r, static_cast<size_t>(tokens));
    sink.finish();
  } catch (const std::exception& e) {
    if (o.progress != Progress::Mode::quiet && o.log) std::fputc('\n', o.log);
    if (dynamic_cast<const h5::Error*>(&e)) rethrow_with_disk_state(o, e);
    throw;
  }
  progress.finish();
}

}  // namespace pipeline
