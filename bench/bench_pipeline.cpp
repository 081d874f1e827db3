// Benchmarks of celeba-pack and the loader on CelebA-like 178x218 JPEGs (../shared/tools/make_celeba_like.py:
// 2,000 photographs, copied under new names up to BENCH_PACK_N, default 20,000), reported as ratios measured in
// the same run:
//   BM_DecodeOnlyAllCores  libjpeg-turbo alone on every core (files in memory), full size and DCT scale 1/2:
//                          the roofline of the pack;
//   BM_Pack                pipeline::pack() end to end (default fast mode, and --exact), with vs_decode_only =
//                          pack rate / decode-only rate at the scale that mode decodes at;
//   BM_PackTool            the celeba-pack executable, for its peak RSS (BENCH_RSS_N images, default BENCH_PACK_N);
//   BM_Loader              Loader::next() batches of 128 from the packed cache (in the page cache);
//   BM_CacheRead           Cache::read of random batches of 128 on the calling thread.
// BM_DecodeOnlyAllCores and BM_Pack also report cpu_us_per_image, the process CPU time per image: the steadier
// figure while something else runs on the machine.
// bench/peers/torchvision_pipeline.py times torchvision's ImageFolder + DataLoader on the same files.
// Data goes to $BENCH_WORK (default /tmp/dcgan-bench). Targets (issue #3): pack >= 15,000 images/s and >= 70% of
// decode-only, --exact >= 10,000 images/s, peak RSS <= 300 MB at 200,000 images, loader >= 50,000 images/s.
#include <benchmark/benchmark.h>

#include "pipeline/cache.hpp"
#include "pipeline/jpeg.hpp"
#include "pipeline/loader.hpp"
#include "pipeline/pack.hpp"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

extern char** environ;

namespace {

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoll(v) : fallback;
}

fs::path work_dir() {
  const char* w = std::getenv("BENCH_WORK");
  return w ? fs::path(w) : fs::path("/tmp/dcgan-bench");
}

constexpr int kUnique = 2000;

// BENCH_WORK/celeba_like_<n>: 2,000 generated photographs copied under new names up to n, without list files
// (the order is then the sorted names). Made once and reused.
fs::path celeba_like(int64_t n) {
  const fs::path base = work_dir() / "celeba_like_2000";
  if (!fs::exists(base / "list_eval_partition.txt")) {
    fs::create_directories(work_dir());
    const fs::path script = fs::path(DCGAN_SOURCE_DIR).parent_path() / "shared/tools/make_celeba_like.py";
    const std::string cmd = "/usr/bin/python3 " + script.string() + " " + base.string() + " --n " + std::to_string(kUnique);
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("bench_pipeline: '" + cmd + "' failed (scripts/install-deps bench installs its packages)");
  }
  const fs::path dir = work_dir() / ("celeba_like_" + std::to_string(n));
  const fs::path img = dir / "img_align_celeba";
  if (!fs::exists(dir / "complete")) {
    fs::create_directories(img);
    char name[32], src[32];
    for (int64_t i = 1; i <= n; ++i) {
      std::snprintf(name, sizeof name, "%06lld.jpg", static_cast<long long>(i));
      std::snprintf(src, sizeof src, "%06lld.jpg", static_cast<long long>((i - 1) % kUnique + 1));
      if (!fs::exists(img / name)) fs::copy_file(base / "img_align_celeba" / src, img / name);
    }
    std::ofstream(dir / "complete") << n << "\n";
  }
  return dir;
}

int64_t pack_n() { return env_int("BENCH_PACK_N", 20000); }

