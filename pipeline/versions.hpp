// Versions of the libraries the pipeline links, as reported by the libraries themselves at run time.
#pragma once
#include <string>

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

}  // namespace pipeline
