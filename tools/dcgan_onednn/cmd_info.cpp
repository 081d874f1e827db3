// `dcgan-onednn info`: prints what the libraries report about this machine and build.
#include "common/cli.hpp"
#include "dcgan_onednn/commands.hpp"
#include "nn/context.hpp"
#include "trainer/info.hpp"

#include <iostream>

namespace dcgan_cli {

int cmd_info(int argc, const char* const argv[]) {
  namespace po = boost::program_options;
  po::options_description desc(
      "Usage: dcgan-onednn info [--json] [--threads N]\n\n"
      "Prints the versions of oneDNN, oneTBB, HDF5, libjpeg-turbo, libpng, zlib and the compiler, the CPU ISA\n"
      "oneDNN dispatches to, the threads it will use and the number of oneDNN GPU engines found.\n\nOptions");
  desc.add_options()("help,h", "show this help")("json", "print one JSON object instead of aligned text")(
      "threads", po::value<int>()->default_value(0), "CPU threads for oneDNN (0: the OpenMP default)");
  const auto vm = cli::parse(argc, argv, desc);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return cli::kExitOk;
  }
  const int threads = vm["threads"].as<int>();
  if (threads < 0) throw cli::UsageError("--threads must be >= 0, got " + std::to_string(threads));
  nn::set_cpu_threads(threads);
  trainer::print_info(std::cout, vm.count("json") > 0);
  return cli::kExitOk;
}

}  // namespace dcgan_cli
