// `dcgan-onednn sample`: images from a checkpoint's generator in eval mode, as a grid, N files or a latent walk.
#include "common/cli.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/generate.hpp"

#include <iostream>

namespace dcgan_cli {

int cmd_sample(int argc, const char* const argv[]) {
  namespace po = boost::program_options;
  trainer::SampleOptions o;
  po::options_description desc(
      "Usage: dcgan-onednn sample --checkpoint FILE --n N --out FILE.png [--seed S] [--grid]\n"
      "       dcgan-onednn sample --checkpoint FILE --n ROWS --interpolate K --out walk.png [--seed S --seed2 T]\n\n"
      "Runs the generator in eval mode (BatchNorm running statistics, as PyTorch's netG.eval()).\n"
      "Without --grid, writes N files FILE_0000.png ...; with --grid one image of N samples (make_grid layout).\n"
      "--interpolate walks the latent space from the vectors of --seed to those of --seed2 in K steps, one row\n"
      "per pair, as in the DCGAN paper's figures.\n\nOptions",
      110, 55);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("checkpoint", po::value(&o.checkpoint), "checkpoint (checkpoints/ckpt_*.h5) or weights file (required)")
    ("n", po::value(&o.n)->default_value(o.n), "number of samples (rows with --interpolate)")
    ("out", po::value(&o.out), "output PNG (required)")
    ("seed", po::value(&o.seed)->default_value(o.seed), "seed of the latent vectors")
    ("grid", po::bool_switch(&o.grid), "one grid image instead of N files")
    ("interpolate", po::value(&o.interpolate)->default_value(0), "K steps between --seed and --seed2 (0: off)")
    ("seed2", po::value(&o.seed2)->default_value(o.seed2), "seed of the walk's end points")
    ("engine", po::value(&o.engine)->default_value(o.engine), "cpu or gpu")
    ("threads", po::value(&o.threads)->default_value(0), "CPU threads for oneDNN (0: all)");
  // clang-format on
  auto vm = cli::parse(argc, argv, desc);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return cli::kExitOk;
  }
  po::notify(vm);
  trainer::sample(o, std::cout);
  return cli::kExitOk;
}

}  // namespace dcgan_cli
