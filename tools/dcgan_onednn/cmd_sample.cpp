// `dcgan-onednn sample`: images from a checkpoint's generator in eval mode, as a grid, N files or a latent walk.
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/sample.hpp"

#include <iostream>

namespace dcgan_cli {

namespace {

constexpr const char* kUsage =
    "Usage: dcgan-onednn sample --checkpoint FILE --n N --out FILE.png [--seed S] [--grid]\n"
    "       dcgan-onednn sample --checkpoint FILE --n ROWS --interpolate K --out walk.png [--seed S --seed2 T]\n\n"
    "Runs the generator in eval mode (BatchNorm running statistics, as PyTorch's netG.eval()).\n"
    "Without --grid, writes N files FILE_0000.png ...; with --grid one image of N samples (make_grid layout).\n"
    "--interpolate walks the latent space from the vectors of --seed to those of --seed2 in K steps, one row\n"
    "per pair, as in the DCGAN paper's figures.";

}  // namespace

int cmd_sample(int argc, const char* const argv[]) {
  trainer::SampleOptions o;
  if (!cli::parse(argc, argv, kUsage, trainer::sample_options(), o))
    return cli::kExitOk;
  trainer::sample(o, std::cout);
  return cli::kExitOk;
}

}  // namespace dcgan_cli
