// `dcgan-onednn train`: parses the options (command line and --config file) and runs trainer::train.
#include "common/cli.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/options.hpp"
#include "trainer/run_layout.hpp"
#include "trainer/trainer.hpp"

#include <fstream>
#include <iostream>

namespace dcgan_cli {

int cmd_train(int argc, const char* const argv[]) {
  namespace po = boost::program_options;
  trainer::TrainOptions o;
  std::string config;
  po::options_description desc(
      "Usage: dcgan-onednn train --data CACHE_DIR --out RUN_DIR [options]\n\n"
      "Trains the DCGAN of the PyTorch tutorial, step for step: D on a real batch (label 1) and on G(z)\n"
      "(label 0, G detached), Adam on D; then D on the same fake batch with label 1, backward into G only,\n"
      "Adam on G. Writes metrics.csv, samples/, checkpoints/ and options.cfg into RUN_DIR.\n"
      "SIGINT/SIGTERM write a checkpoint and stop (exit 128+signal); --resume continues exactly, even after kill -9.\n\n"
      "Example:\n  celeba-pack --input celeba/ --output cache/\n"
      "  dcgan-onednn train --data cache/ --out runs/first --epochs 1\n\nOptions",
      110, 55);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("config", po::value(&config), "read options from a file of 'name = value' lines (command line wins)")
    ("data", po::value(&o.data), "celeba-pack cache directory (required)")
    ("out", po::value(&o.out), "run directory to create (required; refuses an existing one without --resume)")
    ("epochs", po::value(&o.epochs)->default_value(o.epochs), "epochs over the data")
    ("iters", po::value(&o.iters)->default_value(o.iters), "total iterations instead of epochs (0: use --epochs)")
    ("batch", po::value(&o.batch)->default_value(o.batch), "batch size")
    ("lr", po::value(&o.lr)->default_value(o.lr, "0.0002"), "Adam learning rate for both networks")
    ("beta1", po::value(&o.beta1)->default_value(o.beta1), "Adam beta1 (beta2 = 0.999, eps = 1e-8)")
    ("nz", po::value(&o.nz)->default_value(o.nz), "latent vector size")
    ("ngf", po::value(&o.ngf)->default_value(o.ngf), "generator feature maps")
    ("ndf", po::value(&o.ndf)->default_value(o.ndf), "discriminator feature maps")
    ("seed", po::value(&o.seed)->default_value(o.seed), "random seed (weights, noise, shuffling)")
    ("engine", po::value(&o.engine)->default_value(o.engine), "cpu or gpu (an Intel GPU through oneDNN)")
    ("precision", po::value(&o.precision)->default_value(o.precision), "f32 or bf16 (bf16 keeps f32 master weights)")
    ("threads", po::value(&o.threads)->default_value(o.threads), "CPU threads for oneDNN (0: all)")
    ("partition", po::value(&o.partition)->default_value(o.partition), "train, valid, test or all (CelebA partition)")
    ("sample-every", po::value(&o.sample_every)->default_value(o.sample_every), "write a fixed-noise grid every N iterations (0: off)")
    ("checkpoint-every", po::value(&o.checkpoint_every)->default_value(o.checkpoint_every), "checkpoint every N iterations; also at each epoch end and on SIGINT/SIGTERM")
    ("keep-checkpoints", po::value(&o.keep_checkpoints)->default_value(o.keep_checkpoints), "keep the newest N checkpoints (0: all)")
    ("log-every", po::value(&o.log_every)->default_value(o.log_every), "print a tutorial-format log line every N iterations (0: off)")
    ("eval-every", po::value(&o.eval_every)->default_value(o.eval_every), "compute SWD and MS-SSIM every N iterations (0: off)")
    ("norms-every", po::value(&o.norms_every)->default_value(o.norms_every), "per-layer gradient and weight norms every N iterations")
    ("init-from", po::value(&o.init_from), "start from HDF5 weights in PyTorch state_dict layout")
    ("resume", po::bool_switch(&o.resume), "continue the run in --out from its newest complete checkpoint")
    ("no-progress", "no progress bar, even on a terminal");
  // clang-format on
  auto vm = cli::parse(argc, argv, desc);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return cli::kExitOk;
  }
  if (vm.count("config")) {
    const std::string path = vm["config"].as<std::string>();
    std::ifstream f(path);
    if (!f) throw cli::UsageError("--config: cannot open '" + path + "'");
    po::store(po::parse_config_file(f, desc), vm);  // command-line values stored first take precedence
  }
  // A resumed run keeps its options: the run's own options.cfg fills in what the command line does not say.
  if (vm.count("resume") && vm["resume"].as<bool>() && vm.count("out")) {
    const std::string saved = vm["out"].as<std::string>() + "/" + trainer::run_layout::kOptions;
    std::ifstream f(saved);
    if (f) po::store(po::parse_config_file(f, desc), vm);
  }
  po::notify(vm);
  o.progress = vm.count("no-progress") == 0;
  const trainer::TrainResult r = trainer::train(o, std::cout);
  if (r.status == trainer::TrainResult::Status::interrupted) return 128 + r.signal;
  std::cout << "done: " << r.iterations << " iterations. Run directory: " << r.run_dir.string() << '\n';
  return cli::kExitOk;
}

}  // namespace dcgan_cli
