// `dcgan-onednn eval`: SWD and MS-SSIM of a checkpoint's generator against a cache, as text or JSON.
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/evaluate.hpp"

#include <iostream>

namespace dcgan_cli {

namespace {

constexpr const char* kUsage =
    "Usage: dcgan-onednn eval --checkpoint FILE --data CACHE [--n 8192] [--json]\n\n"
    "Quality of a generator without downloaded weights:\n"
    "  SWD      Sliced Wasserstein Distance (Karras et al. 2018) between N real and N generated images, on\n"
    "           Laplacian-pyramid 7x7 patches from the image size down to 16 pixels, x 1e3. Lower is better.\n"
    "  MS-SSIM  mean multi-scale SSIM of random pairs within each set: diversity. Generated pairs far more\n"
    "           similar than real pairs (a higher value) points to mode collapse.";

}  // namespace

int cmd_eval(int argc, const char* const argv[]) {
  trainer::EvalOptions o;
  if (!cli::parse(argc, argv, kUsage, trainer::eval_options(), o))
    return cli::kExitOk;
  const trainer::EvalResult r = trainer::evaluate(o);
  std::cout << (o.json ? trainer::to_json(r) + '\n' : trainer::to_text(r));
  return cli::kExitOk;
}

}  // namespace dcgan_cli
