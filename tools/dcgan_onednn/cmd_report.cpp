// `dcgan-onednn report RUN_DIR [--out FILE]`: writes the run's self-contained HTML report (trainer/report.hpp);
// `report --compare RUN_A RUN_B ... --out FILE`: one page overlaying several runs (trainer/report_compare.hpp).
#include "common/options.hpp"
#include "dcgan_onednn/commands.hpp"
#include "trainer/report.hpp"
#include "trainer/report_compare.hpp"

#include <filesystem>
#include <iostream>
#include <vector>

namespace dcgan_cli {

namespace {

struct ReportArgs {
  std::vector<std::string> run_dirs;
  bool compare = false;
  std::string out;
  int max_grids = trainer::ReportOptions{}.max_grids;
};

const opt::Table<ReportArgs>& report_options() {
  using R = opt::For<ReportArgs>;
  static const opt::Table<ReportArgs> t = {
      R::list("run-dir", &ReportArgs::run_dirs, "the --out directory of 'train'", opt::kRequired | opt::kPositional),
      R::flag("compare", &ReportArgs::compare,
              "one page overlaying the runs RUN_A RUN_B ... (2 to 10, one colour each); needs --out"),
      R::value("out", &ReportArgs::out, "write the report here instead of RUN_DIR/report.html"),
      R::value("max-grids", &ReportArgs::max_grids, "sample grids embedded, evenly spaced over the run", 0,
               opt::at_least(1)),
  };
  return t;
}

constexpr const char* kUsage =
    "Usage: dcgan-onednn report RUN_DIR [--out FILE]\n"
    "       dcgan-onednn report --compare RUN_A RUN_B [...] --out FILE\n\n"
    "Writes RUN_DIR/report.html, one self-contained page (no network): loss curves raw and smoothed, D(x) and\n"
    "D(G(z)), per-layer gradient and weight norms, SWD and MS-SSIM over time, warnings on the time axis, the\n"
    "fixed-noise sample grids as a timeline, the options and the machine. Reads metrics.csv, warnings.csv,\n"
    "samples/, real_samples.png, options.cfg and info.txt.\n\n"
    "With --compare, writes FILE: one page overlaying the runs, one colour each (as the PyTorch DCGAN tutorial\n"
    "compares a 5-epoch and a 10-epoch run): Loss_D and Loss_G raw and smoothed, D(x), D(G(z)), SWD (each run's\n"
    "mean, and the pyramid levels all runs share) and MS-SSIM over iterations, images/s; a table of the runs, the\n"
    "options that differ (only those), the latest sample grid of each run side by side, and each run's warnings.\n"
    "Runs of different lengths, image sizes and precisions compare.";

// Each RUN_DIR must be a directory: anything else is a usage error naming it.
void check_directories(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs)
    if (!std::filesystem::is_directory(dir)) throw cli::UsageError("report: RUN_DIR '" + dir + "' is not a directory");
}

int write_comparison(const ReportArgs& a) {
  check_directories(a.run_dirs);
  trainer::ReportOptions opt;
  opt.out = a.out;
  const trainer::CompareSummary s =
      trainer::write_comparison(std::vector<std::filesystem::path>(a.run_dirs.begin(), a.run_dirs.end()), opt);
  std::cout << "wrote " << s.path.string() << " (" << s.runs << " runs, " << s.differing_options
            << " differing options, " << s.grids_embedded << " sample grids, " << s.warnings << " warnings, "
            << s.bytes / 1024 << " KiB)\n";
  return cli::kExitOk;
}

}  // namespace

int cmd_report(int argc, const char* const argv[]) {
  ReportArgs a;
  if (!cli::parse(argc, argv, kUsage, report_options(), a)) return cli::kExitOk;
  if (a.compare) return write_comparison(a);
  if (a.run_dirs.size() > 1)
    throw cli::UsageError("report: one RUN_DIR, got " + std::to_string(a.run_dirs.size()) +
                          " (several runs go on one page with --compare RUN_A RUN_B ... --out FILE)");
  check_directories(a.run_dirs);
  trainer::ReportOptions opt;
  opt.out = a.out;
  opt.max_grids = a.max_grids;
  const trainer::ReportSummary s = trainer::write_report(a.run_dirs.front(), opt);
  std::cout << "wrote " << s.path.string() << " (" << s.rows << " metric rows, " << s.grids_embedded << " of "
            << s.grids_total << " sample grids, " << s.warnings << " warnings, " << s.bytes / 1024 << " KiB)\n";
  return cli::kExitOk;
}

}  // namespace dcgan_cli
