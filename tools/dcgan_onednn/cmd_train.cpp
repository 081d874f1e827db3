// `dcgan-onednn train`: parses the options (command line, --config file, a resumed run's options.cfg) and runs
// trainer::train.
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/options.hpp"
#include "trainer/resume.hpp"
#include "trainer/run_layout.hpp"
#include "trainer/mpi_world.hpp"
#include "trainer/trainer.hpp"

#include <iostream>
#include <ostream>

namespace dcgan_cli {

namespace {

constexpr const char* kUsage =
    "Usage: dcgan-onednn train --data CACHE_DIR --out RUN_DIR [options]\n\n"
    "Trains the DCGAN of the PyTorch tutorial, step for step: D on a real batch (label 1) and on G(z)\n"
    "(label 0, G detached), Adam on D; then D on the same fake batch with label 1, backward into G only,\n"
    "Adam on G. Writes metrics.csv, samples/, checkpoints/ and options.cfg into RUN_DIR.\n"
    "SIGINT/SIGTERM write a checkpoint and stop (exit 128+signal); --resume continues exactly, even after kill -9.\n"
    "Under mpirun (or srun) with N ranks: data-parallel, --batch stays the global batch and each rank computes\n"
    "batch / N of it; rank 0 alone writes RUN_DIR and the log (trainer/README.md, \"Data-parallel training\").\n\n"
    "Example:\n  celeba-pack --input celeba/ --output cache/\n"
    "  dcgan-onednn train --data cache/ --out runs/first --epochs 1\n"
    "  mpirun -np 4 dcgan-onednn train --data cache/ --out runs/four --epochs 1";

// A resumed run keeps its options: what the run saved (options.cfg, or its newest checkpoint's copy when that
// file is gone) fills in what the command line does not say.
std::vector<cli::ConfigSource> resumed_run_options(const boost::program_options::variables_map& vm) {
  if (!vm.count("resume") || !vm["resume"].as<bool>() || !vm.count("out")) return {};
  const std::string out = vm["out"].as<std::string>();
  const auto saved = trainer::saved_run_options(out);
  if (!saved)  // said before any option the run would have supplied is reported missing
    throw cli::UsageError("--resume: '" + out + "' is not a run directory (no " + trainer::run_layout::kOptions +
                          " and no readable checkpoint)");
  return {{"'" + saved->source.string() + "'", saved->text}};
}

}  // namespace

int cmd_train(int argc, const char* const argv[]) {
  trainer::TrainOptions o;
  if (!cli::parse(argc, argv, kUsage, trainer::train_options(), o, cli::ConfigFiles{true, resumed_run_options}))
    return cli::kExitOk;
  nn::Collectives* group = trainer::data_parallel_group();
  std::ostream quiet(nullptr);  // ranks other than 0 print nothing: their values are rank 0's
  std::ostream& out = group && group->rank() != 0 ? quiet : std::cout;
  const trainer::TrainResult r = trainer::train(o, out, group);
  if (r.status == trainer::TrainResult::Status::interrupted) return 128 + r.signal;
  out << "done: " << r.iterations << " iterations. Run directory: " << r.run_dir.string() << '\n';
  return cli::kExitOk;
}

}  // namespace dcgan_cli
