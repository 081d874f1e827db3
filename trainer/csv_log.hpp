// Append-only CSV logs of a run (metrics.csv, warnings.csv): one flushed row per write, truncated on resume.
//
// Rows are appended and flushed as they are written, never rewritten, so a crash loses at most the row being
// written. On --resume the rows at or past the checkpoint's iteration (and a torn last line) are cut off with
// truncate(2), so the resumed run appends exactly the rows an uninterrupted run would have.
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace trainer {

class CsvLog {
 public:
  // Creates `path` with `header`, or, when resume_iter is set, reopens it: checks the header is the same,
  // keeps the rows whose column `iter_column` is < *resume_iter and cuts the rest. Throws naming the file.
  CsvLog(const std::filesystem::path& path, const std::vector<std::string>& header, int iter_column,
         std::optional<int64_t> resume_iter);
  ~CsvLog();
  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;

  // Appends one row (cells already formatted; quoted here when needed) and flushes it to the OS.
  void append(const std::vector<std::string>& cells);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  size_t columns_;
  std::FILE* f_ = nullptr;
};

// Shortest text that reads back to the same float (std::to_chars), "nan"/"inf" as Python prints them.
std::string format_value(float v);
std::string format_value(double v);
// A CSV cell: quoted (with doubled quotes) when it holds a comma, quote or newline.
std::string csv_quote(const std::string& s);
// Splits one CSV line (RFC 4180 quoting) into cells.
std::vector<std::string> csv_split(const std::string& line);

}  // namespace trainer
