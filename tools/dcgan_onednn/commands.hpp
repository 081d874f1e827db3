// The subcommands of dcgan-onednn: each parses its own options and calls into trainer/.
#pragma once

namespace dcgan_cli {

// argv[0] is the subcommand name; each returns the exit code or throws (see tools/common/cli.hpp).
int cmd_info(int argc, const char* const argv[]);
int cmd_train(int argc, const char* const argv[]);
int cmd_sample(int argc, const char* const argv[]);
int cmd_eval(int argc, const char* const argv[]);
int cmd_report(int argc, const char* const argv[]);
int cmd_export(int argc, const char* const argv[]);

}  // namespace dcgan_cli
