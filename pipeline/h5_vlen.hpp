// Variable-length strings read from an HDF5 file's global heap by our own bounded parser instead of libhdf5's.
//
// Why: libhdf5 1.10.8 (Debian 12) trusts the global heap collections of the file it reads. The first fuzzing run
// (tests/fuzz/README.md) found a damaged collection that makes H5HG_read copy an object's declared size over a
// smaller buffer (ASan: memcpy-param-overlap under H5Aread) and another whose zero-sized free-space entry makes the
// collection decoder loop forever. Both come from reading a string attribute, the first thing every reader does.
//
// How: libhdf5 still finds the attribute or dataset and hands over each element's on-disk descriptor (HDF5 File
// Format Specification 3.0, section VI.C, "Variable-length": sequence length (4 bytes), then the global heap ID:
// collection address (size of offsets) and object index (4 bytes)). It does so through a conversion to an opaque
// type of the descriptor's size that we register (a no-op: the bytes already are the descriptors), so H5HG_read is
// never called. We then read the collection (section III.E, "Global Heap") from the file with std::ifstream and check
// every size against the collection and the file before copying a byte.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace h5 {

// Reads n variable-length strings of `obj` (an attribute or a dataset stored in the file, not a virtual dataset).
// `read(type, buf)` must read all n elements of `obj` as `type` into buf (H5Aread or H5Dread with H5S_ALL) and return
// its status. A string ends at its first NUL, as through the C API. Throws h5::Error naming `what` and `file` (for
// messages) when a descriptor or the collection it points to is damaged.
std::vector<std::string> read_vlen_strings(hid_t obj, size_t n, const std::function<herr_t(hid_t, void*)>& read,
                                           const std::string& what, const std::string& file);

}  // namespace h5
