// Implementation of the append-only CSV logs (see csv_log.hpp).
#include "trainer/csv_log.hpp"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + csv_quote(cells[i]);
  return line;
}

template <class T>
std::string shortest(T v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) throw std::logic_error("to_chars failed");
  return std::string(buf, end);
}

}  // namespace

std::string format_value(float v) { return shortest(v); }
std::string format_value(double v) { return shortest(v); }

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::vector<std::string> csv_split(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else cells.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else if (c != '\r') {
      cells.back() += c;
    }
  }
  return cells;
}

CsvLog::CsvLog(const fs::path& path, const std::vector<std::string>& header, int iter_column,
               std::optional<int64_t> resume_iter)
    : path_(path), columns_(header.size()) {
  const std::string head = join(header);
  if (resume_iter && fs::exists(path)) {
    // Find the byte offset of the first row to drop: a row at or past the checkpoint, or a torn last line.
    std::ifstream in(path, std::ios::binary);
    std::string line;
    if (!std::getline(in, line) || line != head)
      throw std::runtime_error("'" + path.string() + "' does not start with the expected header (columns changed?): " +
                               "cannot resume into it");
    std::streamoff keep = static_cast<std::streamoff>(line.size()) + 1;
    while (true) {
      const std::streamoff start = in.tellg();
      if (!std::getline(in, line)) break;
      if (in.eof()) break;  // no newline: a row torn by a crash
      const auto cells = csv_split(line);
      if (cells.size() != columns_) break;
      int64_t it = 0;
      try {
        it = std::stoll(cells.at(static_cast<size_t>(iter_column)));
      } catch (const std::exception&) {
        break;
      }
      if (it >= *resume_iter) break;
      keep = start + static_cast<std::streamoff>(line.size()) + 1;
    }
    in.close();
    if (::truncate(path.c_str(), keep) != 0)
      throw std::runtime_error("cannot truncate '" + path.string() + "': " + std::strerror(errno));
    f_ = std::fopen(path.c_str(), "ab");
  } else {
    f_ = std::fopen(path.c_str(), "wb");
    if (f_) std::fprintf(f_, "%s\n", head.c_str());
  }
  if (!f_) throw std::runtime_error("cannot open '" + path.string() + "' for writing: " + std::strerror(errno));
  if (std::fflush(f_) != 0) throw std::runtime_error("cannot write '" + path.string() + "': " + std::strerror(errno));
}

CsvLog::~CsvLog() {
  if (f_) std::fclose(f_);
}

void CsvLog::append(const std::vector<std::string>& cells) {
  if (cells.size() != columns_)
    throw std::logic_error(path_.string() + ": row of " + std::to_string(cells.size()) + " cells for " +
                           std::to_string(columns_) + " columns");
  const std::string line = join(cells) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0)
    throw std::runtime_error("cannot append to '" + path_.string() + "': " + std::strerror(errno) +
                             (errno == ENOSPC ? " (the disk is full)" : ""));
}

}  // namespace trainer
