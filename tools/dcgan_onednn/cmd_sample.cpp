// `dcgan-onednn sample`: not built yet; parses --help so the command is discoverable.
#include "common/cli.hpp"
#include "dcgan_onednn/commands.hpp"

#include <iostream>

namespace dcgan_cli {

int cmd_sample(int argc, const char* const argv[]) {
  namespace po = boost::program_options;
  po::options_description desc("Usage: dcgan-onednn sample [options]   (not built yet)\n\nOptions");
  desc.add_options()("help,h", "show this help");
  const auto vm = cli::parse(argc, argv, desc);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return cli::kExitOk;
  }
  throw std::runtime_error("sample: not built yet");
}

}  // namespace dcgan_cli
