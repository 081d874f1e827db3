// Whole-loop training throughput: `train` at batch 64 and 128, f32 and bf16, with the loader, norms, logging
// and a checkpoint included, and the share of the loop spent outside the model step (target <= 3%).
//
// Data: Fashion-MNIST packed as 3-channel 64x64 (the same arithmetic as CelebA at 64x64), made once in a
// temporary directory. Compare with bench/peers/pytorch_dcgan.py run right after, on the idle machine.
#include "trainer/trainer.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

const fs::path& cache() {
  static fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("bench_train_cache." + std::to_string(::getpid()));
    fs::remove_all(d);
    const std::string cmd = std::string(CELEBA_PACK_EXE) +
                            " --input /usr/share/datasets/fashion-mnist --layout idx --channels 3 --limit 2048"
                            " --quiet --output " + d.string();
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("celeba-pack failed: " + cmd);
    return d;
  }();
  return dir;
}

void BM_Train(benchmark::State& state, nn::Precision precision) {
  const int batch = static_cast<int>(state.range(0));
  const int iters = static_cast<int>(state.range(1));
  double images = 0;
  trainer::PhaseClock::Seconds phases{};
  for (auto _ : state) {
    trainer::TrainOptions o;
    o.data = cache().string();
    o.out = (fs::temp_directory_path() / ("bench_train_run." + std::to_string(::getpid()))).string();
    fs::remove_all(o.out);
    o.batch = batch;
    o.iters = iters;
    o.precision = precision;
    o.sample_every = iters;      // one grid at iteration 0, as a real run has
    o.checkpoint_every = 0;      // one checkpoint at the end
    o.log_every = 10;
    o.progress = false;
    std::ostringstream log;
    const auto r = trainer::train(o, log);
    images += static_cast<double>(r.images);
    double loop = 0;
    for (int i = 0; i < trainer::kPhases; ++i) {
      phases[static_cast<size_t>(i)] += r.phases[static_cast<size_t>(i)];
      loop += r.phases[static_cast<size_t>(i)];
    }
    state.SetIterationTime(loop);
    fs::remove_all(o.out);
  }
  double loop = 0;
  for (double v : phases) loop += v;
  using trainer::Phase;
  auto pct = [&](Phase p) { return 100 * phases[static_cast<size_t>(p)] / loop; };
  state.counters["images_per_s"] = images / loop;
  // Everything outside Dcgan::train_step, and its every-iteration part (data + bookkeeping), which is what
  // remains in a long run; samples, eval and checkpoints are periodic.
  state.counters["outside_step_pct"] = 100 - pct(Phase::step);
  state.counters["per_iter_outside_pct"] = pct(Phase::data) + pct(Phase::bookkeeping);
  state.counters["periodic_pct"] = pct(Phase::samples) + pct(Phase::eval) + pct(Phase::checkpoint);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Train, f32, nn::Precision::f32)->Args({64, 40})->Args({128, 30})->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_Train, bf16, nn::Precision::bf16)->Args({64, 40})->Args({128, 30})->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
