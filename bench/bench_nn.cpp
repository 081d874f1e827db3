// nn benchmarks: every DCGAN convolution pass alone (f32 and bf16), and the tutorial's full training step.
//
//   layer/<G|D><i>/<fwd|bwd_data|bwd_weights>/<f32|bf16>  one primitive of the model, executed alone
//   step/<f32|bf16|bf16_all>                             Dcgan::train_step: images/s, and in the same run the
//                                                         sum of the step's convolution passes timed alone
//   step/... counters: conv_alone_s (that sum), overhead (step time / conv_alone_s; target <= 1.15),
//                      adam_s (both optimizers), load_weights_s (master -> primitive weights, per step)
// bf16 is the precision plan of nn/precision_plan.hpp (thin layers f32); bf16_all puts every layer in bf16, to
// compare against. Batch 128 unless DCGAN_BENCH_BATCH says otherwise; image size 64 unless DCGAN_BENCH_SIZE says
// otherwise (32, 64, 128, 256: nn/architecture.hpp's rule); OpenMP threads: OMP_NUM_THREADS. The step's counters
// include flop_per_step (every convolution pass the step runs), for the fraction of the machine's FMA peak.
// Time only on an idle machine: any concurrent process distorts OpenMP code by up to 10x.
#include "nn/architecture.hpp"
#include "nn/dcgan.hpp"
#include "nn/discriminator.hpp"
#include "nn/generator.hpp"
#include "nn/memory.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using Pass = nn::ConvPass;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}
int batch() { return env_int("DCGAN_BENCH_BATCH", 128); }
int image_size() { return env_int("DCGAN_BENCH_SIZE", nn::kImageSize); }
int layers() { return nn::layer_count(image_size()); }

// One full model per precision plan, built on first use and kept (the per-layer and step benchmarks share it).
struct Model {
  nn::Context ctx;
  nn::DcganConfig cfg;
  std::unique_ptr<nn::Dcgan> dcgan;
  std::vector<float> real, noise;

  Model(nn::Precision p, const nn::PrecisionPlan& plan) : ctx(nn::make_context(nn::EngineKind::cpu, p)) {
    cfg.batch = batch();
    cfg.image_size = image_size();
    dcgan = std::make_unique<nn::Dcgan>(ctx, cfg, nn::AdamConfig{}, &plan);
    std::mt19937_64 rng(1);
    dcgan->init_weights(rng);
    std::mt19937 r(2);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::normal_distribution<float> n(0.f, 1.f);
    real.resize(static_cast<size_t>(cfg.batch) * dcgan->image_elems());
    noise.resize(static_cast<size_t>(cfg.batch) * cfg.nz);
    for (auto& v : real) v = u(r);
    for (auto& v : noise) v = n(r);
    dcgan->train_step(real.data(), noise.data());  // realistic values in every buffer
  }
};

nn::PrecisionPlan uniform(nn::Precision p) {
  return {std::vector<nn::Precision>(static_cast<size_t>(layers()), p),
          std::vector<nn::Precision>(static_cast<size_t>(layers()), p)};
}

Model& model(const std::string& which) {
  static std::map<std::string, std::unique_ptr<Model>> models;
  auto& m = models[which];
  if (!m) {
    if (which == "f32") m = std::make_unique<Model>(nn::Precision::f32, uniform(nn::Precision::f32));
    if (which == "bf16") m = std::make_unique<Model>(nn::Precision::bf16, nn::bf16_plan(layers()));
    if (which == "bf16_all") m = std::make_unique<Model>(nn::Precision::bf16, uniform(nn::Precision::bf16));
  }
  return *m;
}

// A convolution layer of a model, as a callable pass.
struct LayerRef {
  bool generator;
  int index;
  template <class F>
  auto with(Model& m, F&& f) const {
    return generator ? f(m.dcgan->generator().layer(index)) : f(m.dcgan->discriminator().layer(index));
  }
};

double flops(const nn::ConvGeometry& g, bool transposed) {
  const double spatial = transposed ? double(g.in_size) * g.in_size : double(g.out_size) * g.out_size;
  return 2.0 * g.batch * g.in_channels * g.out_channels * g.kernel * g.kernel * spatial;
}

void wait(Model& m) { nn::wait(m.ctx); }

