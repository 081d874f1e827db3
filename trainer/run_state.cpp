// Opening a training run (new, or resumed from its newest checkpoint) and checkpointing it (see run_state.hpp).
#include "trainer/run_state.hpp"

#include "nn/architecture.hpp"
#include "nn/data_parallel.hpp"
#include "pipeline/atomic_file.hpp"
#include "trainer/checkpoint.hpp"
#include "trainer/info.hpp"
#include "trainer/metrics_row.hpp"
#include "trainer/model_state.hpp"
#include "trainer/report.hpp"
#include "trainer/resume.hpp"
#include "trainer/run_layout.hpp"

#include <unistd.h>

#include <iterator>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;
namespace rl = run_layout;

namespace {

int group_size(const nn::Collectives* comm) { return comm ? comm->size() : 1; }
int group_rank(const nn::Collectives* comm) { return comm ? comm->rank() : 0; }

nn::Context make_engine(const TrainOptions& o, nn::Collectives* comm) {
  nn::set_cpu_threads(o.threads);
  nn::Context ctx = nn::make_context(o.engine, o.precision);
  ctx.comm = comm;
  ctx.sync_batchnorm = o.batchnorm == BatchNormMode::sync;
  ctx.overlap_gradient_average = o.grad_overlap;
  return ctx;
}

pipeline::LoaderOptions loader_options(const TrainOptions& o, const nn::Collectives* comm) {
  pipeline::LoaderOptions lo;
  lo.batch = o.batch;
  lo.seed = o.seed;
  lo.partition = o.partition;
  lo.drop_last = true;  // fixed-shape primitives; the tail of an epoch is seen in other epochs' shuffles
  lo.slice = group_rank(comm);
  lo.slices = group_size(comm);
  return lo;
}

nn::DcganConfig model_config(const TrainOptions& o, const pipeline::Loader& loader, const nn::Collectives* comm) {
  nn::DcganConfig cfg;
  cfg.nz = o.nz;
  cfg.ngf = o.ngf;
  cfg.ndf = o.ndf;
  cfg.nc = loader.channels();
  cfg.image_size = loader.image_size();
  cfg.batch = o.batch / group_size(comm);  // this rank's slice
  if (!nn::supported_image_size(cfg.image_size))
    throw std::invalid_argument("--data: the cache holds " + std::to_string(cfg.image_size) + "x" +
                                std::to_string(cfg.image_size) + " images; the DCGAN here is built for 32, 64, 128 or "
                                "256 pixels square (celeba-pack --size 64, say)");
  return cfg;
}

nn::AdamConfig adam_config(const TrainOptions& o) {
  nn::AdamConfig a;
  a.lr = o.lr;
  a.beta1 = o.beta1;
  return a;
}

// Before anything is created: the options are in range, the batch divides among the ranks, and --resume names a run.
void check_options(const TrainOptions& o, const nn::Collectives* comm) {
  validate(o);
  const int n = group_size(comm);
  if (o.batch % n != 0 || o.batch / n < 2)
    throw std::invalid_argument("--batch " + std::to_string(o.batch) + " does not divide among " + std::to_string(n) +
                                " processes into slices of at least 2 images (each rank computes --batch / " +
                                "processes; BatchNorm needs 2): use a multiple of " + std::to_string(2 * n));
  if (o.resume && !saved_run_options(o.out))
    throw std::invalid_argument("--resume: '" + o.out + "' is not a run directory (no " + rl::kOptions +
                                " and no readable checkpoint)");
}

// Under the run directory's lock: never overwrite a run without --resume; a resumed run keeps its options.
fs::path checked_run_directory(const TrainOptions& o) {
  const fs::path run = o.out;
  bool empty = true;
  for (const auto& e : fs::directory_iterator(run))
    if (e.path().filename() != pipeline::kLockFile) empty = false;
  if (!o.resume && !empty)
    throw std::invalid_argument("--out: '" + run.string() +
                                "' already exists and is not empty; pass --resume to continue that run, or choose "
                                "a new directory (a run is never overwritten)");
  if (o.resume) check_resume_options(run, o);
  return run;
}

// A run resumed on another number of processes: with synchronized BatchNorm the same computation (the state is the
// whole model and the global loader position), said in the log; with per-rank statistics another one, refused.
void check_world_size(const RunState& s, int64_t saved, const fs::path& checkpoint, std::ostream& out) {
  const int64_t now = ranks(s);
  if (saved == now) return;
  const std::string was = std::to_string(saved) + (saved == 1 ? " process" : " processes");
  if (s.opts.batchnorm == BatchNormMode::local)
    throw std::invalid_argument("--resume: '" + checkpoint.string() + "' was written by a run on " + was +
                                " with --batchnorm local; on " + std::to_string(now) +
                                " its BatchNorm statistics would cover other slices of each batch, another "
                                "computation. Resume it with mpirun -np " + std::to_string(saved));
  out << "the run was trained on " << was << " until now, and goes on on " << now
      << ": with synchronized BatchNorm the same computation, up to floating-point rounding\n";
}

// The newest usable checkpoint into the model and the loop state; false when the run has none yet.
bool restore_newest(RunState& s, std::ostream& out) {
  auto found = find_resume_point(s.dir, s.model, s.per_epoch, out);
  if (!found) {
    out << "no checkpoint in " << s.dir.string() << " yet: starting the run again from iteration 0\n";
    return false;
  }
  const Checkpoint& c = found->checkpoint;
  check_world_size(s, c.loop.world_size, found->path, out);
  restore(s.model, c);
  std::istringstream(c.loop.rng) >> s.rng;
  s.fixed_noise = c.loop.fixed_noise;
  s.iter = c.loop.iteration;
  s.wall_seconds = c.loop.wall_seconds;
  s.loader.seek({c.loop.epoch, c.loop.batch});
  s.last_checkpoint = found->path;
  out << "resuming " << s.dir.string() << " from " << s.last_checkpoint.filename().string() << " (iteration "
      << s.iter << ")\n";
  return true;
}

// The tutorial's order: weights_init on G then D, then the fixed noise, all from the one seeded engine.
void start_fresh(RunState& s) {
  s.model.init_weights(s.rng);
  if (!s.opts.init_from.empty()) load_into(s.model, s.opts.init_from);
  prng::fill_normal(s.rng, s.fixed_noise.data(), s.fixed_noise.size());
  fs::create_directories(s.dir / rl::kSamplesDir);
  fs::create_directories(s.dir / rl::kCheckpointsDir);
}

void write_run_files(const RunState& s) {
  pipeline::write_file_atomic(s.dir / rl::kOptions, to_config_text(s.opts));
  std::ostringstream info;
  print_info(info, false);
  pipeline::write_file_atomic(s.dir / rl::kInfo, info.str());
}

// metrics.csv and warnings.csv, cut back to the checkpoint on resume (all rows when none was complete), and the
// health monitor's memory of the kept rows.
void open_logs(RunState& s) {
  for (auto* p : s.g_params) s.g_names.push_back(p->name);
  for (auto* p : s.d_params) s.d_names.push_back(p->name);
  s.header = metrics_header(s.model.config().image_size, s.g_names, s.d_names);
  s.columns = metrics_layout(s.model.config().image_size);
  const std::optional<int64_t> resume_iter = s.opts.resume ? std::optional<int64_t>(s.iter) : std::nullopt;
  s.metrics.emplace(s.dir / rl::kMetrics, s.header, static_cast<int>(metrics_column("iter")), resume_iter);
  s.warnings.emplace(s.dir / rl::kWarnings,
                     std::vector<std::string>(std::begin(rl::kWarningsColumns), std::end(rl::kWarningsColumns)), 0,
                     resume_iter);
  if (s.restored) replay_health(s.health, s.dir / rl::kMetrics, s.iter);
}

// Every primitive is built before the first step: the eval-mode generators of the grid and the evaluation too.
void prepare_samplers(RunState& s) {
  if (s.opts.eval_every > 0) s.quality.emplace(s.loader.cache(), s.opts.partition, s.opts.seed, s.model.config().nz);
  if (s.opts.sample_every > 0) s.model.prepare_sampler(rl::kGridImages);
  if (s.quality) s.model.prepare_sampler(s.quality->chunk());
}

std::string rng_text(const prng::Engine& rng) {
  std::ostringstream s;
  s << rng;
  return s.str();
}

template <class T>
void broadcast_value(nn::Collectives& comm, T& v) {
  comm.broadcast(&v, sizeof v, 0);
}

// Data-parallel: every rank built the same run from its own command line, options.cfg and copy of the cache. A rank
// that did not (another --ngf, a cache copy with other images) would make other collective calls than rank 0, or
// end at another iteration, and the job would hang: the ranks compare what shapes the run first, and all stop
// together, the differing ones naming what differs.
void check_ranks_agree(const RunState& s) {
  const nn::DcganConfig& c = s.model.config();
  struct Fact {
    const char* name;
    int64_t value;
  };
  const Fact facts[] = {{"--batch", s.opts.batch},
                        {"--nz", c.nz},
                        {"--ngf", c.ngf},
                        {"--ndf", c.ndf},
                        {"image size", c.image_size},
                        {"channels", c.nc},
                        {"--precision", static_cast<int64_t>(s.opts.precision)},
                        {"--batchnorm", static_cast<int64_t>(s.opts.batchnorm)},
                        {"images in the cache's partition", s.loader.size()},
                        {"iterations", s.total},
                        {"--seed", static_cast<int64_t>(s.opts.seed)}};
  constexpr size_t n = std::size(facts);
  int64_t rank0[n];
  for (size_t i = 0; i < n; ++i) rank0[i] = facts[i].value;
  s.comm->broadcast(rank0, sizeof rank0, 0);
  std::string differs;
  for (size_t i = 0; i < n; ++i)
    if (rank0[i] != facts[i].value)
      differs += std::string(differs.empty() ? "" : ", ") + facts[i].name + " " + std::to_string(facts[i].value) +
                 " (rank 0: " + std::to_string(rank0[i]) + ")";
  int64_t any = differs.empty() ? 0 : 1;
  s.comm->allreduce_max(&any, 1);
  if (!differs.empty())
    throw std::runtime_error("this rank's run differs from rank 0's: " + differs +
                             "; every rank needs the same options and the same cache (a copy per node must be "
                             "identical)");
  if (any) throw std::runtime_error("another rank's run differs from this one's (its message names what)");
}

// Rank 0's model, optimizer and loop state into every rank (data-parallel): the weights it initialized or restored,
// its random engine (every rank draws the same noise), the fixed noise, the iteration and the loader's position.
void share_state(RunState& s) {
  check_ranks_agree(s);
  nn::broadcast_model(s.model, *s.comm, 0);
  std::string rng = rng_text(s.rng);
  uint64_t len = rng.size();
  broadcast_value(*s.comm, len);
  rng.resize(len);
  s.comm->broadcast(rng.data(), len, 0);
  std::istringstream(rng) >> s.rng;
  s.comm->broadcast(s.fixed_noise.data(), s.fixed_noise.size() * sizeof(float), 0);
  broadcast_value(*s.comm, s.iter);
  broadcast_value(*s.comm, s.wall_seconds);
  auto pos = s.loader.position();
  broadcast_value(*s.comm, pos.epoch);
  broadcast_value(*s.comm, pos.batch);
  if (!s.writer) s.loader.seek(pos);
}

std::unique_ptr<pipeline::DirLock> lock_if_writer(bool writer, const TrainOptions& o) {
  return writer ? std::make_unique<pipeline::DirLock>(o.out, "run directory") : nullptr;
}

}  // namespace

