// `dcgan-onednn report RUN_DIR [--out FILE]`: writes the run's self-contained HTML report (trainer/report.hpp).
#include "common/cli.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/report.hpp"

#include <filesystem>
#include <iostream>

namespace dcgan_cli {

int cmd_report(int argc, const char* const argv[]) {
  namespace po = boost::program_options;
  po::options_description desc(
      "Usage: dcgan-onednn report RUN_DIR [--out FILE]\n\n"
      "Writes RUN_DIR/report.html, one self-contained page (no network): loss curves raw and smoothed, D(x) and\n"
      "D(G(z)), per-layer gradient and weight norms, SWD and MS-SSIM over time, warnings on the time axis, the\n"
      "fixed-noise sample grids as a timeline, the options and the machine. Reads metrics.csv, warnings.csv,\n"
      "samples/, real_samples.png, options.cfg and info.txt.\n\nOptions");
  desc.add_options()("help,h", "show this help")("out", po::value<std::string>(),
                                                 "write the report here instead of RUN_DIR/report.html")(
      "max-grids", po::value<int>()->default_value(16), "sample grids embedded, evenly spaced over the run");
  po::options_description hidden;
  hidden.add_options()("run-dir", po::value<std::string>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("run-dir", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return cli::kExitOk;
  }
  if (!vm.count("run-dir")) throw cli::UsageError("report: RUN_DIR is missing (the --out directory of 'train')");
  const std::filesystem::path dir = vm["run-dir"].as<std::string>();
  if (!std::filesystem::is_directory(dir)) throw cli::UsageError("report: RUN_DIR '" + dir.string() + "' is not a directory");
  trainer::ReportOptions opt;
  if (vm.count("out")) opt.out = vm["out"].as<std::string>();
  opt.max_grids = vm["max-grids"].as<int>();
  if (opt.max_grids < 1) throw cli::UsageError("--max-grids must be >= 1, got " + std::to_string(opt.max_grids));
  const trainer::ReportSummary s = trainer::write_report(dir, opt);
  std::cout << "wrote " << s.path.string() << " (" << s.rows << " metric rows, " << s.grids_embedded << " of "
            << s.grids_total << " sample grids, " << s.warnings << " warnings, " << s.bytes / 1024 << " KiB)\n";
  return cli::kExitOk;
}

}  // namespace dcgan_cli
