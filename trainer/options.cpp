// Range checks and config-file serialization for TrainOptions.
#include "trainer/options.hpp"

#include <charconv>
#include <sstream>
#include <stdexcept>

namespace trainer {

namespace {
[[noreturn]] void bad(const std::string& opt, const std::string& why) {
  throw std::invalid_argument("--" + opt + ": " + why);
}
}  // namespace

void validate(const TrainOptions& o) {
  if (o.data.empty()) bad("data", "is required (a directory written by celeba-pack)");
  if (o.out.empty()) bad("out", "is required (the run directory to create, or to continue with --resume)");
  if (o.epochs < 1) bad("epochs", "must be >= 1, got " + std::to_string(o.epochs));
  if (o.iters < 0) bad("iters", "must be >= 0, got " + std::to_string(o.iters));
  if (o.batch < 1) bad("batch", "must be >= 1, got " + std::to_string(o.batch));
  if (!(o.lr > 0) || o.lr > 1) bad("lr", "must be in (0, 1], got " + std::to_string(o.lr));
  if (!(o.beta1 >= 0) || !(o.beta1 < 1)) bad("beta1", "must be in [0, 1), got " + std::to_string(o.beta1));
  if (o.nz < 1) bad("nz", "must be >= 1, got " + std::to_string(o.nz));
  if (o.ngf < 1) bad("ngf", "must be >= 1, got " + std::to_string(o.ngf));
  if (o.ndf < 1) bad("ndf", "must be >= 1, got " + std::to_string(o.ndf));
  if (o.engine != "cpu" && o.engine != "gpu") bad("engine", "expected cpu or gpu, got '" + o.engine + "'");
  if (o.precision != "f32" && o.precision != "bf16")
    bad("precision", "expected f32 or bf16, got '" + o.precision + "'");
  if (o.threads < 0) bad("threads", "must be >= 0, got " + std::to_string(o.threads));
  if (o.partition != "train" && o.partition != "valid" && o.partition != "test" && o.partition != "all")
    bad("partition", "expected train, valid, test or all, got '" + o.partition + "'");
  if (o.sample_every < 0) bad("sample-every", "must be >= 0");
  if (o.checkpoint_every < 0) bad("checkpoint-every", "must be >= 0");
  if (o.keep_checkpoints < 0) bad("keep-checkpoints", "must be >= 0");
  if (o.log_every < 0) bad("log-every", "must be >= 0");
  if (o.eval_every < 0) bad("eval-every", "must be >= 0");
  if (o.norms_every < 1) bad("norms-every", "must be >= 1");
}

std::string to_config_text(const TrainOptions& o) {
  // Shortest text that reads back to the same double ("0.0002", not "0.00020000000000000001").
  auto num = [](double v) {
    char b[32];
    auto [end, ec] = std::to_chars(b, b + sizeof b, v, std::chars_format::general);
    return ec == std::errc() ? std::string(b, end) : std::to_string(v);
  };
  std::ostringstream s;
  s << "# dcgan-onednn train options, as used. Re-run with: dcgan-onednn train --config <this file>\n"
    << "data = " << o.data << "\nout = " << o.out << "\nepochs = " << o.epochs << "\niters = " << o.iters
    << "\nbatch = " << o.batch << "\nlr = " << num(o.lr) << "\nbeta1 = " << num(o.beta1) << "\nnz = " << o.nz
    << "\nngf = " << o.ngf << "\nndf = " << o.ndf << "\nseed = " << o.seed << "\nengine = " << o.engine
    << "\nprecision = " << o.precision << "\nthreads = " << o.threads << "\npartition = " << o.partition
    << "\nsample-every = " << o.sample_every << "\ncheckpoint-every = " << o.checkpoint_every
    << "\nkeep-checkpoints = " << o.keep_checkpoints << "\nlog-every = " << o.log_every
    << "\neval-every = " << o.eval_every << "\nnorms-every = " << o.norms_every
    << "\ninit-from = " << o.init_from << "\n";
  return s.str();
}

std::vector<std::pair<std::string, std::string>> parse_config_text(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> kv;
  std::istringstream in(text);
  std::string line;
  auto trim = [](const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    line = trim(line.substr(0, line.find('#')));
    const auto eq = line.find('=');
    if (line.empty() || line.front() == '[' || eq == std::string::npos) continue;
    kv.emplace_back(trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
  }
  return kv;
}

}  // namespace trainer
