// The pack (see pack.hpp): in one process, the flow graph (pack_graph.hpp) from the source into the ShardWriter;
// across MPI ranks, each rank's slice into its spool, then the shards from the spools (pack_ranks.hpp). Then the
// manifest. Options, the output directory and --resume are pack_output.cpp's.
#include "pipeline/pack.hpp"

#include "pipeline/atomic_file.hpp"
#include "pipeline/manifest.hpp"
#include "pipeline/pack_graph.hpp"
#include "pipeline/pack_options.hpp"
#include "pipeline/pack_output.hpp"
#include "pipeline/pack_ranks.hpp"
#include "pipeline/shard_writer.hpp"
#include "pipeline/h5.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;
namespace cf = cache_format;

namespace {

// The one-process sink: every input straight into the ShardWriter, with its name and metadata from the source.
class ShardSink final : public PackSink {
 public:
  ShardSink(const Source& s, ShardWriter& w) : s_(s), w_(w) {}
  void image(int64_t i, const uint8_t* image, uint32_t crc) override {
    w_.append(i, s_.name(i), image, s_.has_attributes() ? s_.attributes(i) : nullptr,
              s_.has_partition() ? s_.partition(i) : 0, s_.has_labels() ? s_.label(i) : 0, crc);
  }
  void reject(int64_t i, const std::string& reason) override { w_.reject(i, s_.name(i), reason); }
  void finish() override { w_.finish(); }

