// Cache-specific HDF5 helpers (see cache_h5.hpp).
#include "pipeline/cache_h5.hpp"

#include <bit>
#include <cstring>

namespace pipeline::cacheh5 {

h5::Handle float16_type(const std::string& file) {
  // Sign bit 15, exponent bits 10-14 (bias 15), mantissa bits 0-9: the layout h5py uses for numpy float16.
  h5::Handle t(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  h5::check(t.id(), "copying the float type", file);
  h5::check(H5Tset_fields(t.id(), 15, 10, 5, 0, 10), "setting float16 fields", file);
  h5::check(H5Tset_size(t.id(), 2), "setting float16 size", file);
  h5::check(H5Tset_ebias(t.id(), 15), "setting float16 exponent bias", file);
  return t;
}

h5::Handle image_type(Store s, const std::string& file) {
  switch (s) {
    case Store::uint8: return h5::Handle(H5Tcopy(H5T_STD_U8LE), H5Tclose);
    case Store::float16: return float16_type(file);
    case Store::float32: return h5::Handle(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  }
  throw std::logic_error("unknown store");
}

uint16_t float_to_half(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t mag = x & 0x7fffffffu;
  if (mag >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u : 0));  // inf/nan
  if (mag >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: overflow to inf
  if (mag < 0x38800000u) {
    // Subnormal half (|f| < 2^-14): value / 2^-24, rounded to nearest even.
    if (mag < 0x33000000u) return static_cast<uint16_t>(sign);  // < 2^-25: rounds to zero
    const uint32_t e = mag >> 23;
    const uint32_t m = (mag & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // bits dropped so that the result is in units of 2^-24
    uint32_t h = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 23-bit mantissa to 10 bits, nearest even.
  uint32_t h = ((mag - 0x38000000u) >> 13);
  const uint32_t rem = mag & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) ++h;  // a carry into the exponent is correct rounding
  return static_cast<uint16_t>(sign | h);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ffu;
  uint32_t x;
  if (e == 0) {
    if (m == 0) x = sign;
    else {  // subnormal: normalize
      int shift = 0;
      uint32_t mm = m;
      while (!(mm & 0x400u)) { mm <<= 1; ++shift; }
      x = sign | uint32_t(127 - 15 - shift + 1) << 23 | (mm & 0x3ffu) << 13;
    }
  } else if (e == 31) {
    x = sign | 0x7f800000u | m << 13;
  } else {
    x = sign | (e + 127 - 15) << 23 | m << 13;
  }
  return std::bit_cast<float>(x);
}

}  // namespace pipeline::cacheh5
