// The option tables of `dcgan-onednn train`, `sample` and `eval`: one row per option.
#include "trainer/options.hpp"

#include "nn/dcgan.hpp"

#include <string>

namespace trainer {

namespace {

using opt::kNotSaved;
using opt::kRequired;
using opt::kShapes;

template <class O>
void add_engine_rows(opt::Table<O>& t) {
  t.push_back(engine_row<O>());
  t.push_back(threads_row<O>());
}

auto adam_lr(double v) {
  return v > 0 && v <= 1 ? std::string() : "must be in (0, 1], got " + opt::to_text(v);
}
auto adam_beta1(double v) {
  return v >= 0 && v < 1 ? std::string() : "must be in [0, 1), got " + opt::to_text(v);
}

opt::Table<TrainOptions> make_train_table() {
  using O = TrainOptions;
  using R = opt::For<O>;
  const auto pos = opt::at_least(0);
  opt::Table<O> t = {
      R::value("data", &O::data, "celeba-pack cache directory", kRequired | kShapes),
      R::value("out", &O::out, "run directory to create (refuses an existing one without --resume)", kRequired),
      R::value("epochs", &O::epochs, "epochs over the data", 0, opt::in_range(1, kMaxEpochs)),
      R::value("iters", &O::iters, "total iterations instead of epochs (0: use --epochs)", 0,
               opt::in_range(int64_t{0}, kMaxIterations)),
      R::value("batch", &O::batch, "batch size", kShapes, opt::in_range(1, nn::kMaxBatch)),
      R::value("lr", &O::lr, "Adam learning rate for both networks", kShapes, adam_lr),
      R::value("beta1", &O::beta1, "Adam beta1 (beta2 = 0.999, eps = 1e-8)", kShapes, adam_beta1),
      R::value("nz", &O::nz, "latent vector size", kShapes, opt::in_range(1, nn::kMaxLatent)),
      R::value("ngf", &O::ngf, "generator feature maps", kShapes, opt::in_range(1, nn::kMaxFeatureMaps)),
      R::value("ndf", &O::ndf, "discriminator feature maps", kShapes, opt::in_range(1, nn::kMaxFeatureMaps)),
      R::value("seed", &O::seed, "random seed (weights, noise, shuffling)", kShapes),
  };
  add_engine_rows(t);
  const opt::Table<O> rest = {
      R::choice("precision", &O::precision, nn::kPrecisionNames, "layer precision; bf16 keeps f32 master weights",
                kShapes),
      R::choice("batchnorm", &O::batchnorm, kBatchNormNames,
                "under mpirun: BatchNorm statistics over the whole global batch (sync, the same computation as one "
                "process) or each rank's slice (local)",
                kShapes),
      R::choice("partition", &O::partition, pipeline::kPartitionNames, "CelebA partition trained on", kShapes),
      R::value("sample-every", &O::sample_every, "write a fixed-noise grid every N iterations (0: off)", 0, pos),
      R::value("checkpoint-every", &O::checkpoint_every,
               "checkpoint every N iterations; also at each epoch end and on SIGINT/SIGTERM", 0, pos),
      R::value("keep-checkpoints", &O::keep_checkpoints, "keep the newest N checkpoints (0: all)", 0, pos),
      R::value("log-every", &O::log_every, "print a tutorial-format log line every N iterations (0: off)", 0, pos),
      R::value("eval-every", &O::eval_every, "compute SWD and MS-SSIM every N iterations (0: off)", 0, pos),
      R::value("norms-every", &O::norms_every, "per-layer gradient and weight norms every N iterations", 0,
               opt::at_least(1)),
      R::value("init-from", &O::init_from, "start from HDF5 weights in PyTorch state_dict layout"),
      R::flag("resume", &O::resume, "continue the run in --out from its newest complete checkpoint", true, kNotSaved),
      R::flag("no-progress", &O::progress, "no progress bar, even on a terminal", false, kNotSaved),
      R::flag("no-grad-overlap", &O::grad_overlap,
              "under mpirun: average the gradients after each backward pass instead of during it (the same sums; "
              "for measuring the overlap)",
              false, kNotSaved),
  };
  t.insert(t.end(), rest.begin(), rest.end());
  return t;
}

opt::Table<SampleOptions> make_sample_table() {
  using O = SampleOptions;
  using R = opt::For<O>;
  auto steps = [](int k) {
    return k == 0 || (k >= 2 && k <= 64) ? std::string() : "must be 0 (off) or 2..64 steps, got " + std::to_string(k);
  };
  opt::Table<O> t = {
      R::value("checkpoint", &O::checkpoint, "checkpoint (checkpoints/ckpt_*.h5) or weights file", kRequired),
      R::value("n", &O::n, "number of samples (rows with --interpolate)", 0, opt::in_range(1, kMaxSampleImages)),
      R::value("out", &O::out, "output PNG (required unless --raw is given)"),
      R::value("seed", &O::seed, "seed of the latent vectors"),
      R::value("z", &O::z, "latent vectors from a .npy file, float32 [N, nz] or [N, nz, 1, 1], instead of --seed's "
                           "draw: N images (--n is not used)"),
      R::value("raw", &O::raw, "also write the images as a .npy file, float32 [N, nc, S, S] in [-1, 1] (before "
                               "8-bit rounding)"),
      R::flag("grid", &O::grid, "one grid image instead of N files"),
      R::value("interpolate", &O::interpolate, "K steps between --seed and --seed2 (0: off)", 0, steps),
      R::value("seed2", &O::seed2, "seed of the walk's end points"),
  };
  add_engine_rows(t);
  return t;
}

opt::Table<EvalOptions> make_eval_table() {
  using O = EvalOptions;
  using R = opt::For<O>;
  opt::Table<O> t = {
      R::value("checkpoint", &O::checkpoint, "checkpoint or weights file", kRequired),
      R::value("data", &O::data, "celeba-pack cache of real images", kRequired),
      R::value("n", &O::n, "images per set", 0, opt::at_least(16)),
      R::choice("partition", &O::partition, pipeline::kPartitionNames, "CelebA partition of the real images"),
      R::value("seed", &O::seed, "seed of the subsets, latent vectors, patches and projections"),
      R::flag("json", &O::json, "print one JSON object instead of text"),
  };
  add_engine_rows(t);
  return t;
}

}  // namespace

const opt::Table<TrainOptions>& train_options() {
  static const auto t = make_train_table();
  return t;
}
const opt::Table<SampleOptions>& sample_options() {
  static const auto t = make_sample_table();
  return t;
}
const opt::Table<EvalOptions>& eval_options() {
  static const auto t = make_eval_table();
  return t;
}

void validate(const TrainOptions& o) { opt::validate(train_options(), o); }
void validate(const SampleOptions& o) { opt::validate(sample_options(), o); }
void validate(const EvalOptions& o) { opt::validate(eval_options(), o); }

std::string to_config_text(const TrainOptions& o) {
  return opt::config_text(train_options(), o,
                          "dcgan-onednn train options, as used. Re-run with: dcgan-onednn train --config <this file>");
}

}  // namespace trainer
