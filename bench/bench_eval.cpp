// Evaluation and report benchmarks: what the trainer pays every --eval-every iterations (SWD, MS-SSIM diversity,
// batch spread), every --sample-every (grid + PNG) and at each checkpoint (report.html).
//
//   swd/<n>                  trainer::sliced_wasserstein of n real vs n fake 64x64 RGB images, ProGAN settings
//                            (3 levels, 128 patches/image, 512 projections); counter s_per_eval
//   sort/radix/<N>           the sort SWD runs 3 x 2 x 512 times per evaluation (N = 128 n); std::sort on the
//                            same data right after it is the peer: counter speedup_vs_std
//   msssim_diversity/<pairs> MS-SSIM of random pairs of 64x64 RGB images
//   pairwise_distance/<n>    mean_pairwise_distance of a generated batch (the mode-collapse signal)
//   grid_png                 make_grid of 64 images + PNG encoding (one fixed-noise grid)
//   report/<rows>            write_report on a synthetic run with 70 columns and 16 grids
// The NumPy peer of swd/<n> (ProGAN's algorithm with float32 BLAS products and np.sort) is
// bench/peers/swd_numpy.py. Time only on an idle machine: a concurrent process distorts these by up to 10x.
#include "trainer/msssim.hpp"
#include "trainer/swd.hpp"
#include "trainer/health.hpp"
#include "trainer/image_grid.hpp"
#include "trainer/report.hpp"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

namespace {

namespace fs = std::filesystem;

// n smooth-ish 64x64 RGB images in [-1, 1] with per-image structure (cheap to make, not constant).
std::vector<float> images(int n, uint32_t seed, int c = 3, int s = 64) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n) * c * s * s);
  for (int i = 0; i < n; ++i)
    for (int ch = 0; ch < c; ++ch) {
      const float fx = 0.05f + 0.3f * u(gen), fy = 0.05f + 0.3f * u(gen), ph = 6.28f * u(gen);
      float* p = v.data() + (static_cast<size_t>(i) * c + ch) * s * s;
      for (int y = 0; y < s; ++y)
        for (int x = 0; x < s; ++x) p[y * s + x] = std::tanh(std::sin(fx * x + ph) * std::cos(fy * y) + 0.2f * (u(gen) - 0.5f));
    }
  return v;
}

void BM_Swd(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto a = images(n, 1), b = images(n, 2);
  for (auto _ : state) {
    const auto r = trainer::sliced_wasserstein(a.data(), n, b.data(), n, 3, 64, 64);
    benchmark::DoNotOptimize(r.average);
  }
  state.counters["s_per_eval"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["images"] = 2.0 * n;
}
BENCHMARK(BM_Swd)->Name("swd")->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

std::vector<float> projections(size_t n) {
  std::mt19937 gen(7);
  std::normal_distribution<float> g(0.0f, 4.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = g(gen);
  return v;
}

// Ours, then std::sort on the same data in the same process right after (the peer, for the ratio).
void BM_SortRadix(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto src = projections(n);
  std::vector<uint32_t> keys(n), tmp(n);
  double radix_ns = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    trainer::swd_detail::radix_sort_keys(src.data(), n, keys.data(), tmp.data());
    benchmark::DoNotOptimize(keys.data());
    radix_ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  }
  radix_ns /= static_cast<double>(state.iterations()) * static_cast<double>(n);
  std::vector<float> v;
  const int reps = 5;
  double std_ns = 0;
  for (int r = 0; r < reps; ++r) {
    v = src;
    const auto t0 = std::chrono::steady_clock::now();
    std::sort(v.begin(), v.end());
    benchmark::DoNotOptimize(v.data());
    std_ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  }
  std_ns /= reps * static_cast<double>(n);
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["radix_ns_per_item"] = radix_ns;
  state.counters["std_sort_ns_per_item"] = std_ns;
  state.counters["speedup_vs_std"] = std_ns / radix_ns;
}
BENCHMARK(BM_SortRadix)->Name("sort/radix")->Arg(131072)->Arg(262144)->UseRealTime();

void BM_MsSsimDiversity(benchmark::State& state) {
  const auto x = images(256, 3);
  const int pairs = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(trainer::ms_ssim_diversity(x.data(), 256, 3, 64, 64, pairs, 1));
  state.SetItemsProcessed(state.iterations() * pairs);
}
BENCHMARK(BM_MsSsimDiversity)->Name("msssim_diversity")->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PairwiseDistance(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto x = images(n, 4);
  for (auto _ : state) benchmark::DoNotOptimize(trainer::mean_pairwise_distance(x.data(), n, 3 * 64 * 64));
}
BENCHMARK(BM_PairwiseDistance)->Name("pairwise_distance")->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GridPng(benchmark::State& state) {
  const auto x = images(64, 5);
  size_t bytes = 0;
  for (auto _ : state) {
    const auto png = trainer::encode_png(trainer::make_grid(x.data(), 64, 3, 64, 64));
    bytes = png.size();
    benchmark::DoNotOptimize(png.data());
  }
  state.counters["png_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_GridPng)->Name("grid_png")->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Report(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const fs::path dir = fs::temp_directory_path() / ("bench_eval_report." + std::to_string(::getpid()));
  fs::create_directories(dir / "samples");
  {
    std::ofstream f(dir / "metrics.csv");
    f << "epoch,batch,iter,loss_d,loss_g,d_x,d_g_z1,d_g_z2,lr_d,lr_g,grad_norm_d,grad_norm_g,weight_norm_d,"
         "weight_norm_g,images_per_s,wall_s,swd_64,swd_32,swd_16,swd_avg,msssim_fake,msssim_real";
    for (const char* k : {"grad", "weight"})
      for (const char* net : {"G", "D"})
        for (int l = 0; l < 12; ++l) f << ',' << k << ':' << net << ":main." << l << ".weight";
    f << '\n';
    std::mt19937 gen(9);
    std::normal_distribution<double> g(0, 1);
    for (int i = 0; i < rows; ++i) {
      f << i / 1583 << ',' << i % 1583 << ',' << i;
      for (int k = 0; k < 13; ++k) f << ',' << 1 + 0.3 * g(gen);
      for (int k = 0; k < 6; ++k) f << ',' << (i % 1000 == 0 ? "50" : "");
      for (int k = 0; k < 48; ++k) f << ',' << (i % 10 == 0 ? "0.5" : "");
      f << '\n';
    }
  }
  const auto grid = trainer::make_grid(images(64, 6).data(), 64, 3, 64, 64);
  for (int i = 0; i < 40; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "iter_%07d.png", i * 500);
    trainer::write_png(dir / "samples" / name, grid);
  }
  size_t bytes = 0;
  for (auto _ : state) bytes = trainer::write_report(dir).bytes;
  state.counters["html_bytes"] = static_cast<double>(bytes);
  fs::remove_all(dir);
}
BENCHMARK(BM_Report)->Name("report")->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
