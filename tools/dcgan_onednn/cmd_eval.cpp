// `dcgan-onednn eval`: SWD and MS-SSIM of a checkpoint's generator against a cache, as text or JSON.
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/evaluate.hpp"

#include <cstdio>
#include <iostream>

namespace dcgan_cli {

namespace {

constexpr const char* kUsage =
    "Usage: dcgan-onednn eval --checkpoint FILE --data CACHE [--n 8192] [--json]\n\n"
    "Quality of a generator without downloaded weights:\n"
    "  SWD      Sliced Wasserstein Distance (Karras et al. 2018) between N real and N generated images, on\n"
    "           Laplacian-pyramid 7x7 patches at 64, 32 and 16 pixels, x 1e3. Lower is better.\n"
    "  MS-SSIM  mean multi-scale SSIM of random pairs within each set: diversity. Generated pairs far more\n"
    "           similar than real pairs (a higher value) points to mode collapse.";

}  // namespace

int cmd_eval(int argc, const char* const argv[]) {
  trainer::EvalOptions o;
  if (!cli::parse(argc, argv, kUsage, trainer::eval_options(), o))
    return cli::kExitOk;
  const trainer::EvalResult r = trainer::evaluate(o);
  if (o.json) {
    std::cout << trainer::to_json(r) << '\n';
    return cli::kExitOk;
  }
  std::printf("images per set  %d\n", r.n);
  for (size_t i = 0; i < r.swd_per_level.size(); ++i)
    std::printf("SWD x1e3 @%-4d  %.3f\n", r.swd_level_sizes[i], r.swd_per_level[i]);
  std::printf("SWD x1e3 avg    %.3f\n", r.swd_average);
  std::printf("MS-SSIM fake    %.4f\nMS-SSIM real    %.4f\nseconds         %.1f\n", r.msssim_fake, r.msssim_real,
              r.seconds);
  return cli::kExitOk;
}

}  // namespace dcgan_cli
