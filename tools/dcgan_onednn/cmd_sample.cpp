// `dcgan-onednn sample`: images from a checkpoint's generator in eval mode, as a grid, N files or a latent walk.
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/sample.hpp"

#include <iostream>

namespace dcgan_cli {

namespace {

constexpr const char* kUsage =
    "Usage: dcgan-onednn sample --checkpoint FILE --n N --out FILE.png [--seed S] [--grid]\n"
    "       dcgan-onednn sample --checkpoint FILE --n ROWS --interpolate K --out walk.png [--seed S --seed2 T]\n"
    "       dcgan-onednn sample --checkpoint FILE --z Z.npy --raw IMAGES.npy [--out FILE.png [--grid]]\n\n"
    "Runs the generator in eval mode (BatchNorm running statistics, as PyTorch's netG.eval()).\n"
    "Without --grid, writes N files FILE_0000.png ...; with --grid one image of N samples (make_grid layout).\n"
    "--interpolate walks the latent space from the vectors of --seed to those of --seed2 in K steps, one row\n"
    "per pair, as in the DCGAN paper's figures.\n"
    "--z takes the latent vectors from a NumPy file instead of --seed (as an ONNX export of the generator is fed);\n"
    "--raw also writes the images as float32 [N, nc, S, S] before 8-bit rounding, for comparing with such a model.";

}  // namespace

int cmd_sample(int argc, const char* const argv[]) {
  trainer::SampleOptions o;
  if (!cli::parse(argc, argv, kUsage, trainer::sample_options(), o))
    return cli::kExitOk;
  trainer::sample(o, std::cout);
  return cli::kExitOk;
}

}  // namespace dcgan_cli
