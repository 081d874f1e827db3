// `dcgan-onednn export`: a checkpoint's generator in eval mode as an ONNX model (trainer/onnx_export.hpp).
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/onnx_export.hpp"

#include <iostream>
#include <string>

namespace dcgan_cli {

namespace {

struct ExportOptions {
  std::string checkpoint;
  std::string onnx;
};

const opt::Table<ExportOptions>& export_options() {
  using R = opt::For<ExportOptions>;
  static const opt::Table<ExportOptions> t = {
      R::value("checkpoint", &ExportOptions::checkpoint, "checkpoint (checkpoints/ckpt_*.h5) or weights file",
               opt::kRequired),
      R::value("onnx", &ExportOptions::onnx, "the ONNX model to write (replaced if it exists)", opt::kRequired),
  };
  return t;
}

constexpr const char* kUsage =
    "Usage: dcgan-onednn export --checkpoint FILE --onnx G.onnx\n\n"
    "Writes the generator in eval mode as an ONNX model (opset 13): input 'z' float32 [N, nz, 1, 1], output 'image'\n"
    "float32 [N, nc, S, S] in [-1, 1], N dynamic. Each layer is ConvTranspose, then BatchNormalization with the\n"
    "running statistics (not folded) and Relu, and Tanh after the last; tensors keep their PyTorch state_dict names.\n"
    "The model passes ONNX's checker before it is written. `sample --z Z.npy --raw OUT.npy` gives the same\n"
    "images from the checkpoint for comparison.";

}  // namespace

int cmd_export(int argc, const char* const argv[]) {
  ExportOptions o;
  if (!cli::parse(argc, argv, kUsage, export_options(), o)) return cli::kExitOk;
  const trainer::OnnxExport r = trainer::export_generator_onnx(o.checkpoint, o.onnx);
  const auto& c = r.config;
  std::cout << "wrote " << o.onnx << " (ONNX opset " << trainer::kOnnxOpset << ", " << r.nodes << " nodes, "
            << r.bytes << " bytes): z [N, " << c.nz << ", 1, 1] -> image [N, " << c.nc << ", " << c.image_size
            << ", " << c.image_size << "], from " << o.checkpoint << '\n';
  return cli::kExitOk;
}

}  // namespace dcgan_cli
