// The training loop: the DCGAN tutorial's, with the run directory's bookkeeping in named steps around it.
#include "trainer/trainer.hpp"

#include "nn/data_parallel.hpp"
#include "trainer/image_grid.hpp"
#include "trainer/metrics_row.hpp"
#include "trainer/run_layout.hpp"
#include "trainer/run_state.hpp"
#include "trainer/signals.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>

namespace trainer {

namespace {

namespace rl = run_layout;
using Clock = std::chrono::steady_clock;

constexpr int kDiversityEvery = 50;  // iterations between mode-collapse checks (~20 ms at batch 128)

// What one iteration leaves for metrics.csv, warnings.csv and the log.
struct Iteration {
  Clock::time_point start;
  pipeline::Loader::Position pos;      // of its batch
  nn::StepResult step;
  std::vector<std::string> row;        // metrics.csv cells
  std::vector<HealthWarning> raised;
};

std::string fmt4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

bool every(int64_t iter, int64_t n) { return n > 0 && iter % n == 0; }

void write_grid(const std::filesystem::path& path, const float* images, int n, const nn::DcganConfig& c) {
  write_png(path, make_grid(images, n, c.nc, c.image_size, c.image_size, rl::kGridColumns, 2, true));
}

// The next real batch and its noise. The first batch is also the tutorial's "real images" figure.
Iteration next_batch(RunState& s) {
  Iteration it{Clock::now(), s.loader.position(), {}, std::vector<std::string>(s.header.size()), {}};
  s.clock.time(Phase::data, [&] {
    s.loader.next(s.real.data());
    prng::fill_normal(s.rng, s.noise.data(), s.noise.size());
  });
  if (s.iter == 0 && s.writer)
    s.clock.time(Phase::samples, [&] {
      write_grid(s.dir / rl::kRealSamples, s.real.data(), std::min(s.model.config().batch, rl::kGridImages),
                 s.model.config());  // data-parallel: rank 0's slice of the batch
    });
  return it;
}

// "training stopped." and where the run can continue from: what every error that stops a run mid-way ends with.
std::string stopped_text(const RunState& s) {
  return "training stopped." + (s.last_checkpoint.empty()
                                    ? std::string(" No checkpoint was written yet.")
                                    : " The last good checkpoint is " + s.last_checkpoint.string());
}

// Norms, the non-finite check (which stops the run), the health signals and the row's step columns.
void observe(RunState& s, Iteration& it) {
  s.clock.time(Phase::bookkeeping, [&] {
    const Norms norms = measure_norms(s.ctx, s.g_params, s.d_params);
    if (auto bad = first_non_finite(norms.named(it.step, s.g_names, s.d_names))) {
      s.warnings->append({std::to_string(s.iter), "non_finite", "non-finite " + *bad});
      s.progress->clear();
      throw std::runtime_error("iteration " + std::to_string(s.iter) + ": " + *bad + " is not finite; " +
                               stopped_text(s));
    }
    it.raised = s.health.observe_losses(s.iter, it.step.loss_d, it.step.loss_g);
    const bool per_layer = s.iter % s.opts.norms_every == 0;
    if (per_layer) {
      auto more = s.health.observe_norms(s.iter, norms.for_health(s.g_names, s.d_names));
      it.raised.insert(it.raised.end(), more.begin(), more.end());
    }
    fill_row(it.row, {it.pos.epoch, it.pos.batch, s.iter}, it.step, s.opts.lr, norms, per_layer, s.columns);
  });
}

// The fixed-noise grid every --sample-every iterations and at the very end (the tutorial's img_list).
void maybe_sample(RunState& s) {
  if (!every(s.iter, s.opts.sample_every) && !(s.opts.sample_every > 0 && s.iter + 1 == s.total)) return;
  s.clock.time(Phase::samples, [&] {
    s.model.sample(s.fixed_noise.data(), rl::kGridImages, s.grid.data());
    write_grid(rl::sample_path(s.dir, s.iter), s.grid.data(), rl::kGridImages, s.model.config());
  });
}

// Diversity of the generated batch against the real one (the mode-collapse warning).
void maybe_check_diversity(RunState& s, Iteration& it) {
  if (!every(s.iter, kDiversityEvery)) return;
  s.clock.time(Phase::samples, [&] {
    s.fake.resize(s.real.size());
    s.model.copy_fake(s.fake.data());
    const int dim = static_cast<int>(s.model.image_elems());
    const int b = s.model.config().batch;  // data-parallel: rank 0's slice, fake and real alike
    auto more = s.health.observe_diversity(s.iter, mean_pairwise_distance(s.fake.data(), b, dim),
                                           mean_pairwise_distance(s.real.data(), b, dim));
    it.raised.insert(it.raised.end(), more.begin(), more.end());
  });
}

// SWD and MS-SSIM every --eval-every iterations and at the very end.
void maybe_evaluate(RunState& s, Iteration& it) {
  if (!s.quality || (!every(s.iter, s.opts.eval_every) && s.iter + 1 != s.total)) return;
  s.clock.time(Phase::eval, [&] { s.quality->run(s.model, it.row); });
}

// The tutorial's log line: [epoch/epochs][batch/batches] Loss_D Loss_G D(x) D(G(z)) before / after D's update.
void log_iteration(RunState& s, const Iteration& it, std::ostream& out) {
  const nn::StepResult& r = it.step;
  s.progress->clear();
  out << '[' << it.pos.epoch << '/' << s.epochs_shown << "][" << it.pos.batch << '/' << s.per_epoch
      << "]\tLoss_D: " << fmt4(r.loss_d) << "\tLoss_G: " << fmt4(r.loss_g) << "\tD(x): " << fmt4(r.d_x)
      << "\tD(G(z)): " << fmt4(r.d_g_z1) << " / " << fmt4(r.d_g_z2) << '\n';
}

// The row (with the iteration's wall time) into metrics.csv, the warnings into warnings.csv and the log.
void record(RunState& s, Iteration& it, std::ostream& out) {
  s.clock.time(Phase::bookkeeping, [&] {
    const double dt = std::chrono::duration<double>(Clock::now() - it.start).count();
    s.wall_seconds += dt;
    it.row[kColImagesPerS] = format_value(s.opts.batch / dt);
    it.row[kColWall] = format_value(s.wall_seconds);
    s.metrics->append(it.row);
    for (const auto& w : it.raised) {
      s.warnings->append({std::to_string(w.iter), w.kind, w.message});
      s.progress->clear();
      out << "warning [iter " << w.iter << "] " << w.kind << ": " << w.message << '\n';
    }
    const bool log_line = every(it.pos.batch, s.opts.log_every);
    if (log_line) log_iteration(s, it, out);
    if (log_line || !it.raised.empty()) out.flush();  // a log redirected to a file is followed live (tail -f)
  });
}

void show_progress(RunState& s, const Iteration& it) {
  s.progress->set_note("Loss_D " + fmt4(it.step.loss_d) + "  Loss_G " + fmt4(it.step.loss_g));
  s.progress->update(s.iter * s.opts.batch);
}

// The signal the run stops for: SIGINT/SIGTERM seen by any rank stops every rank after the same iteration.
int agreed_stop(RunState& s) {
  int64_t signal = stop_requested();
  if (s.comm) s.comm->allreduce_max(&signal, 1);
  return static_cast<int>(signal);
}

// A checkpoint every --checkpoint-every iterations, at each epoch end, at the end, and on SIGINT/SIGTERM (`signal`).
// Data-parallel, the ranks first compare their weights (also every kWeightCheckEvery iterations): a mismatch stops
// the run naming the tensor and the ranks. The writer alone writes the checkpoint.
void maybe_checkpoint(RunState& s, int signal) {
  const bool due =
      signal || s.iter == s.total || s.loader.position().batch == 0 || every(s.iter, s.opts.checkpoint_every);
  if (s.comm && (due || every(s.iter, kWeightCheckEvery)))
    if (auto diverged = nn::find_diverged_weights(s.model, *s.comm))
      throw std::runtime_error("iteration " + std::to_string(s.iter) + ": the ranks' weights differ (" + *diverged +
                               "); " + stopped_text(s));
  if (due && s.writer) s.clock.time(Phase::checkpoint, [&] { save_checkpoint(s); });
}

// Data-parallel: what averaging the gradients cost per iteration, and how much of it was waiting after backward.
std::string communication_summary(const RunState& s, int64_t first_iter) {
  if (!s.comm || s.iter <= first_iter) return "";
  const double n = static_cast<double>(s.iter - first_iter);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "gradient average (rank 0): %.2f MB per iteration in %.1f ms, of which %.1f ms waiting after "
                "backward (%s)\n",
                s.model.gradient_average_bytes() / 1e6, 1e3 * s.model.gradient_average_seconds() / n,
                1e3 * s.model.gradient_wait_seconds() / n,
                s.opts.grad_overlap ? "buckets reduced during backward" : "--no-grad-overlap");
  return buf;
}

TrainResult finish(RunState& s, int64_t first_iter, int signal, std::ostream& out) {
  s.progress->clear();
  TrainResult result;
  if (signal) {
    out << "interrupted by signal " << signal << " at iteration " << s.iter << "; checkpoint "
        << s.last_checkpoint.string() << " written. Continue with: dcgan-onednn train --out " << s.dir.string()
        << " --resume\n";
    result.status = TrainResult::Status::interrupted;
    result.signal = signal;
  }
  if (s.iter > first_iter)
    out << s.clock.summary(s.iter - first_iter, s.opts.batch) << communication_summary(s, first_iter);
  result.run_dir = s.dir;
  result.last_checkpoint = s.last_checkpoint;
  result.iterations = s.iter;
  result.images = (s.iter - first_iter) * s.opts.batch;
  result.phases = s.clock.seconds();
  return result;
}

std::string group_text(const RunState& s) {
  if (!s.comm) return "";
  return ", " + std::to_string(ranks(s)) + " ranks x " + std::to_string(s.model.config().batch) + " images, " +
         std::string(opt::choice_name<BatchNormMode>(kBatchNormNames, s.opts.batchnorm)) + " BatchNorm";
}

}  // namespace

