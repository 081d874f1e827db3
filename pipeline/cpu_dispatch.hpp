// Which SIMD kernels the pipeline runs (resample.cpp, chw.cpp), chosen once at run time from the CPU's features,
// as oneDNN chooses its JIT ISA. The build targets baseline x86-64; each kernel has a portable version and ISA
// versions compiled with GCC target attributes, so one binary runs on any x86-64 and uses what the CPU has.
//
// A user caps the choice with DCGAN_MAX_CPU_ISA=avx512|avx2|scalar (in the spirit of ONEDNN_MAX_CPU_ISA): the
// dispatcher takes the lower of the cap and the CPU's level. An unknown value is ignored with a warning on stderr.
// Every level gives bit-identical output (tests/pipeline/test_simd_dispatch.cpp).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace pipeline {

// Ordered: a higher level may use everything below it.
enum class SimdLevel {
  scalar = 0,  // portable C++ (the compiler's baseline x86-64 code)
  avx2 = 1,    // AVX2 (Haswell, Zen 1 and later)
  avx512 = 2,  // AVX-512 F, BW, VL, VBMI and VNNI (Ice Lake, Zen 4 and later)
};

inline constexpr const char* kSimdCapVariable = "DCGAN_MAX_CPU_ISA";

// "scalar", "avx2", "avx512": the names the cap takes.
const char* simd_level_name(SimdLevel level);

// A cap value, case-insensitive; nullopt for anything else.
std::optional<SimdLevel> parse_simd_level(std::string_view text);

// The highest level this CPU (and its OS, for the AVX register state) supports, detected once.
SimdLevel cpu_simd_level();

// The decision itself, without side effects: the CPU's level lowered to the cap `cap_text` (the variable's value,
// null when unset). An unset or empty cap leaves the CPU's level; an unknown one leaves it too and says why.
struct SimdChoice {
  SimdLevel level = SimdLevel::scalar;  // what the kernels run
  SimdLevel cpu = SimdLevel::scalar;    // what the CPU supports
  std::string cap;                      // the cap as given ("" when unset)
  std::string warning;                  // non-empty for an unknown cap value
};
SimdChoice choose_simd_level(SimdLevel cpu, const char* cap_text);

// The active level: decided at the first call from cpu_simd_level() and $DCGAN_MAX_CPU_ISA (printing the
// choice's warning, if any, once on stderr), then the same for the life of the process. Thread-safe; cheap.
SimdLevel simd_level();

// Replaces the active level with min(cap, CPU) as if $DCGAN_MAX_CPU_ISA had said so; returns the new level.
// For tests and benchmarks that compare the paths in one process; kernels already running finish on the old one.
SimdLevel set_simd_level_cap(SimdLevel cap);

// One line for `info` and logs: the active level, and why when it is not the CPU's own,
// e.g. "avx512", "avx2 (cpu avx512, DCGAN_MAX_CPU_ISA=avx2)".
std::string simd_description();

}  // namespace pipeline
