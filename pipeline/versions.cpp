// Reads library versions from the libraries at run time (not from headers), so `info` shows what is loaded.
#include "pipeline/versions.hpp"

#include <hdf5.h>
#include <jconfig.h>
#include <png.h>
#include <zlib.h>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/version.h>

#include "pipeline/cpu_dispatch.hpp"

#include <algorithm>
#include <ostream>
#include <stdexcept>

#define DCGAN_STR2(x) #x
#define DCGAN_STR(x) DCGAN_STR2(x)

namespace pipeline {

LibraryVersions library_versions() {
  LibraryVersions v;
  v.tbb = TBB_runtime_version();
  unsigned maj = 0, min = 0, rel = 0;
  if (H5get_libversion(&maj, &min, &rel) < 0) throw std::runtime_error("H5get_libversion failed");
  v.hdf5 = std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
  // libjpeg-turbo has no run-time version call; jconfig.h is installed with the library by the same package.
  v.libjpeg_turbo = DCGAN_STR(LIBJPEG_TURBO_VERSION);
  v.libpng = png_get_libpng_ver(nullptr);
  v.zlib = zlibVersion();
  return v;
}

int tbb_threads() { return oneapi::tbb::this_task_arena::max_concurrency(); }

std::vector<InfoItem> pipeline_info() {
  const LibraryVersions lv = library_versions();
  return {
      {"pipeline.simd", simd_description()},
      {"tbb.version", lv.tbb},
      {"tbb.threads", std::to_string(tbb_threads())},
      {"hdf5.version", lv.hdf5},
      {"libjpeg_turbo.version", lv.libjpeg_turbo},
      {"libpng.version", lv.libpng},
      {"zlib.version", lv.zlib},
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

void print_info_items(std::ostream& out, const std::vector<InfoItem>& items, bool json) {
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

}  // namespace pipeline