TrainResult train(const TrainOptions& opts, std::ostream& out, nn::Collectives* comm) {
  const std::unique_ptr<RunState> run = open_run(opts, comm, out);
  RunState& s = *run;
  const StopSignals stop_signals;  // SIGINT/SIGTERM checkpoint and stop, until train() returns
  const int64_t first_iter = s.iter;
  if (s.writer)
    out << "training " << s.total << " iterations (" << s.per_epoch << " per epoch, batch " << opts.batch << ", "
        << nn::to_string(opts.precision) << " on " << nn::to_string(opts.engine) << group_text(s) << ") into "
        << s.dir.string() << std::endl;
  int signal = 0;
  while (s.iter < s.total && !signal) {
    Iteration it = next_batch(s);
    // (1) D: real batch label 1, fake batch label 0 (G detached), Adam on D; (2) G: D(G(z)) label 1, Adam on G.
    it.step = s.clock.time(Phase::step, [&] { return s.model.train_step(s.real.data(), rank_noise(s)); });
    if (s.writer) {  // the step's values are the whole batch's on every rank; one writes them
      observe(s, it);
      maybe_sample(s);
      maybe_check_diversity(s, it);
      maybe_evaluate(s, it);
      record(s, it, out);
    }
    ++s.iter;
    if (s.writer) show_progress(s, it);
    signal = agreed_stop(s);
    maybe_checkpoint(s, signal);
  }
  return finish(s, first_iter, signal, out);
}

}  // namespace trainer
