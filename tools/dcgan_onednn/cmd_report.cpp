// `dcgan-onednn report RUN_DIR [--out FILE]`: writes the run's self-contained HTML report (trainer/report.hpp).
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/report.hpp"

#include <filesystem>
#include <iostream>

namespace dcgan_cli {

namespace {

struct ReportArgs {
  std::string run_dir;
  std::string out;
  int max_grids = trainer::ReportOptions{}.max_grids;
};

const opt::Table<ReportArgs>& report_options() {
  using R = opt::For<ReportArgs>;
  static const opt::Table<ReportArgs> t = {
      R::value("run-dir", &ReportArgs::run_dir, "the --out directory of 'train'", opt::kRequired | opt::kPositional),
      R::value("out", &ReportArgs::out, "write the report here instead of RUN_DIR/report.html"),
      R::value("max-grids", &ReportArgs::max_grids, "sample grids embedded, evenly spaced over the run", 0,
               opt::at_least(1)),
  };
  return t;
}

constexpr const char* kUsage =
    "Usage: dcgan-onednn report RUN_DIR [--out FILE]\n\n"
    "Writes RUN_DIR/report.html, one self-contained page (no network): loss curves raw and smoothed, D(x) and\n"
    "D(G(z)), per-layer gradient and weight norms, SWD and MS-SSIM over time, warnings on the time axis, the\n"
    "fixed-noise sample grids as a timeline, the options and the machine. Reads metrics.csv, warnings.csv,\n"
    "samples/, real_samples.png, options.cfg and info.txt.";

}  // namespace

int cmd_report(int argc, const char* const argv[]) {
  ReportArgs a;
  if (!cli::parse(argc, argv, kUsage, report_options(), a)) return cli::kExitOk;
  if (!std::filesystem::is_directory(a.run_dir))
    throw cli::UsageError("report: RUN_DIR '" + a.run_dir + "' is not a directory");
  trainer::ReportOptions opt;
  opt.out = a.out;
  opt.max_grids = a.max_grids;
  const trainer::ReportSummary s = trainer::write_report(a.run_dir, opt);
  std::cout << "wrote " << s.path.string() << " (" << s.rows << " metric rows, " << s.grids_embedded << " of "
            << s.grids_total << " sample grids, " << s.warnings << " warnings, " << s.bytes / 1024 << " KiB)\n";
  return cli::kExitOk;
}

}  // namespace dcgan_cli
