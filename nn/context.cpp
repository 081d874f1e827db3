// Engine creation with a clear error when no GPU exists, and runtime introspection for `dcgan-onednn info`.
#include "nn/context.hpp"

#include <omp.h>

#include <stdexcept>

namespace nn {

namespace {
template <class E, size_t N>
const char* name_of(const std::pair<E, std::string_view> (&names)[N], E v) {
  for (const auto& [e, n] : names)
    if (e == v) return n.data();  // the names are literals: null-terminated
  return "?";
}
}  // namespace

const char* to_string(EngineKind k) { return name_of(kEngineNames, k); }
const char* to_string(Precision p) { return name_of(kPrecisionNames, p); }

int engine_count(EngineKind kind) {
  try {
    return static_cast<int>(dnnl::engine::get_count(kind == EngineKind::cpu ? dnnl::engine::kind::cpu
                                                                             : dnnl::engine::kind::gpu));
  } catch (const dnnl::error&) {
    return 0;  // a runtime without GPU support reports through an error status
  }
}

Context make_context(EngineKind kind, Precision precision, int device_index) {
  Context ctx;
  ctx.kind = kind;
  ctx.precision = precision;
  if (kind == EngineKind::gpu) {
    const int n = engine_count(EngineKind::gpu);
    if (n == 0) {
      throw std::runtime_error(
          "--engine gpu: oneDNN found no GPU engine (oneDNN " + runtime_info().onednn_version + ", GPU runtime " +
          runtime_info().gpu_runtime +
          "). An Intel GPU with its OpenCL driver (Debian: intel-opencl-icd) is needed; use --engine cpu otherwise.");
    }
    if (device_index < 0 || device_index >= n)
      throw std::invalid_argument("GPU device index " + std::to_string(device_index) + " out of range: " +
                                  std::to_string(n) + " GPU engine(s) found");
  }
  ctx.engine = dnnl::engine(kind == EngineKind::cpu ? dnnl::engine::kind::cpu : dnnl::engine::kind::gpu,
                            static_cast<size_t>(device_index));
  ctx.stream = dnnl::stream(ctx.engine);
  return ctx;
}

Context make_device_emulation_context(Precision precision) {
  Context ctx = make_context(EngineKind::cpu, precision);
  ctx.emulate_device = true;
  return ctx;
}

static const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::all: return "all";
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
  }
  return "unknown";
}

static const char* runtime_name(unsigned r) {
  switch (r) {
    case DNNL_RUNTIME_NONE: return "none";
    case DNNL_RUNTIME_SEQ: return "sequential";
    case DNNL_RUNTIME_OMP: return "OpenMP";
    case DNNL_RUNTIME_TBB: return "TBB";
    case DNNL_RUNTIME_THREADPOOL: return "threadpool";
    case DNNL_RUNTIME_OCL: return "OpenCL";
    case DNNL_RUNTIME_SYCL: return "SYCL";
    default: return "unknown";
  }
}

RuntimeInfo runtime_info() {
  RuntimeInfo r;
  const dnnl_version_t* v = dnnl_version();
  r.onednn_version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
                     " (commit " + v->hash + ")";
  r.cpu_runtime = runtime_name(v->cpu_runtime);
  r.gpu_runtime = runtime_name(v->gpu_runtime);
  r.cpu_isa = isa_name(dnnl::get_effective_cpu_isa());
  r.cpu_threads = omp_get_max_threads();
  r.gpu_engines = engine_count(EngineKind::gpu);
  return r;
}

void set_cpu_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
}

}  // namespace nn
