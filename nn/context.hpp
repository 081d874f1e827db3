// Engine, stream and precision policy shared by every layer, plus what oneDNN reports about the runtime.
#pragma once
#include "nn/collectives.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace nn {

enum class EngineKind { cpu, gpu };
enum class Precision { f32, bf16 };

// The names options and files use for them, in the order --help lists them.
inline constexpr std::pair<EngineKind, std::string_view> kEngineNames[] = {{EngineKind::cpu, "cpu"},
                                                                          {EngineKind::gpu, "gpu"}};
inline constexpr std::pair<Precision, std::string_view> kPrecisionNames[] = {{Precision::f32, "f32"},
                                                                            {Precision::bf16, "bf16"}};
const char* to_string(EngineKind k);
const char* to_string(Precision p);

// One engine and one in-order stream. Layers hold a reference to the Context that built them.
struct Context {
  EngineKind kind = EngineKind::cpu;
  Precision precision = Precision::f32;
  dnnl::engine engine;
  dnnl::stream stream;
  // The GPU's host-access path on the CPU engine, for tests (make_device_emulation_context): every host view is a
  // separate copy, written back only when the view ends, and memory mapped for writing holds poison (NaN) until
  // then, as a GPU buffer's contents are undefined for kernels while it is mapped.
  bool emulate_device = false;
  // Data-parallel training (nn/collectives.hpp): the processes that train together, each on its slice of the global
  // batch. nullptr or a group of one: a single process. Not owned.
  Collectives* comm = nullptr;
  // With comm: BatchNorm's statistics over the whole global batch (torch.nn.SyncBatchNorm) rather than per rank.
  bool sync_batchnorm = true;
  // With comm: reduce each bucket of gradients while backward goes on below it (nn/data_parallel.hpp); false: after
  // the whole backward pass. The same sums either way; the switch is there to measure the overlap.
  bool overlap_gradient_average = true;
};

// Creates the engine. For gpu, throws std::runtime_error naming the cause when oneDNN finds no GPU
// engine (no device, no OpenCL ICD, or a oneDNN built without a GPU runtime).
Context make_context(EngineKind kind, Precision precision, int device_index = 0);

// A CPU context that treats its memory as a GPU's (Context::emulate_device): the code path --engine gpu takes for
// every host transfer and mapped access, run where no GPU exists. Numerically identical to make_context(cpu).
Context make_device_emulation_context(Precision precision);

// Number of engines oneDNN can create of a kind (0 when none, never throws).
int engine_count(EngineKind kind);

struct RuntimeInfo {
  std::string onednn_version;   // "2.6.3 (commit N/A)"
  std::string cpu_runtime;      // threading runtime oneDNN was built with: "OpenMP", "TBB", ...
  std::string gpu_runtime;      // "OpenCL", "SYCL" or "none"
  std::string cpu_isa;          // effective ISA the CPU kernels dispatch to, e.g. "avx512_core_bf16"
  int cpu_threads = 0;          // OpenMP threads oneDNN's CPU primitives will use
  int gpu_engines = 0;          // oneDNN GPU engines found
};
RuntimeInfo runtime_info();

// Sets the number of threads oneDNN's CPU primitives use (OpenMP here). n <= 0 keeps the default.
void set_cpu_threads(int n);

}  // namespace nn
