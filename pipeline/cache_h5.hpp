// HDF5 pieces specific to the cache files, on top of h5.hpp: the float16 file type and the images' file type.
#pragma once
#include "pipeline/cache_format.hpp"
#include "pipeline/h5.hpp"

#include <string>
#include <vector>

namespace pipeline::cacheh5 {

// IEEE 754 binary16, little-endian: what numpy calls float16 (h5py maps it both ways).
h5::Handle float16_type(const std::string& file);
// The file type of `images` for a store, and its element size in bytes.
h5::Handle image_type(Store s, const std::string& file);

// float <-> IEEE binary16 bits, round to nearest even (the conversion numpy's astype(float16) does).
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

}  // namespace pipeline::cacheh5
