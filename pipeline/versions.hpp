// Versions of the libraries the pipeline links, as reported by the libraries themselves at run time.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace pipeline {

struct LibraryVersions {
  std::string tbb;            // oneTBB runtime version, e.g. "2021.8.0"
  std::string hdf5;           // HDF5 library version from H5get_libversion
  std::string libjpeg_turbo;  // libjpeg-turbo version (jconfig.h of the libjpeg62-turbo-dev we link)
  std::string libpng;         // libpng runtime version
  std::string zlib;           // zlib runtime version
};

LibraryVersions library_versions();

// Worker threads oneTBB will use in the current arena (its default concurrency).
int tbb_threads();

// One line of `dcgan-onednn info` and `celeba-pack --version`.
struct InfoItem {
  std::string key;    // stable machine-readable key, e.g. "tbb.version"
  std::string value;  // as reported at run time
};

// The pipeline's part of both: the SIMD path its kernels take on this CPU (pipeline.simd, capped by
// DCGAN_MAX_CPU_ISA), TBB's version and threads, and the versions of HDF5, libjpeg-turbo, libpng and zlib.
std::vector<InfoItem> pipeline_info();

// Items as aligned "key  value" lines, or as one JSON object.
void print_info_items(std::ostream& out, const std::vector<InfoItem>& items, bool json);

}  // namespace pipeline
