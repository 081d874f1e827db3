// A command's option table (pipeline/option_table.hpp) on Boost.Program_options: the --help text, the command line
// and config files parsed into the options struct, then validated. The one place the tools meet Boost's parser.
#pragma once
#include "common/cli.hpp"
#include "pipeline/option_table.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <iostream>
#include <string>
#include <vector>

namespace cli {

// A config file's text and the name its messages use ("'run/options.cfg'").
struct ConfigSource {
  std::string name;
  std::string text;
};

// Where options come from besides the command line, in decreasing priority.
struct ConfigFiles {
  bool option = false;  // adds --config FILE: "name = value" lines (opt::parse_config_entries), the command line wins
  // Sources read after the command line and --config (train --resume reads the run's options.cfg), chosen from the
  // raw values given so far.
  std::function<std::vector<ConfigSource>(const boost::program_options::variables_map&)> more;
};

namespace detail {

// One table row as a Boost option whose notifier parses the text into `target` through the row.
template <class O>
void add_row(boost::program_options::options_description& desc, const opt::Row<O>& row, const O& defaults,
             O& target) {
  namespace po = boost::program_options;
  if (row.is_switch) {
    auto* v = po::bool_switch()->notifier([&target, set = row.set](bool given) {
      if (given) set(target, "true");
    });
    desc.add_options()(row.name.c_str(), v, row.help.c_str());
    return;
  }
  if (row.has(opt::kMany)) {  // a list: every value, in order, through the row
    auto* v = po::value<std::vector<std::string>>()->composing()->notifier(
        [&target, set = row.set](const std::vector<std::string>& all) {
          for (const auto& s : all) set(target, s);
        });
    desc.add_options()(row.name.c_str(), v, row.help.c_str());
    return;
  }
  auto* v = po::value<std::string>()->notifier([&target, set = row.set](const std::string& s) { set(target, s); });
  if (const std::string d = row.get(defaults); !row.has(opt::kRequired) && !d.empty()) v->default_value(d);
  const std::string help = row.help + (row.has(opt::kRequired) ? " (required)" : "");
  desc.add_options()(row.name.c_str(), v, help.c_str());
}

// Applies a config source's "name = value" lines (opt::parse_config_entries) through the table, skipping the
// options in `given` (set by the command line or an earlier source), then adds the source's options to `given`.
// Throws UsageError naming the source and line of an unknown option or a bad value.
template <class O>
void apply_config(const ConfigSource& src, const opt::Table<O>& table, O& target, std::set<std::string>& given) {
  std::vector<opt::ConfigEntry> entries;
  try {
    entries = opt::parse_config_entries(src.text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(src.name + " " + e.what());
  }
  std::set<std::string> in_source;
  for (const auto& e : entries) {
    const opt::Row<O>* row = opt::find(table, e.name);
    const std::string at = src.name + " line " + std::to_string(e.line) + ": ";
    if (!row || row->has(opt::kPositional)) throw UsageError(at + "unknown option '" + e.name + "'");
    if (given.count(e.name)) continue;
    try {
      row->set(target, e.value);
    } catch (const std::invalid_argument& x) {
      throw UsageError(at + x.what());
    }
    in_source.insert(e.name);
  }
  given.insert(in_source.begin(), in_source.end());
}

inline ConfigSource read_config_option(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError("--config: cannot open '" + path.string() + "'");
  return {"'" + path.string() + "'", std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>())};
}

}  // namespace detail

// Parses argv (argv[0] is the program or command name) into `target` through the command's table. Prints the
// usage and the options to stdout and returns false for --help; otherwise takes the command line and the defaults,
// then fills in from the config files what the command line did not say, and validates. Throws boost::program_options::error or std::invalid_argument
// naming the option (both exit 2 through run()).
template <class O>
bool parse(int argc, const char* const argv[], const std::string& usage, const opt::Table<O>& table, O& target,
           const ConfigFiles& config = {}) {
  namespace po = boost::program_options;
  po::options_description visible(usage + "\n\nOptions", 110, 55), hidden;
  po::positional_options_description positional;
  visible.add_options()("help,h", "show this help");
  if (config.option)
    visible.add_options()("config", po::value<std::string>(),
                          "read options from a file of 'name = value' lines (command line wins)");
  const O defaults{};
  for (const auto& row : table) {
    detail::add_row(row.has(opt::kPositional) ? hidden : visible, row, defaults, target);
    if (row.has(opt::kPositional)) positional.add(row.name.c_str(), row.has(opt::kMany) ? -1 : 1);
  }
  po::options_description all;
  all.add(visible).add(hidden);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << visible << '\n';
    return false;
  }
  po::notify(vm);  // the command line and the defaults
  // Config files fill in what the command line did not say: --config first, then the more distant files.
  std::set<std::string> given;
  for (const auto& row : table)
    if (vm.count(row.name) && !vm[row.name].defaulted()) given.insert(row.name);
  if (vm.count("config")) detail::apply_config(detail::read_config_option(vm["config"].as<std::string>()), table, target, given);
  if (config.more)
    for (const auto& src : config.more(vm)) detail::apply_config(src, table, target, given);
  opt::validate(table, target);
  return true;
}

}  // namespace cli
