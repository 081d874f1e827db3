// HDF5 pieces specific to the cache files, on top of h5.hpp: datasets created without modification times
// (so that two packs of the same input produce byte-identical shards), the float16 file type, and UTF-8 strings.
#pragma once
#include "pipeline/cache_format.hpp"
#include "pipeline/h5.hpp"

#include <string>
#include <vector>

namespace pipeline::cacheh5 {

// Creates `name` without object time tracking (H5Pset_obj_track_times(false)): the bytes of the file then
// depend only on what is written. chunk empty: contiguous; deflate_level >= 0 with chunk: gzip filter.
h5::Handle create(const h5::Location& loc, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                  const std::vector<hsize_t>& chunk = {}, int deflate_level = -1);

// Creates and writes a whole dataset of T (native type).
template <class T>
void write_all(const h5::Location& loc, const std::string& name, const std::vector<hsize_t>& dims, const T* data) {
  h5::Handle d = create(loc, name, h5::native_type<T>(), dims);
  size_t n = 1;
  for (auto x : dims) n *= x;
  if (n)
    h5::check(H5Dwrite(d.id(), h5::native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "writing '" + name + "'",
              loc.file(), "is the disk full?");
}

// Variable-length UTF-8 strings (h5py: .asstr()), created like create().
void write_strings(const h5::Location& loc, const std::string& name, const std::vector<std::string>& values);
h5::Handle vlen_string_type(const std::string& file);

// A variable-length UTF-8 string attribute (h5py returns str, not bytes; h5::get_attr_string reads it).
void set_string_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& file);

// IEEE 754 binary16, little-endian: what numpy calls float16 (h5py maps it both ways).
h5::Handle float16_type(const std::string& file);
// The file type of `images` for a store, and its element size in bytes.
h5::Handle image_type(Store s, const std::string& file);

// float <-> IEEE binary16 bits, round to nearest even (the conversion numpy's astype(float16) does).
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

}  // namespace pipeline::cacheh5
