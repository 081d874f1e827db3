// Benchmarks of the image transform on CelebA-like 178x218 JPEGs held in memory: libjpeg-turbo decode alone
// (full size and DCT scale 1/2, the roofline the pack is measured against), Pillow-exact resize + crop alone,
// and the whole Transform (decode + resize + crop + CHW, uint8 and normalised float) in both modes.
//
// Inputs: the 24 CelebA-like files of tests/golden/transform/inputs, or every *.jpg of $BENCH_CELEBA_DIR
// (e.g. the img_align_celeba folder written by ../shared/tools/make_celeba_like.py). Compare rates within one
// run on an idle machine: the resize + crop budget is a small fraction of the decode it follows.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "pipeline/jpeg.hpp"
#include "pipeline/resample.hpp"
#include "pipeline/transform.hpp"

namespace fs = std::filesystem;

namespace {

const std::vector<std::vector<uint8_t>>& files() {
  static const std::vector<std::vector<uint8_t>> all = [] {
    std::vector<fs::path> paths;
    if (const char* d = std::getenv("BENCH_CELEBA_DIR")) {
      for (const auto& e : fs::directory_iterator(d))
        if (e.path().extension() == ".jpg") paths.push_back(e.path());
    } else {
      for (const auto& e : fs::directory_iterator(fs::path(DCGAN_SOURCE_DIR) / "tests/golden/transform/inputs"))
        if (e.path().filename().string().starts_with("celeba_")) paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) throw std::runtime_error("bench_transform: no CelebA-like JPEGs found");
    std::vector<std::vector<uint8_t>> v;
    for (const auto& p : paths) {
      std::ifstream f(p, std::ios::binary);
      v.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    return v;
  }();
  return all;
}

// Decode only: what libjpeg-turbo costs at full size (den 1) and at DCT scale 1/2 (den 2).
void BM_DecodeOnly(benchmark::State& st) {
  const pipeline::JpegScale scale{1, static_cast<int>(st.range(0))};
  pipeline::JpegDecoder dec;
  std::vector<uint8_t> buf;
  size_t i = 0;
  for (auto _ : st) {
    const auto& f = files()[i++ % files().size()];
    const auto h = dec.header(f);
    buf.resize(static_cast<size_t>(scale.apply(h.width)) * scale.apply(h.height) * 3);
    dec.decode(f, h, scale, pipeline::JpegPixels::rgb, buf.data(), scale.apply(h.width) * 3);
    benchmark::DoNotOptimize(buf.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_DecodeOnly)->Arg(1)->Arg(2)->ArgName("scale_den");

// Resize + crop alone on already decoded RGB pixels: the 178x218 -> 64x78 -> 64x64 plan (exact mode) and the
// 89x109 one (fast mode after a 1/2-scale decode).
void BM_ResizeCrop(benchmark::State& st) {
  const int den = static_cast<int>(st.range(0));
  const pipeline::JpegScale scale{1, den};
  pipeline::JpegDecoder dec;
  const auto& f = files()[0];
  const auto h = dec.header(f);
  const int w = scale.apply(h.width), ht = scale.apply(h.height);
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * ht * 3), out(64 * 64 * 3), scratch;
  dec.decode(f, h, scale, pipeline::JpegPixels::rgb, rgb.data(), w * 3);
  pipeline::ResampleSpec s;
  s.in_w = w;
  s.in_h = ht;
  s.box_w = static_cast<float>(h.width) / den;
  s.box_h = static_cast<float>(h.height) / den;
  s.resized_w = 64;
  s.resized_h = 64 * h.height / h.width;
  s.left = 0;
  s.top = (s.resized_h - 64) / 2;
  s.out_w = s.out_h = 64;
  const pipeline::Resampler r(s);
  for (auto _ : st) {
    r.run(rgb.data(), static_cast<size_t>(w) * 3, out.data(), 64 * 3, scratch);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.counters["simd_fraction"] = r.simd_fraction();
}
BENCHMARK(BM_ResizeCrop)->Arg(1)->Arg(2)->ArgName("scale_den");

// The whole per-image work of a pack worker: decode + resize + crop + CHW (uint8, or float normalised).
void BM_Transform(benchmark::State& st) {
  const bool exact = st.range(0) != 0, to_float = st.range(1) != 0;
  pipeline::Transform t(pipeline::TransformOptions{64, 3, exact ? pipeline::ResizeMode::exact : pipeline::ResizeMode::fast});
  std::vector<uint8_t> u8(t.output_elems());
  std::vector<float> f32(t.output_elems());
  size_t i = 0;
  for (auto _ : st) {
    const auto& f = files()[i++ % files().size()];
    if (to_float)
      t.encoded(f, f32.data());
    else
      t.encoded(f, u8.data());
    benchmark::DoNotOptimize(u8.data());
    benchmark::DoNotOptimize(f32.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
BENCHMARK(BM_Transform)->ArgsProduct({{0, 1}, {0, 1}})->ArgNames({"exact", "float"});

// The ratio the pack targets are stated in, measured side by side in one loop: per file, the decode alone at
// the scale the mode uses, then the whole Transform. Counter transform_over_decode = (decode + resize + crop +
// CHW) time / decode time, e.g. 1.10 means the transform costs 10% on top of libjpeg-turbo.
void BM_TransformOverDecode(benchmark::State& st) {
  const bool exact = st.range(0) != 0;
  pipeline::Transform t(pipeline::TransformOptions{64, 3, exact ? pipeline::ResizeMode::exact : pipeline::ResizeMode::fast});
  pipeline::JpegDecoder dec;
  std::vector<uint8_t> u8(t.output_elems()), buf;
  using clock = std::chrono::steady_clock;
  clock::duration decode{}, whole{};
  size_t i = 0;
  const pipeline::JpegScale scale = exact ? pipeline::JpegScale{1, 1} : pipeline::JpegScale{1, 2};
  auto decode_only = [&](const std::vector<uint8_t>& f) {
    const auto t0 = clock::now();
    const auto h = dec.header(f);
    buf.resize(static_cast<size_t>(scale.apply(h.width)) * scale.apply(h.height) * 3);
    dec.decode(f, h, scale, pipeline::JpegPixels::rgb, buf.data(), scale.apply(h.width) * 3);
    decode += clock::now() - t0;
    benchmark::DoNotOptimize(buf.data());
  };
  auto transform = [&](const std::vector<uint8_t>& f) {
    const auto t0 = clock::now();
    t.encoded(f, u8.data());
    whole += clock::now() - t0;
    benchmark::DoNotOptimize(u8.data());
  };
  for (auto _ : st) {
    // Alternate which goes first, so neither always meets the file's bytes cold.
    const auto& f = files()[i % files().size()];
    if (i++ % 2) {
      decode_only(f);
      transform(f);
    } else {
      transform(f);
      decode_only(f);
    }
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
  st.counters["transform_over_decode"] =
      std::chrono::duration<double>(whole).count() / std::chrono::duration<double>(decode).count();
}
BENCHMARK(BM_TransformOverDecode)->Arg(0)->Arg(1)->ArgName("exact");

}  // namespace

BENCHMARK_MAIN();
