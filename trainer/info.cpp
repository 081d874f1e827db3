// Gathers runtime facts from nn (oneDNN, OpenMP) and pipeline (TBB, HDF5, libjpeg-turbo) for `info` and reports.
#include "trainer/info.hpp"

#include "nn/context.hpp"
#include "pipeline/versions.hpp"

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
  std::vector<InfoItem> items = {
      {"onednn.version", rt.onednn_version},
      {"onednn.cpu_runtime", rt.cpu_runtime},
      {"onednn.gpu_runtime", rt.gpu_runtime},
      {"onednn.cpu_isa", rt.cpu_isa},
      {"onednn.cpu_threads", std::to_string(rt.cpu_threads)},
      {"onednn.gpu_engines", std::to_string(rt.gpu_engines)},
  };
  for (InfoItem& it : pipeline::pipeline_info()) items.push_back(std::move(it));
  items.push_back({"compiler", compiler_version()});
  items.push_back({"hardware_threads", std::to_string(std::thread::hardware_concurrency())});
  return items;
}

void print_info(std::ostream& out, bool json) { pipeline::print_info_items(out, collect_info(), json); }

}  // namespace trainer
