// `dcgan-onednn export --onnx`: a checkpoint's generator in eval mode as an ONNX model, built with Debian's ONNX
// library (libonnx-dev 1.12: its protobuf classes) and passed through ONNX's own checker before it is kept.
//
// The model (opset 13, IR version 8), by nn/architecture.hpp's rule at the checkpoint's size S (32..256):
//   input  z     float32 [N, nz, 1, 1]   N is the dynamic batch dimension (dim_param "N")
//   output image float32 [N, nc, S, S]   in [-1, 1] (Tanh)
//   main.{3i}   ConvTranspose (kernel 4, stride 1 pad 0 for i = 0, else stride 2 pad 1; no bias), weight
//               initializer "main.{3i}.weight" [in, out, 4, 4] (PyTorch's ConvTranspose2d layout, ONNX's too);
//   main.{3i+1} BatchNormalization with the running statistics (eval mode, epsilon 1e-5): initializers
//               "main.{3i+1}.weight" (scale), ".bias", ".running_mean", ".running_var", the checkpoint's values as
//               they are; BatchNorm is kept as its own node, not folded into the convolution, so the file holds
//               exactly the state_dict's tensors and computes what `sample` computes;
//   main.{3i+2} Relu after every layer but the last; main.{3L-3} Tanh after the last, named "image".
// Node and tensor names are the PyTorch state_dict / nn.Sequential names (the tutorial's Generator.main).
// Metadata properties: image_size, nz, ngf, nc, and source (the checkpoint's path).
//
// This is its own library (trainer_onnx), not part of trainer: only the export command and its tests link
// libonnx and libprotobuf.
#pragma once
#include "nn/dcgan.hpp"
#include "trainer/checkpoint.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace trainer {

inline constexpr int64_t kOnnxOpset = 13;
inline constexpr int64_t kOnnxIrVersion = 8;

// What was written.
struct OnnxExport {
  nn::DcganConfig config;  // nz, ngf, nc, image_size of the checkpoint's generator (ndf, batch unused)
  int nodes = 0;           // in the graph
  int64_t bytes = 0;       // the file's size
};

// The serialized model of a generator state_dict, checked as a reader gets it (parsed back from the bytes) (capture_network's, with names and shapes already checked
// against `config`). `source` goes into the metadata. Throws std::runtime_error when ONNX's checker or its strict
// shape inference refuses the model, or when it exceeds protobuf's 2 GiB limit (ngf * 2^(L-2) of 2048 and more at
// some sizes; external data is not written).
std::string generator_onnx_model(const NetworkState& generator, const nn::DcganConfig& config,
                                 const std::string& source, int* nodes = nullptr);

// Reads the generator of a checkpoint or weights file (as `sample` does: names and shapes checked) and writes its
// checked ONNX model to `out` atomically: a model the checker refuses is never written.
OnnxExport export_generator_onnx(const std::filesystem::path& checkpoint, const std::filesystem::path& out);

}  // namespace trainer
