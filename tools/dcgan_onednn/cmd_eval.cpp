// `dcgan-onednn eval`: SWD and MS-SSIM of a checkpoint's generator against a cache, as text or JSON.
#include "common/cli.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/generate.hpp"

#include <cstdio>
#include <iostream>

namespace dcgan_cli {

int cmd_eval(int argc, const char* const argv[]) {
  namespace po = boost::program_options;
  trainer::EvalOptions o;
  po::options_description desc(
      "Usage: dcgan-onednn eval --checkpoint FILE --data CACHE [--n 8192] [--json]\n\n"
      "Quality of a generator without downloaded weights:\n"
      "  SWD      Sliced Wasserstein Distance (Karras et al. 2018) between N real and N generated images, on\n"
      "           Laplacian-pyramid 7x7 patches at 64, 32 and 16 pixels, x 1e3. Lower is better.\n"
      "  MS-SSIM  mean multi-scale SSIM of random pairs within each set: diversity. Generated pairs far more\n"
      "           similar than real pairs (a higher value) points to mode collapse.\n\nOptions",
      110, 55);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("checkpoint", po::value(&o.checkpoint), "checkpoint or weights file (required)")
    ("data", po::value(&o.data), "celeba-pack cache of real images (required)")
    ("n", po::value(&o.n)->default_value(o.n), "images per set")
    ("partition", po::value(&o.partition)->default_value(o.partition), "train, valid, test or all")
    ("seed", po::value(&o.seed)->default_value(o.seed), "seed of the subsets, latent vectors, patches and projections")
    ("json", "print one JSON object instead of text")
    ("engine", po::value(&o.engine)->default_value(o.engine), "cpu or gpu")
    ("threads", po::value(&o.threads)->default_value(0), "CPU threads for oneDNN (0: all)");
  // clang-format on
  auto vm = cli::parse(argc, argv, desc);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return cli::kExitOk;
  }
  po::notify(vm);
  const trainer::EvalResult r = trainer::evaluate(o);
  if (vm.count("json")) {
    std::cout << trainer::to_json(r) << '\n';
    return cli::kExitOk;
  }
  std::printf("images per set  %d\n", r.n);
  const int sizes[] = {64, 32, 16};
  for (size_t i = 0; i < r.swd_per_level.size() && i < 3; ++i)
    std::printf("SWD x1e3 @%-4d  %.3f\n", sizes[i], r.swd_per_level[i]);
  std::printf("SWD x1e3 avg    %.3f\n", r.swd_average);
  std::printf("MS-SSIM fake    %.4f\nMS-SSIM real    %.4f\nseconds         %.1f\n", r.msssim_fake, r.msssim_real,
              r.seconds);
  return cli::kExitOk;
}

}  // namespace dcgan_cli