// Seconds per execution of one primitive alone (after one warm-up).
double time_primitive(Model& m, const LayerRef& l, Pass p, int reps) {
  return l.with(m, [&](auto& layer) {
    layer.run_primitive(p);
    wait(m);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) layer.run_primitive(p);
    wait(m);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
  });
}

void bm_layer(benchmark::State& state, std::string which, LayerRef l, Pass p) {
  Model& m = model(which);
  const auto [impl, f] = l.with(m, [&](auto& layer) {
    const std::string& name = p == Pass::forward         ? layer.forward_impl()
                              : p == Pass::backward_data ? layer.backward_data_impl()
                                                         : layer.backward_weights_impl();
    return std::pair{name, flops(layer.geometry(), l.generator)};
  });
  for (auto _ : state) {
    l.with(m, [&](auto& layer) {
      layer.run_primitive(p);
      return 0;
    });
    wait(m);
  }
  state.SetLabel(impl);
  state.counters["GFLOPS"] = benchmark::Counter(f * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// How many times one training step runs each pass of each layer (tutorial order, no D weight grads in the G step).
int uses(bool generator, int i, Pass p) {
  if (generator) return p == Pass::backward_data && i == 0 ? 0 : 1;
  if (p == Pass::forward) return 3;           // real, fake, G step
  if (p == Pass::backward_weights) return 2;  // real, fake
  return i == 0 ? 1 : 3;                      // d src: all three passes; layer 0 only in the G step
}

void bm_step(benchmark::State& state, std::string which) {
  Model& m = model(which);
  double stepping = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    m.dcgan->train_step(m.real.data(), m.noise.data());  // ends with a stream wait
    stepping += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double step = stepping / static_cast<double>(state.iterations());
  // The same run's denominator: every convolution pass of a step, alone, with its multiplicity.
  double conv_alone = 0, flop = 0;
  for (bool g : {true, false})
    for (int i = 0; i < layers(); ++i)
      for (Pass p : {Pass::forward, Pass::backward_data, Pass::backward_weights})
        if (const int n = uses(g, i, p)) {
          conv_alone += n * time_primitive(m, {g, i}, p, 3);
          flop += n * LayerRef{g, i}.with(m, [&](auto& layer) { return flops(layer.geometry(), g); });
        }
  auto seconds = [&](auto&& f, int reps) {
    f();
    wait(m);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) f();
    wait(m);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
  };
  // Adam on both networks (re-applies the last gradients: timing only).
  const double adam = seconds([&] { m.dcgan->adam_g().step(), m.dcgan->adam_d().step(); }, 3);
  // G once, D twice per step
  const double loads = seconds(
      [&] {
        m.dcgan->generator().load_weights();
        m.dcgan->discriminator().load_weights();
        m.dcgan->discriminator().load_weights();
      },
      3);
  state.SetItemsProcessed(state.iterations() * m.cfg.batch);
  state.counters["step_s"] = step;
  state.counters["conv_alone_s"] = conv_alone;
  state.counters["overhead"] = step / conv_alone;
  state.counters["adam_s"] = adam;
  state.counters["load_weights_s"] = loads;
  state.counters["flop_per_step"] = flop;
  state.counters["GFLOPS"] = flop / step * 1e-9;
  state.SetLabel("batch " + std::to_string(m.cfg.batch) + ", " + std::to_string(m.cfg.image_size) + " px");
}

}  // namespace

int main(int argc, char** argv) {
  const char* pass_names[] = {"fwd", "bwd_data", "bwd_weights"};
  for (const char* which : {"f32", "bf16_all"})
    for (bool g : {true, false})
      for (int i = 0; i < layers(); ++i)
        for (int p = 0; p < 3; ++p) {
          if (g && i == 0 && p == 1) continue;  // the noise needs no gradient
          const std::string name = std::string("layer/") + (g ? "G" : "D") + std::to_string(i) + "/" + pass_names[p] +
                                   "/" + (std::string(which) == "f32" ? "f32" : "bf16");
          benchmark::RegisterBenchmark(name.c_str(), bm_layer, which, LayerRef{g, i}, static_cast<Pass>(p))
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
  for (const char* which : {"f32", "bf16", "bf16_all"})
    benchmark::RegisterBenchmark((std::string("step/") + which).c_str(), bm_step, which)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(5.0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