const float* rank_noise(const RunState& s) {
  return s.noise.data() + static_cast<size_t>(group_rank(s.comm)) * s.model.config().batch * s.model.config().nz;
}

int ranks(const RunState& s) { return group_size(s.comm); }

RunState::RunState(const TrainOptions& o, nn::Collectives* group)
    : comm(group),
      writer(group_rank(group) == 0),
      lock(lock_if_writer(writer, o)),
      opts(o),
      dir(writer ? checked_run_directory(o) : fs::path(o.out)),
      ctx(make_engine(o, group)),
      loader(o.data, loader_options(o, group)),
      model(ctx, model_config(o, loader, group), adam_config(o)),
      per_epoch(loader.batches_per_epoch()),
      total(o.iters > 0 ? o.iters : o.epochs * per_epoch),
      epochs_shown(o.iters > 0 ? static_cast<int>((total + per_epoch - 1) / per_epoch) : o.epochs),
      rng(o.seed),
      fixed_noise(static_cast<size_t>(rl::kGridImages) * o.nz),
      g_params(model.generator_params()),
      d_params(model.discriminator_params()),
      real(static_cast<size_t>(model.config().batch) * model.image_elems()),
      noise(static_cast<size_t>(o.batch) * o.nz),
      grid(static_cast<size_t>(rl::kGridImages) * model.image_elems()) {}

