// The option table of celeba-pack, its checks and the options record of dataset.h5 (see pack_options.hpp).
#include "pipeline/pack_options.hpp"

#include "pipeline/transform.hpp"

#include <filesystem>
#include <stdexcept>

namespace pipeline {

namespace {

using opt::kNotSaved;
using opt::kRequired;

constexpr std::pair<bool, std::string_view> kOnErrorNames[] = {{false, "skip"}, {true, "fail"}};

std::string compression_text(const PackOptions& o) {
  return o.deflate_level < 0 ? "none" : "deflate:" + std::to_string(o.deflate_level);
}

std::string layout_text(const PackOptions& o) { return o.layout ? layout_name(*o.layout) : ""; }

void set_layout(PackOptions& o, std::string_view s) {
  if (s.empty())
    o.layout.reset();
  else
    o.layout = parse_layout(s);
}

opt::Table<PackOptions> make_table() {
  using O = PackOptions;
  using R = opt::For<O>;
  auto transform = [](O& o) -> TransformOptions& { return o.transform; };
  return {
      R::value("input", &O::input, "input directory", kRequired),
      R::value("output", &O::output, "output cache directory", kRequired | kNotSaved),
      R::custom("layout", opt::choices_text<Layout>(kLayoutNames) + " (detected when omitted)", layout_text,
                set_layout),
      R::value("size", [=](O& o) -> int& { return transform(o).size; }, "output side S: Resize(S) then CenterCrop(S)"),
      R::value("channels", [=](O& o) -> int& { return transform(o).channels; },
               "3 (RGB, as PIL convert('RGB')) or 1 (grayscale)"),
      R::custom_flag(
          "exact", "decode at full size and reproduce Pillow bit for bit (slower)",
          [](const O& o) { return o.transform.mode == ResizeMode::exact; },
          [](O& o) { o.transform.mode = ResizeMode::exact; }),
      R::choice("store", &O::store, kStoreNames, "element type; floats are stored normalized"),
      R::custom("compression", "none | deflate[:level] (chunked by image)", compression_text,
                [](O& o, std::string_view s) { o.deflate_level = parse_compression(s); }),
      R::value("shard-size", &O::shard_size, "images per shard file", 0, opt::at_least(1)),
      R::value("threads", &O::threads, "worker threads (0: all cores)", 0, opt::threads_check()),
      R::choice("on-error", &O::fail_on_error, kOnErrorNames,
                "a bad input is recorded in rejected.txt (skip) or stops the pack (fail)"),
      R::value("max-pixels", [=](O& o) -> int64_t& { return transform(o).max_pixels; },
               "refuse images whose header declares more pixels"),
      R::value("limit", &O::limit, "pack only the first N images (0: all)", 0, opt::at_least(0)),
      R::flag("resume", &O::resume, "continue an interrupted pack, keeping its complete shards", true, kNotSaved),
      R::flag("force", &O::force, "overwrite an existing output directory", true, kNotSaved),
      R::custom_flag(
          "quiet", "no progress output", [](const O& o) { return o.progress == Progress::Mode::quiet; },
          [](O& o) { o.progress = Progress::Mode::quiet; }, kNotSaved),
  };
}

}  // namespace

const opt::Table<PackOptions>& pack_options() {
  static const auto t = make_table();
  return t;
}

int parse_compression(std::string_view s) {
  if (s == "none") return -1;
  if (s == "deflate") return 4;  // h5py's default gzip level
  if (s.rfind("deflate:", 0) == 0 && s.size() == 9 && s[8] >= '0' && s[8] <= '9') return s[8] - '0';
  throw std::invalid_argument("--compression '" + std::string(s) + "' is not none, deflate or deflate:0..9");
}

bool parse_on_error(std::string_view s) {
  try {
    return opt::parse_choice<bool>(kOnErrorNames, s);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--on-error: ") + e.what());
  }
}

void validate_options(const PackOptions& o) {
  opt::validate(pack_options(), o);
  if (o.resume && o.force) throw std::invalid_argument("--resume and --force exclude each other: pick one");
  if (o.deflate_level > 9) throw std::invalid_argument("--compression level must be 0..9");
  Transform probe(o.transform);  // throws std::invalid_argument naming --size / --channels / --max-pixels
}

namespace {
std::string record_name(const std::string& option) {
  std::string key = option;
  for (char& c : key) c = c == '-' ? '_' : c;
  return key;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> options_record(const PackOptions& o, Layout layout) {
  std::error_code ec;
  PackOptions as_packed = o;
  as_packed.input = std::filesystem::absolute(o.input, ec);
  as_packed.layout = layout;
  std::vector<std::pair<std::string, std::string>> record;
  for (const auto& row : pack_options())
    if (!row.has(kNotSaved)) record.emplace_back(record_name(row.name), row.get(as_packed));
  return record;
}

std::vector<std::string> options_record_names() {
  std::vector<std::string> names;
  for (const auto& row : pack_options())
    if (!row.has(kNotSaved)) names.push_back(record_name(row.name));
  return names;
}

}  // namespace pipeline
