// Readers for the files of a run directory (see run_files.hpp).
#include "trainer/run_files.hpp"

#include "pipeline/option_table.hpp"
#include "trainer/run_layout.hpp"

#include "trainer/csv_log.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;

namespace {

// Reads the whole file into `out`; false when it cannot be opened (missing).
bool slurp(const fs::path& p, std::string& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) throw std::runtime_error("cannot read '" + p.string() + "'");
  out = s.str();
  return true;
}

std::string trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

// One cell of metrics.csv: empty -> NaN; a number (including nan/inf as Python and to_chars print them).
bool parse_cell(std::string_view c, double& v) {
  while (!c.empty() && (c.back() == '\r' || c.back() == ' ')) c.remove_suffix(1);
  while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
  if (c.empty()) {
    v = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  const char* b = c.data();
  const char* e = b + c.size();
  if (*b == '+') ++b;  // from_chars does not take a leading '+'
  const auto [p, ec] = std::from_chars(b, e, v);
  return ec == std::errc() && p == e;
}

// CSV records with RFC 4180 quoting, where a quoted cell may hold newlines: a record ends at a newline outside
// quotes (doubled quotes inside a cell toggle twice, so parity tells). `torn` is set when the text does not end
// with a record terminator (that last record is then not returned).
std::vector<std::vector<std::string>> csv_records(const std::string& text, bool& torn) {
  std::vector<std::vector<std::string>> recs;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') quoted = !quoted;
    else if (text[i] == '\n' && !quoted) {
      recs.push_back(csv_split(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  torn = start < text.size();
  return recs;
}

// The lines of a text file (without their newlines); empty when the file is missing.
std::vector<std::string> lines_of(const fs::path& path) {
  std::string text;
  std::vector<std::string> lines;
  if (!slurp(path, text)) return lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace

int MetricsTable::column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return static_cast<int>(i);
  return -1;
}

const std::vector<double>* MetricsTable::get(std::string_view name) const {
  const int i = column(name);
  return i < 0 ? nullptr : &data[static_cast<size_t>(i)];
}

MetricsTable read_metrics_csv(const fs::path& path) {
  std::string text;
  if (!slurp(path, text))
    throw std::runtime_error("cannot open '" + path.string() + "' (is this a run directory written by "
                             "'dcgan-onednn train'?)");
  MetricsTable t;
  const size_t eol = text.find('\n');
  if (eol == std::string::npos || eol == 0)
    throw std::runtime_error("'" + path.string() + "' has no header line (empty or torn at its first line)");
  // A run's header has ~100 columns (the fixed ones and a grad: and weight: column per parameter): a header far
  // past that is not a run's, and would cost a vector per column for every row.
  if (eol > kMaxHeaderBytes)
    throw std::runtime_error("'" + path.string() + "' has a header line of " + std::to_string(eol) +
                             " bytes, more than the " + std::to_string(kMaxHeaderBytes) + " a run's metrics.csv has");
  t.columns = csv_split(text.substr(0, eol));
  const size_t ncol = t.columns.size();
  if (ncol > kMaxMetricsColumns)
    throw std::runtime_error("'" + path.string() + "' has " + std::to_string(ncol) + " columns, more than the " +
                             std::to_string(kMaxMetricsColumns) + " a run's metrics.csv has");
  t.data.assign(ncol, {});
  // Reserve from a row-length estimate taken on the first data line (10^5+ rows: avoid regrowth).
  const size_t next = text.find('\n', eol + 1);
  if (next != std::string::npos && next > eol + 1) {
    const size_t est = (text.size() - eol) / (next - eol) + 1;
    for (auto& col : t.data) col.reserve(est);
  }
  std::vector<double> row(ncol);
  std::vector<std::string_view> cells;
  size_t pos = eol + 1;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    if (end == std::string::npos) {  // a row cut by a kill: it may end inside a number
      t.truncated_last_line = true;
      break;
    }
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty() || line == "\r") continue;
    bool ok = true;
    if (line.find('"') != std::string_view::npos) {
      const auto split = csv_split(std::string(line));
      ok = split.size() == ncol;
      for (size_t i = 0; ok && i < ncol; ++i) ok = parse_cell(split[i], row[i]);
    } else {
      cells.clear();
      size_t a = 0;
      while (true) {
        const size_t b = line.find(',', a);
        cells.push_back(line.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a));
        if (b == std::string_view::npos) break;
        a = b + 1;
      }
      ok = cells.size() == ncol;
      for (size_t i = 0; ok && i < ncol; ++i) ok = parse_cell(cells[i], row[i]);
    }
    if (!ok) {
      ++t.malformed_rows;
      continue;
    }
    for (size_t i = 0; i < ncol; ++i) t.data[i].push_back(row[i]);
  }
  return t;
}

std::vector<HealthWarning> read_warnings_csv(const fs::path& path) {
  std::string text;
  std::vector<HealthWarning> out;
  if (!slurp(path, text)) return out;
  bool torn = false;
  const auto recs = csv_records(text, torn);
  for (size_t r = 1; r < recs.size(); ++r) {  // recs[0] is the header
    const auto& c = recs[r];
    if (c.size() < 3) continue;
    int64_t iter = 0;
    const auto [p, ec] = std::from_chars(c[0].data(), c[0].data() + c[0].size(), iter);
    if (ec != std::errc() || p != c[0].data() + c[0].size()) continue;
    std::string msg = c[2];
    for (size_t i = 3; i < c.size(); ++i) msg += "," + c[i];  // an unquoted message with commas
    out.push_back({iter, c[1], msg});
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> read_config_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return opt::parse_config_text(text.str());
}

std::vector<std::pair<std::string, std::string>> read_key_value_text(const fs::path& path) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& line : lines_of(path)) {
    const std::string l = trim(line);
    if (l.empty()) continue;
    size_t sp = 0;
    while (sp < l.size() && !std::isspace(static_cast<unsigned char>(l[sp]))) ++sp;
    out.emplace_back(l.substr(0, sp), trim(std::string_view(l).substr(sp)));
  }
  return out;
}

std::vector<SampleGrid> list_sample_grids(const fs::path& run_dir) {
  std::vector<SampleGrid> out;
  const fs::path dir = run_dir / run_layout::kSamplesDir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto iter = run_layout::sample_iteration(e.path().filename().string());
    if (!iter || !e.is_regular_file(ec)) continue;
    out.push_back({*iter, e.path()});
  }
  std::sort(out.begin(), out.end(), [](const SampleGrid& a, const SampleGrid& b) { return a.iter < b.iter; });
  return out;
}

}  // namespace trainer
