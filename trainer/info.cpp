// Gathers runtime facts from nn (oneDNN, OpenMP) and pipeline (TBB, HDF5, libjpeg-turbo) for `info` and reports.
#include "trainer/info.hpp"

#include "nn/context.hpp"
#include "pipeline/cpu_dispatch.hpp"
#include "pipeline/versions.hpp"

#include <ostream>
#include <thread>

namespace trainer {

static std::string compiler_version() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return "unknown";
#endif
}

std::vector<InfoItem> collect_info() {
  const nn::RuntimeInfo rt = nn::runtime_info();
  const pipeline::LibraryVersions lv = pipeline::library_versions();
  return {
      {"onednn.version", rt.onednn_version},
      {"onednn.cpu_runtime", rt.cpu_runtime},
      {"onednn.gpu_runtime", rt.gpu_runtime},
      {"onednn.cpu_isa", rt.cpu_isa},
      {"pipeline.simd", pipeline::simd_description()},  // the pipeline's kernels (DCGAN_MAX_CPU_ISA caps them)
      {"onednn.cpu_threads", std::to_string(rt.cpu_threads)},
      {"onednn.gpu_engines", std::to_string(rt.gpu_engines)},
      {"tbb.version", lv.tbb},
      {"tbb.threads", std::to_string(pipeline::tbb_threads())},
      {"hdf5.version", lv.hdf5},
      {"libjpeg_turbo.version", lv.libjpeg_turbo},
      {"libpng.version", lv.libpng},
      {"zlib.version", lv.zlib},
      {"compiler", compiler_version()},
      {"hardware_threads", std::to_string(std::thread::hardware_concurrency())},
  };
}

static std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

void print_info(std::ostream& out, bool json) {
  const auto items = collect_info();
  if (json) {
    out << "{";
    for (size_t i = 0; i < items.size(); ++i)
      out << (i ? ", " : "") << '"' << items[i].key << "\": \"" << json_escape(items[i].value) << '"';
    out << "}\n";
    return;
  }
  size_t w = 0;
  for (const auto& it : items) w = std::max(w, it.key.size());
  for (const auto& it : items) out << it.key << std::string(w + 2 - it.key.size(), ' ') << it.value << '\n';
}

}  // namespace trainer
