// `dcgan-onednn info`: prints what the libraries report about this machine and build.
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "nn/context.hpp"
#include "trainer/info.hpp"
#include "trainer/options.hpp"

#include <iostream>

namespace dcgan_cli {

namespace {

struct InfoOptions {
  bool json = false;
  int threads = 0;
};

const opt::Table<InfoOptions>& info_options() {
  static const opt::Table<InfoOptions> t = {
      opt::For<InfoOptions>::flag("json", &InfoOptions::json, "print one JSON object instead of aligned text"),
      trainer::threads_row<InfoOptions>()};
  return t;
}

constexpr const char* kUsage =
    "Usage: dcgan-onednn info [--json] [--threads N]\n\n"
    "Prints the versions of oneDNN, oneTBB, HDF5, libjpeg-turbo, libpng, zlib and the compiler, the CPU ISA\n"
    "oneDNN dispatches to, the threads it will use and the number of oneDNN GPU engines found.";

}  // namespace

int cmd_info(int argc, const char* const argv[]) {
  InfoOptions o;
  if (!cli::parse(argc, argv, kUsage, info_options(), o)) return cli::kExitOk;
  nn::set_cpu_threads(o.threads);
  trainer::print_info(std::cout, o.json);
  return cli::kExitOk;
}

}  // namespace dcgan_cli