 private:
  const Source& s_;
  ShardWriter& w_;
};

void count_into(PackSummary& sum, const ManifestData& m) {
  sum.packed = m.count();
  sum.rejected = static_cast<int64_t>(m.rejected.size());
  sum.shards = static_cast<int64_t>(m.shards.size());
}

// The cache's table: the shards and rejects kept by --resume, then this run's.
ManifestData make_manifest(const PackOptions& o, const Source& source, const ShardSpec& spec,
                           const Resumed& resumed, const std::vector<ShardInfo>& shards,
                           const std::vector<RejectRecord>& rejected) {
  ManifestData m;
  m.spec = spec;
  m.shards = resumed.shards;
  m.shards.insert(m.shards.end(), shards.begin(), shards.end());
  m.rejected = resumed.rejected;
  m.rejected.insert(m.rejected.end(), rejected.begin(), rejected.end());
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

// The output directory before this run writes: its lock, and what --resume finds there.
struct Prepared {
  std::unique_ptr<DirLock> lock;      // held until the pack returns (or the process dies)
  std::optional<ManifestData> done;   // --resume found the cache finished: nothing to do
  Resumed resumed;                    // else the complete shards it keeps
};

// One writer per output: a second pack stops at the lock, naming the holder, instead of interleaving its shards
// with this one's. Then --force / --resume, and the free space for `copies` of the images still to pack.
Prepared prepare_pack(const PackOptions& o, const ShardSpec& spec, int64_t count, int copies) {
  Prepared p;
  p.lock = lock_output(o);
  prepare_output(o);
  p.done = o.resume ? finished_cache(o, spec.pack_key) : std::nullopt;
  if (p.done) return p;
  p.resumed = resume_state(o, spec.pack_key, count);
  check_free_space(o, count - p.resumed.next_source, spec.image_bytes(), copies);
  return p;
}

PackSummary complete_summary(PackSummary sum, const ManifestData& done, std::chrono::steady_clock::time_point t0) {
  count_into(sum, done);
  sum.already_complete = true;
  sum.resumed_shards = sum.shards;
  sum.seconds = seconds_since(t0);
  return sum;
}

// Writes dataset.h5 and rejected.txt over the kept shards and this run's, and completes the summary.
PackSummary finish_pack(PackSummary sum, const PackOptions& o, const Source& source, const ShardSpec& spec,
                        const Resumed& resumed, const std::vector<ShardInfo>& shards,
                        const std::vector<RejectRecord>& rejected, std::chrono::steady_clock::time_point t0) {
  const ManifestData m = make_manifest(o, source, spec, resumed, shards, rejected);
  count_into(sum, m);
  sum.resumed_shards = static_cast<int64_t>(resumed.shards.size());
  sum.processed = source.count() - resumed.next_source;
  write_pack_manifest(o, m);
  for (const ShardInfo& s : shards) sum.bytes_written += s.bytes;
  sum.bytes_written += static_cast<int64_t>(fs::file_size(o.output / cf::kManifestFile) +
                                            fs::file_size(o.output / cf::kRejectedFile));
  sum.seconds = seconds_since(t0);
  return sum;
}

PackSummary pack_one_process(const PackOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto source = open_pack_source(o);
  PackSummary sum;
  sum.source = source->description();
  const int64_t count = source->count();
  const ShardSpec spec = make_shard_spec(o, *source, count);
  const Prepared out = prepare_pack(o, spec, count, 1);
  if (out.done) return complete_summary(sum, *out.done, t0);

  const int64_t start = out.resumed.next_source;
  ShardWriter writer(o.output, spec, static_cast<int64_t>(out.resumed.shards.size()), start, count);
  ShardSink sink(*source, writer);
  pack_inputs(o, *source, spec, sink, start, count);
  return finish_pack(sum, o, *source, spec, out.resumed, writer.completed(), writer.rejected(), t0);
}

// ---- across MPI ranks (pack_ranks.hpp) ----

// What rank 0 decides about the output, and every rank follows.
struct JobPlan {
  int64_t complete = 0;     // --resume found a finished cache: nothing to do
  int64_t start = 0;        // the first input to pack (after the shards --resume keeps)
  int64_t first_shard = 0;  // the first shard this run writes
  uint64_t job = 0;         // this run's number, in the job file and every spool index
};

// Rank 0 alone speaks: the other ranks' notes, warnings and progress would repeat it.
PackOptions speaking_options(const PackOptions& o, int rank) {
  PackOptions r = o;
  if (rank != 0) {
    r.log = nullptr;
    r.progress = Progress::Mode::quiet;
  }
  return r;
}

// What besides the pack key every rank must agree on.
std::string run_choices(const PackOptions& o) {
  return std::string(" resume=") + (o.resume ? "1" : "0") + " force=" + (o.force ? "1" : "0") +
         " on_error=" + (o.fail_on_error ? "fail" : "skip");
}

// Rank 0 alone, after prepare_pack and before any rank writes: what the ranks do, and the job file they look for.
JobPlan plan_job(const PackOptions& o, const Prepared& out) {
  JobPlan plan;
  if (out.done) {
    plan.complete = 1;
    return plan;
  }
  plan.start = out.resumed.next_source;
  plan.first_shard = static_cast<int64_t>(out.resumed.shards.size());
  std::random_device rd;
  plan.job = (uint64_t{rd()} << 32) ^ rd();
  write_file_atomic(job_file(o.output), std::to_string(plan.job));
  return plan;
}

// The job file's text as this rank sees it; empty when it cannot read it.
std::string read_job_file(const fs::path& dir) {
  std::ifstream f(job_file(dir), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Writes the planned shards whose writer is `rank` (consecutive ones) through one ShardWriter, fed in source
// order from the spools as the one-process pack feeds it from the graph: the same bytes.
void write_rank_shards(const PackOptions& o, const Source& source, const ShardSpec& spec,
                       const std::vector<Slice>& slices, const std::vector<SpoolIndex>& spools,
                       const std::vector<PlannedShard>& shards, int rank) {
  const auto mine = [rank](const PlannedShard& s) { return s.rank == rank; };
  const auto first = std::find_if(shards.begin(), shards.end(), mine);
  if (first == shards.end()) return;
  const auto last = std::find_if(shards.rbegin(), shards.rend(), mine);
  ShardWriter writer(o.output, spec, first->shard, first->source_begin, last->source_end);
  ShardSink sink(source, writer);
  std::vector<std::unique_ptr<SpoolReader>> readers(slices.size());
  std::vector<uint8_t> image(spec.image_bytes());  // [C,S,S] of the stored type
  try {
    size_t r = 0;
    for (int64_t i = first->source_begin; i < last->source_end; ++i) {
      while (!slices[r].contains(i)) ++r;
      const int64_t item = spools[r].item[size_t(i - slices[r].begin)];
      if (item < 0) {
        sink.reject(i, spools[r].reasons[size_t(-item - 1)]);
        continue;
      }
      if (!readers[r]) readers[r] = std::make_unique<SpoolReader>(o.output, static_cast<int>(r), spec.image_bytes());
      const uint32_t crc = spools[r].crc[size_t(item)];
      readers[r]->read(item, crc, image.data());
      sink.image(i, image.data(), crc);
    }
    sink.finish();
  } catch (const h5::Error& e) {
    rethrow_with_disk_state(o, e);
  }
}

// Decodes this rank's slice into its spool; after every rank has, plans the shards from all the spools and writes
// this rank's. Returns the plan.
std::vector<PlannedShard> pack_slices(const PackOptions& o, nn::Collectives& g, const Source& source,
                                      const ShardSpec& spec, const JobPlan& plan) {
  const int rank = g.rank(), ranks = g.size();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Slice> slices;
  for (int r = 0; r < ranks; ++r) slices.push_back(rank_slice(plan.start, source.count(), r, ranks));
  {
    SpoolWriter spool(o.output, rank, plan.job, spec.image_bytes(), slices[size_t(rank)]);
    pack_inputs(o, source, spec, spool, slices[size_t(rank)].begin, slices[size_t(rank)].end,
                "packing (rank " + std::to_string(rank) + " of " + std::to_string(ranks) + ")");
  }
  barrier(g);  // every spool is complete
  std::vector<SpoolIndex> spools;
  std::vector<uint8_t> accepted;  // [inputs from plan.start]
  for (int r = 0; r < ranks; ++r) {
    spools.push_back(read_spool_index(o.output, r, plan.job));
    if (spools.back().slice.begin != slices[size_t(r)].begin || spools.back().slice.end != slices[size_t(r)].end)
      throw std::runtime_error("rank " + std::to_string(r) + "'s spool holds another slice of the inputs");
    for (int64_t item : spools.back().item) accepted.push_back(item >= 0 ? 1 : 0);
  }
  const std::vector<PlannedShard> shards = plan_shards(accepted, slices, spec.shard_size, plan.first_shard);
  char took[32];
  std::snprintf(took, sizeof took, "%.2f s", seconds_since(t0));
  pack_note(o, "every slice decoded in " + std::string(took) + "; writing " + std::to_string(shards.size()) +
                   (shards.size() == 1 ? " shard" : " shards") + " from the " + std::to_string(ranks) +
                   " ranks' spools");
  write_rank_shards(o, source, spec, slices, spools, shards, rank);
  barrier(g);  // every shard is written: no rank reads a spool any more
  remove_spool(o.output, rank);
  return shards;
}

PackSummary pack_across_ranks(const PackOptions& all, nn::Collectives& g) {
  const auto t0 = std::chrono::steady_clock::now();
  const int rank = g.rank();
  const PackOptions o = speaking_options(all, rank);
  const auto source = open_pack_source(o);
  const int64_t count = source->count();
  const ShardSpec spec = make_shard_spec(o, *source, count);
  check_ranks_agree(g, spec.pack_key + run_choices(o),
                    "their inputs or options (every rank must read the same --input with the same options)");

  // Rank 0 owns the output directory; it holds the lock until the cache is complete. The spools and the shards
  // need room together.
  Prepared out;
  JobPlan plan;
  if (rank == 0) {
    out = prepare_pack(o, spec, count, 2);
    plan = plan_job(o, out);
  }
  g.broadcast(&plan, sizeof plan, 0);
  PackSummary sum;
  sum.source = source->description();
  if (plan.complete) return out.done ? complete_summary(sum, *out.done, t0) : sum;
  check_all_ok(g, read_job_file(o.output) == std::to_string(plan.job),
               "cannot see the output directory rank 0 prepared ('" + o.output.string() +
                   "'): under mpirun every rank writes shards into --output, which must be one directory all ranks "
                   "share (a shared file system)");

  const std::vector<PlannedShard> shards = pack_slices(o, g, *source, spec, plan);
  if (rank != 0) return sum;  // rank 0 alone writes the manifest and reports

  std::error_code ec;
  fs::remove(job_file(o.output), ec);  // before the manifest, which throws when every input was rejected
  std::vector<ShardInfo> infos;
  std::vector<RejectRecord> rejected;
  for (const PlannedShard& s : shards) {
    const ExistingShard e = read_shard_summary(o.output, cf::shard_name(s.shard));
    infos.push_back(e.info);
    rejected.insert(rejected.end(), e.rejected.begin(), e.rejected.end());
  }
  return finish_pack(sum, o, *source, spec, out.resumed, infos, rejected, t0);
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
  return nn::distributed(o.group) ? pack_across_ranks(o, *o.group) : pack_one_process(o);
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
