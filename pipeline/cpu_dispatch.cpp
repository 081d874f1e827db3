// The run-time choice of the pipeline's SIMD kernels (see cpu_dispatch.hpp).
#include "pipeline/cpu_dispatch.hpp"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace pipeline {
namespace {

constexpr SimdLevel kLevels[] = {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512};

SimdLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's checks include the OS's XCR0 state: an AVX-512 CPU under an OS that does not save the zmm
  // registers reports no AVX-512.
  __builtin_cpu_init();
  // Every AVX-512 CPU has AVX2 too; the AVX-512 kernels fall back on the AVX2 ones for some blocks.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
      __builtin_cpu_supports("avx512vnni"))
    return SimdLevel::avx512;
  if (__builtin_cpu_supports("avx2")) return SimdLevel::avx2;
#endif
  return SimdLevel::scalar;
}

// The process-wide choice. `level` is what the kernels read; `choice` keeps the reason for simd_description().
struct State {
  std::mutex mutex;
  SimdChoice choice;
  std::atomic<int> level{0};

  State() {
    const char* env = std::getenv(kSimdCapVariable);
    choice = choose_simd_level(cpu_simd_level(), env);
    level.store(static_cast<int>(choice.level), std::memory_order_relaxed);
    if (!choice.warning.empty()) std::fprintf(stderr, "warning: %s\n", choice.warning.c_str());
  }
};

State& state() {
  static State s;
  return s;
}

}  // namespace

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::scalar: return "scalar";
    case SimdLevel::avx2: return "avx2";
    case SimdLevel::avx512: return "avx512";
  }
  return "?";
}

std::optional<SimdLevel> parse_simd_level(std::string_view text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (SimdLevel l : kLevels)
    if (lower == simd_level_name(l)) return l;
  return std::nullopt;
}

SimdLevel cpu_simd_level() {
  static const SimdLevel cpu = detect();
  return cpu;
}

SimdChoice choose_simd_level(SimdLevel cpu, const char* cap_text) {
  SimdChoice c;
  c.cpu = cpu;
  c.level = cpu;
  c.cap = cap_text ? cap_text : "";
  if (c.cap.empty()) return c;
  if (const auto cap = parse_simd_level(c.cap)) {
    if (*cap < cpu) c.level = *cap;
    return c;
  }
  c.warning = std::string(kSimdCapVariable) + "='" + c.cap +
              "' is not one of avx512, avx2, scalar: ignored, the pipeline uses " + simd_level_name(cpu) +
              " (what this CPU supports)";
  return c;
}

SimdLevel simd_level() { return static_cast<SimdLevel>(state().level.load(std::memory_order_relaxed)); }

SimdLevel set_simd_level_cap(SimdLevel cap) {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  s.choice = choose_simd_level(cpu_simd_level(), simd_level_name(cap));
  s.level.store(static_cast<int>(s.choice.level), std::memory_order_relaxed);
  return s.choice.level;
}

std::string simd_description() {
  State& s = state();
  const std::lock_guard<std::mutex> lock(s.mutex);
  const SimdChoice& c = s.choice;
  std::string d = simd_level_name(c.level);
  if (c.level != c.cpu || !c.cap.empty()) {
    d += std::string(" (cpu ") + simd_level_name(c.cpu);
    if (!c.cap.empty()) d += ", " + std::string(kSimdCapVariable) + "=" + c.cap + (c.warning.empty() ? "" : ": ignored");
    d += ")";
  }
  return d;
}

}  // namespace pipeline
