// NumPy .npy files of float32, the format `sample --z` reads (latent vectors) and `sample --raw` writes (images):
// what numpy.save / numpy.load and the ONNX runtime checks exchange with the tools.
//
// Read: format versions 1.0, 2.0 and 3.0; descr '<f4' (little-endian float32) only, fortran_order False, a shape
// of at most 8 dimensions, and exactly the bytes the shape declares after the header. Written: version 1.0, '<f4',
// C order, the header padded to a multiple of 64 bytes as numpy writes it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trainer {

struct NpyArray {
  std::vector<int64_t> shape;  // empty for a 0-d array (one value)
  std::vector<float> data;     // C order
};

// No array this project reads holds more values (the checkpoint's bound, checkpoint.hpp).
inline constexpr int64_t kMaxNpyElements = int64_t{1} << 29;

// Throws std::runtime_error naming the file and what is wrong (not .npy, another dtype, a torn file, ...). The
// declared size is checked against the file's size before anything is allocated.
NpyArray read_npy(const std::filesystem::path& path);

// The same from bytes in memory (`what` names them in messages): read_npy's parser, for the fuzz target.
NpyArray parse_npy(const std::string& bytes, const std::string& what);

// Writes atomically (a temporary beside `path`, renamed over it). Throws naming the path on a short write.
void write_npy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace trainer
