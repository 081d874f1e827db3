// The training loop: reads like the DCGAN tutorial's, with the run directory's bookkeeping around it.
#include "trainer/trainer.hpp"

#include "nn/context.hpp"
#include "nn/dcgan.hpp"
#include "pipeline/atomic_file.hpp"
#include "pipeline/loader.hpp"
#include "pipeline/progress.hpp"
#include "trainer/checkpoint.hpp"
#include "trainer/csv_log.hpp"
#include "trainer/health.hpp"
#include "trainer/image_grid.hpp"
#include "trainer/info.hpp"
#include "trainer/metrics.hpp"
#include "trainer/model_state.hpp"
#include "trainer/noise.hpp"
#include "trainer/periodic_eval.hpp"
#include "trainer/phase_clock.hpp"
#include "trainer/report.hpp"
#include "trainer/resume.hpp"
#include "trainer/run_layout.hpp"
#include "trainer/signals.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>

namespace trainer {

namespace fs = std::filesystem;
namespace rl = run_layout;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kGridImages = 64;      // 8x8 fixed-noise grid, as the tutorial's fixed_noise
constexpr int kDiversityEvery = 50;  // iterations between mode-collapse checks (~20 ms at batch 128)

std::string rng_text(const std::mt19937_64& rng) {
  std::ostringstream s;
  s << rng;
  return s.str();
}

template <class T>
void append(std::vector<T>& a, std::vector<T> b) {
  a.insert(a.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
}

std::string fmt4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

void write_grid(const fs::path& path, const std::vector<float>& images, int n, int c, int s) {
  write_png(path, make_grid(images.data(), n, c, s, s, 8, 2, true));
}

// The tutorial's "real images" figure: the first 64 images of the first batch.
void write_real_grid(const fs::path& path, const std::vector<float>& batch, int b, int c, int s) {
  write_grid(path, batch, std::min(b, kGridImages), c, s);
}

}  // namespace

TrainResult train(const TrainOptions& opts, std::ostream& out) {
  validate(opts);
  const fs::path run = opts.out;

  // ---- run directory: never overwrite a run without --resume ----
  if (!opts.resume && fs::exists(run) && !fs::is_empty(run))
    throw std::invalid_argument("--out: '" + run.string() +
                                "' already exists and is not empty; pass --resume to continue that run, or choose "
                                "a new directory (a run is never overwritten)");
  if (opts.resume && !fs::exists(run / rl::kOptions))
    throw std::invalid_argument("--resume: '" + run.string() + "' is not a run directory (no " + rl::kOptions + ")");
  if (opts.resume) check_resume_options(run, opts);

  // ---- engine, data, model ----
  nn::set_cpu_threads(opts.threads);
  nn::Context ctx = nn::make_context(nn::parse_engine(opts.engine), nn::parse_precision(opts.precision));
  pipeline::LoaderOptions lo;
  lo.batch = opts.batch;
  lo.seed = opts.seed;
  lo.partition = pipeline::parse_partition(opts.partition);
  lo.drop_last = true;  // fixed-shape primitives; the tail of an epoch is seen in other epochs' shuffles
  pipeline::Loader loader(opts.data, lo);
  const int nc = loader.channels(), S = loader.image_size();
  if (S != 64)
    throw std::invalid_argument("--data: the cache holds " + std::to_string(S) + "x" + std::to_string(S) +
                                " images; the DCGAN here is built for 64x64 (celeba-pack --size 64)");
  const int B = opts.batch;
  const int64_t per_epoch = loader.batches_per_epoch();
  const int64_t total = opts.iters > 0 ? opts.iters : opts.epochs * per_epoch;
  const int epochs_shown = opts.iters > 0 ? static_cast<int>((total + per_epoch - 1) / per_epoch) : opts.epochs;

  nn::DcganConfig cfg;
  cfg.nz = opts.nz;
  cfg.ngf = opts.ngf;
  cfg.ndf = opts.ndf;
  cfg.nc = nc;
  cfg.image_size = S;
  cfg.batch = B;
  nn::AdamConfig acfg;
  acfg.lr = opts.lr;
  acfg.beta1 = opts.beta1;
  nn::Dcgan model(ctx, cfg, acfg);

  // ---- state: from the newest complete checkpoint, or fresh ----
  std::mt19937_64 rng(opts.seed);
  std::vector<float> fixed_noise(static_cast<size_t>(kGridImages) * cfg.nz);
  int64_t iter = 0;
  double wall_before = 0;
  fs::path last_ckpt;
  bool restored = false;
  if (opts.resume) {
    if (auto found = find_resume_point(run, model, per_epoch, out)) {
      const Checkpoint& c = found->checkpoint;
      restore(model, c);
      std::istringstream(c.loop.rng) >> rng;
      fixed_noise = c.loop.fixed_noise;
      iter = c.loop.iteration;
      wall_before = c.loop.wall_seconds;
      loader.seek({c.loop.epoch, c.loop.batch});
      last_ckpt = found->path;
      restored = true;
      out << "resuming " << run.string() << " from " << last_ckpt.filename().string() << " (iteration " << iter
          << ")\n";
    } else {
      out << "no checkpoint in " << run.string() << " yet: starting the run again from iteration 0\n";
    }
  }
  if (!restored) {
    // The tutorial's order: weights_init on G then D, then the fixed noise, all from one seeded generator.
    model.init_weights(rng);
    if (!opts.init_from.empty()) {
      NetworkState g, d;
      load_weights(opts.init_from, g, d);
      restore_checked(model, g, d, opts.init_from);
    }
    fill_normal(rng, fixed_noise.data(), fixed_noise.size());
    fs::create_directories(run / rl::kSamplesDir);
    fs::create_directories(run / rl::kCheckpointsDir);
  }
  // Rows past the checkpoint are cut on resume (all of them when no checkpoint was complete).
  const std::optional<int64_t> resume_iter = opts.resume ? std::optional<int64_t>(iter) : std::nullopt;
  {
    pipeline::write_file_atomic(run / rl::kOptions, to_config_text(opts));
    std::ostringstream info;
    print_info(info, false);
    pipeline::write_file_atomic(run / rl::kInfo, info.str());
  }

  const auto g_params = model.generator_params();
  const auto d_params = model.discriminator_params();
  std::vector<std::string> g_names, d_names;
  for (auto* p : g_params) g_names.push_back(p->name);
  for (auto* p : d_params) d_names.push_back(p->name);
  const auto header = metrics_header(g_names, d_names);
  CsvLog metrics(run / rl::kMetrics, header, 2, resume_iter);
  CsvLog warnings_log(run / rl::kWarnings, {"iter", "kind", "message"}, 0, resume_iter);

  std::optional<PeriodicEval> eval;
  if (opts.eval_every > 0) eval.emplace(loader.cache(), lo.partition, opts.seed, cfg.nz);
  // Every primitive is built before the first step: the eval-mode generators of the grid and the evaluation too.
  if (opts.sample_every > 0) model.prepare_sampler(kGridImages);
  if (eval) model.prepare_sampler(eval->chunk());

  const StopSignals stop_signals;  // SIGINT/SIGTERM checkpoint and stop, until train() returns
  HealthMonitor health;
  if (restored) replay_health(health, run / rl::kMetrics, iter);
  // A bar on a terminal only: the log lines are the record when standard error is a file.
  pipeline::Progress progress("training", total * B, "images",
                              opts.progress && ::isatty(STDERR_FILENO) ? pipeline::Progress::Mode::bar
                                                                       : pipeline::Progress::Mode::quiet);
  progress.set_start(iter * B);
  std::vector<float> real(static_cast<size_t>(B) * nc * S * S), noise(static_cast<size_t>(B) * cfg.nz);
  std::vector<float> grid(static_cast<size_t>(kGridImages) * nc * S * S), fake;
  TrainResult result;
  result.run_dir = run;

  auto checkpoint = [&](int64_t done) {
    Checkpoint c;
    c.generator = capture_network(model, Net::generator);
    c.discriminator = capture_network(model, Net::discriminator);
    c.adam_g = capture_adam(model, Net::generator);
    c.adam_d = capture_adam(model, Net::discriminator);
    const auto pos = loader.position();
    c.loop = {done, pos.epoch, pos.batch, rng_text(rng), {kGridImages, cfg.nz}, fixed_noise, 0};
    c.options = to_config_text(opts);
    const fs::path path = rl::checkpoint_path(run, done);
    c.loop.wall_seconds = wall_before;
    save_checkpoint(path, c);
    last_ckpt = path;
    prune_checkpoints(run, opts.keep_checkpoints);
    write_report(run);
  };

  PhaseClock clock;
  const int64_t first_iter = iter;
  out << "training " << total << " iterations (" << per_epoch << " per epoch, batch " << B << ", " << opts.precision
      << " on " << opts.engine << ") into " << run.string() << std::endl;
  while (iter < total) {
    const auto t_iter = Clock::now();
    const auto pos = loader.position();
    clock.time(Phase::data, [&] {
      loader.next(real.data());
      fill_normal(rng, noise.data(), noise.size());
    });
    if (iter == 0) clock.time(Phase::samples, [&] { write_real_grid(run / rl::kRealSamples, real, B, nc, S); });

    // (1) D: real batch label 1, fake batch label 0 (G detached), Adam on D; (2) G: D(G(z)) label 1, Adam on G.
    const nn::StepResult r = clock.time(Phase::step, [&] { return model.train_step(real.data(), noise.data()); });

    // ---- bookkeeping, outside the step ----
    std::vector<std::string> row(header.size());
    std::vector<HealthWarning> raised;
    clock.time(Phase::bookkeeping, [&] {
      const Norms norms = measure_norms(ctx, g_params, d_params);
      if (auto bad = first_non_finite(norms.named(r, g_names, d_names))) {
        warnings_log.append({std::to_string(iter), "non_finite", "non-finite " + *bad});
        progress.clear();
        throw std::runtime_error("iteration " + std::to_string(iter) + ": " + *bad + " is not finite; training " +
                                 "stopped." + (last_ckpt.empty() ? std::string(" No checkpoint was written yet.")
                                                                 : " The last good checkpoint is " + last_ckpt.string()));
      }
      raised = health.observe_losses(iter, r.loss_d, r.loss_g);
      const bool per_layer = iter % opts.norms_every == 0;
      if (per_layer) append(raised, health.observe_norms(iter, norms.for_health(g_names, d_names)));
      fill_row(row, {pos.epoch, pos.batch, iter}, r, opts.lr, norms, per_layer);
    });
    // Fixed-noise grid: every sample_every iterations and at the very end (the tutorial's img_list).
    if (opts.sample_every > 0 && (iter % opts.sample_every == 0 || iter + 1 == total))
      clock.time(Phase::samples, [&] {
        model.sample(fixed_noise.data(), kGridImages, grid.data());
        write_grid(rl::sample_path(run, iter), grid, kGridImages, nc, S);
      });
    // Diversity of the generated batch against the real one (the mode-collapse warning).
    if (iter % kDiversityEvery == 0)
      clock.time(Phase::samples, [&] {
        fake.resize(real.size());
        model.copy_fake(fake.data());
        const int dim = nc * S * S;
        append(raised, health.observe_diversity(iter, mean_pairwise_distance(fake.data(), B, dim),
                                                mean_pairwise_distance(real.data(), B, dim)));
      });
    if (opts.eval_every > 0 && (iter % opts.eval_every == 0 || iter + 1 == total))
      clock.time(Phase::eval, [&] { eval->run(model, row); });

    clock.time(Phase::bookkeeping, [&] {
      const double dt = std::chrono::duration<double>(Clock::now() - t_iter).count();
      wall_before += dt;
      row[kColImagesPerS] = format_value(B / dt);
      row[kColWall] = format_value(wall_before);
      metrics.append(row);
      for (const auto& w : raised) {
        warnings_log.append({std::to_string(w.iter), w.kind, w.message});
        progress.clear();
        out << "warning [iter " << w.iter << "] " << w.kind << ": " << w.message << '\n';
      }
      if (opts.log_every > 0 && pos.batch % opts.log_every == 0) {
        progress.clear();
        out << '[' << pos.epoch << '/' << epochs_shown << "][" << pos.batch << '/' << per_epoch << "]\tLoss_D: "
            << fmt4(r.loss_d) << "\tLoss_G: " << fmt4(r.loss_g) << "\tD(x): " << fmt4(r.d_x) << "\tD(G(z)): "
            << fmt4(r.d_g_z1) << " / " << fmt4(r.d_g_z2) << '\n';
      }
      if (!raised.empty() || (opts.log_every > 0 && pos.batch % opts.log_every == 0))
        out.flush();  // a log redirected to a file is followed live (tail -f), not at exit
    });
    ++iter;
    progress.set_note("Loss_D " + fmt4(r.loss_d) + "  Loss_G " + fmt4(r.loss_g));
    progress.update(iter * B);

    // Checkpoint every N iterations, at each epoch end, at the end, and on SIGINT/SIGTERM.
    const int sig = stop_requested();
    if (sig || iter == total || loader.position().batch == 0 ||
        (opts.checkpoint_every > 0 && iter % opts.checkpoint_every == 0))
      clock.time(Phase::checkpoint, [&] { checkpoint(iter); });
    if (sig) {
      progress.clear();
      out << "interrupted by signal " << sig << " at iteration " << iter << "; checkpoint " << last_ckpt.string()
          << " written. Continue with: dcgan-onednn train --out " << run.string() << " --resume\n";
      result.status = TrainResult::Status::interrupted;
      result.signal = sig;
      break;
    }
  }
  progress.clear();
  if (iter > first_iter) out << clock.summary(iter - first_iter, B);
  result.images = (iter - first_iter) * B;
  result.phases = clock.seconds();
  result.iterations = iter;
  result.last_checkpoint = last_ckpt;
  return result;
}

}  // namespace trainer