std::unique_ptr<RunState> open_run(const TrainOptions& o, nn::Collectives* comm, std::ostream& out) {
  check_options(o, comm);
  auto s = std::make_unique<RunState>(o, comm);
  if (s->writer) {
    s->restored = o.resume && restore_newest(*s, out);
    if (!s->restored) start_fresh(*s);
    write_run_files(*s);
  }
  if (comm) share_state(*s);
  if (s->writer) {
    open_logs(*s);
    prepare_samplers(*s);
  }
  // A bar on a terminal only: the log lines are the record when standard error is a file.
  s->progress.emplace("training", s->total * o.batch, "images",
                      o.progress && s->writer && ::isatty(STDERR_FILENO) ? pipeline::Progress::Mode::bar
                                                            : pipeline::Progress::Mode::quiet);
  s->progress->set_start(s->iter * o.batch);
  return s;
}

void save_checkpoint(RunState& s) {
  Checkpoint c;
  c.generator = capture_network(s.model, Net::generator);
  c.discriminator = capture_network(s.model, Net::discriminator);
  c.adam_g = capture_adam(s.model, Net::generator);
  c.adam_d = capture_adam(s.model, Net::discriminator);
  const auto pos = s.loader.position();
  c.loop = {s.iter, pos.epoch, pos.batch, rng_text(s.rng), {rl::kGridImages, s.model.config().nz}, s.fixed_noise,
            s.wall_seconds, ranks(s)};
  c.options = to_config_text(s.opts);
  const fs::path path = rl::checkpoint_path(s.dir, s.iter);
  save_checkpoint(path, c);
  s.last_checkpoint = path;
  prune_checkpoints(s.dir, s.opts.keep_checkpoints);
  write_report(s.dir);
}

}  // namespace trainer
