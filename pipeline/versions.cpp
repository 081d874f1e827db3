// Reads library versions from the libraries at run time (not from headers), so `info` shows what is loaded.
#include "pipeline/versions.hpp"

#include <hdf5.h>
#include <jconfig.h>
#include <png.h>
#include <zlib.h>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/version.h>

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

}  // namespace pipeline