// CPU seconds (user + system, every thread) this process has used: per image, a cost that a compile running on
// the other core changes far less than it changes wall-clock rates.
double process_cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// The 2,000 distinct files, in memory.
const std::vector<std::vector<uint8_t>>& unique_files() {
  static const std::vector<std::vector<uint8_t>> v = [] {
    const fs::path img = celeba_like(pack_n()) / "img_align_celeba";
    std::vector<std::vector<uint8_t>> out;
    char name[32];
    for (int i = 1; i <= kUnique; ++i) {
      std::snprintf(name, sizeof name, "%06d.jpg", i);
      std::ifstream f(img / name, std::ios::binary);
      out.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    return out;
  }();
  return v;
}

// Decodes `count` images (cycling over the distinct files) on every core; returns images/s, and the CPU
// microseconds per image in *cpu_us when given.
double decode_rate_all_cores(int den, int64_t count, double* cpu_us = nullptr) {
  const auto& files = unique_files();
  tbb::enumerable_thread_specific<pipeline::JpegDecoder> decoders;
  tbb::enumerable_thread_specific<std::vector<uint8_t>> buffers;
  const pipeline::JpegScale scale{1, den};
  const double c0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  tbb::parallel_for(int64_t{0}, count, [&](int64_t i) {
    const auto& f = files[size_t(i) % files.size()];
    auto& dec = decoders.local();
    auto& buf = buffers.local();
    const auto h = dec.header(f);
    const int w = scale.apply(h.width), ht = scale.apply(h.height);
    buf.resize(size_t(w) * size_t(ht) * 3);
    dec.decode(f, h, scale, pipeline::JpegPixels::rgb, buf.data(), w * 3);
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (cpu_us) *cpu_us = (process_cpu_seconds() - c0) * 1e6 / double(count);
  return double(count) / seconds;
}

// Decode-only rate at a scale, measured once per process (the denominator of vs_decode_only).
double decode_rate(int den) {
  static double rates[9] = {};
  if (rates[den] == 0) rates[den] = decode_rate_all_cores(den, pack_n());
  return rates[den];
}

void BM_DecodeOnlyAllCores(benchmark::State& st) {
  const int den = static_cast<int>(st.range(0));
  const int64_t n = pack_n();
  unique_files();  // made and read before the clock starts
  double rate = 0, cpu_us = 0;
  for (auto _ : st) rate = decode_rate_all_cores(den, n, &cpu_us);
  st.SetItemsProcessed(st.iterations() * n);
  st.counters["images_per_s"] = rate;
  st.counters["cpu_us_per_image"] = cpu_us;
}
BENCHMARK(BM_DecodeOnlyAllCores)->Arg(1)->Arg(2)->ArgName("scale_den")->Unit(benchmark::kMillisecond)->UseRealTime();

pipeline::PackOptions pack_options(const fs::path& out, bool exact) {
  pipeline::PackOptions o;
  o.input = celeba_like(pack_n());
  o.output = out;
  o.transform.mode = exact ? pipeline::ResizeMode::exact : pipeline::ResizeMode::fast;
  o.progress = pipeline::Progress::Mode::quiet;
  o.log = nullptr;
  o.force = true;
  return o;
}

void BM_Pack(benchmark::State& st) {
  const bool exact = st.range(0) != 0;
  const fs::path out = work_dir() / (exact ? "pack_exact" : "pack_fast");
  const auto o = pack_options(out, exact);
  // The scale the fast path decodes CelebA at (as Pillow's draft() would), else full size.
  const int den = exact ? 1 : pipeline::choose_jpeg_scale(178, 218, 64, 64).den;
  const double decode = decode_rate(den);
  double seconds = 0, cpu = 0;
  for (auto _ : st) {
    const double c0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const auto s = pipeline::pack(o);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu += process_cpu_seconds() - c0;
    benchmark::DoNotOptimize(s.packed);
  }
  const double rate = double(st.iterations() * pack_n()) / seconds;
  st.SetItemsProcessed(st.iterations() * pack_n());
  st.counters["images_per_s"] = rate;
  st.counters["decode_only_per_s"] = decode;
  st.counters["vs_decode_only"] = rate / decode;
  st.counters["cpu_us_per_image"] = cpu * 1e6 / double(st.iterations() * pack_n());
}
BENCHMARK(BM_Pack)->Arg(0)->Arg(1)->ArgName("exact")->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

// The real executable, for its peak resident set (ru_maxrss of the child).
void BM_PackTool(benchmark::State& st) {
  const int64_t n = env_int("BENCH_RSS_N", pack_n());
  const fs::path exe = fs::canonical("/proc/self/exe").parent_path().parent_path() / "tools" / "celeba-pack";
  const std::string in = celeba_like(n).string(), out = (work_dir() / "pack_tool").string();
  std::vector<std::string> args = {exe.string(), "--input", in, "--output", out, "--force", "--quiet"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  long max_rss_kb = 0;
  for (auto _ : st) {
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("cannot run " + exe.string());
    int status = 0;
    struct rusage ru {};
    wait4(pid, &status, 0, &ru);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) st.SkipWithError("celeba-pack failed");
    max_rss_kb = std::max(max_rss_kb, ru.ru_maxrss);
  }
  st.SetItemsProcessed(st.iterations() * n);
  st.counters["images"] = double(n);
  st.counters["peak_rss_MB"] = double(max_rss_kb) / 1024.0;
}
BENCHMARK(BM_PackTool)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// A packed cache of the benchmark files (fast mode), made once.
const fs::path& loader_cache() {
  static const fs::path dir = [] {
    const fs::path out = work_dir() / "loader_cache";
    auto o = pack_options(out, false);  // --force: a cache left by an earlier run may hold other files
    pipeline::pack(o);
    return out;
  }();
  return dir;
}

void BM_Loader(benchmark::State& st) {
  pipeline::LoaderOptions lo;
  lo.batch = 128;
  pipeline::Loader l(loader_cache(), lo);
  std::vector<float> batch(size_t(lo.batch) * l.channels() * l.image_size() * l.image_size());
  for (int i = 0; i < 3; ++i) l.next(batch.data());  // warm the page cache and the thread
  int64_t images = 0;
  for (auto _ : st) images += l.next(batch.data());
  st.SetItemsProcessed(images);
}
BENCHMARK(BM_Loader)->UseRealTime();

void BM_CacheRead(benchmark::State& st) {
  pipeline::Cache c(loader_cache());
  std::vector<float> batch(size_t(128) * c.image_elems());
  std::vector<int64_t> idx(128);
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int64_t> pick(0, c.count() - 1);
  for (auto _ : st) {
    for (auto& i : idx) i = pick(rng);
    c.read(idx, batch.data());
    benchmark::DoNotOptimize(batch.data());
  }
  st.SetItemsProcessed(st.iterations() * 128);
}
BENCHMARK(BM_CacheRead);

}  // namespace

BENCHMARK_MAIN();
