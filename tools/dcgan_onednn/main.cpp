// dcgan-onednn: train, sample, evaluate and report on a DCGAN built on oneDNN. Dispatches to a subcommand.
#include "common/cli.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/mpi_world.hpp"

#include <cstring>
#include <iostream>
#include <string>

namespace {

constexpr const char* kUsage = R"(Usage: dcgan-onednn <command> [options]

Train a DCGAN (Radford et al. 2015, as in the PyTorch DCGAN tutorial) on a cache written by celeba-pack,
with every layer on oneDNN primitives.

Commands:
  info      versions of oneDNN, oneTBB, HDF5, libjpeg-turbo and the compiler; CPU ISA, threads, GPU engines
  train     train on a celeba-pack cache:  dcgan-onednn train --data CACHE --out RUN_DIR
  sample    draw images from a checkpoint: dcgan-onednn sample --checkpoint FILE --n 64 --out grid.png
  eval      quality metrics (SWD, MS-SSIM) of a checkpoint against a cache
  report    write RUN_DIR/report.html from a run directory
  export    the generator as an ONNX model:  dcgan-onednn export --checkpoint FILE --onnx G.onnx

Run 'dcgan-onednn <command> --help' for the options of a command.

Exit status: 0 success, 2 usage error (bad option or value), 1 any other failure.
)";

}  // namespace

int main(int argc, char** argv) {
  trainer::MpiWorld world;  // MPI when mpirun or srun started this process; otherwise a world of one, no MPI call
  world.quiet_unless_rank_0();
  const int rc = cli::run(world.name("dcgan-onednn"), [&]() -> int {
    if (argc < 2) {
      std::cerr << kUsage;
      return cli::kExitUsage;
    }
    const std::string cmd = argv[1];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::cout << kUsage;
      return cli::kExitOk;
    }
    const char* const* sub = argv + 1;
    const int subc = argc - 1;
    if (cmd == "info") return dcgan_cli::cmd_info(subc, sub);
    if (cmd == "train") return dcgan_cli::cmd_train(subc, sub);
    if (cmd == "sample") return dcgan_cli::cmd_sample(subc, sub);
    if (cmd == "eval") return dcgan_cli::cmd_eval(subc, sub);
    if (cmd == "report") return dcgan_cli::cmd_report(subc, sub);
    if (cmd == "export") return dcgan_cli::cmd_export(subc, sub);
    if (!cmd.empty() && cmd[0] == '-') throw cli::UsageError("unrecognised option '" + cmd + "' (a command comes first)");
    throw cli::UsageError("unknown command '" + cmd + "' (expected info, train, sample, eval, report or export)");
  });
  // A rank that failed ends the job: the others would wait for it in their next collective. (An interrupted run
  // exits 128+signal on every rank, after the same iteration: no abort.)
  if (cli::failed(rc) && world.size() > 1) world.abort(rc);
  return rc;
}
