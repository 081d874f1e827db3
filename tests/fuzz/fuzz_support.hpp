// What the libFuzzer targets share: a private scratch directory for parsers that read files, the split of one input
// into several files, and the rule for exceptions.
//
// Exceptions: a parser refuses bad input by throwing what its header documents (std::runtime_error and its
// subclasses: RejectedInput, h5::Error, CheckpointDoesNotFit, std::filesystem::filesystem_error; std::invalid_argument
// for a bad option value). Those are caught by `expected_errors`. Anything else (std::logic_error, which this project
// keeps for program bugs, std::out_of_range, std::length_error, std::bad_alloc) escapes, and libFuzzer reports the
// abort as a crash with the input that caused it.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace fuzz {

using Bytes = std::span<const uint8_t>;

inline std::string_view as_text(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// A directory of this process under $TMPDIR (scripts/fuzz points it into build/fuzz/tmp), emptied before each input
// (clear) and removed at exit. libFuzzer leaves it behind when it stops on a crash.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/dcgan-fuzz-XXXXXX";
    if (!::mkdtemp(templ.data())) throw std::runtime_error("fuzz: cannot create a directory under " + templ);
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Removes everything inside, keeps the directory.
  void clear() const {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path_, ec)) std::filesystem::remove_all(e.path(), ec);
  }
  // Writes `bytes` as the file `name` inside and returns its path.
  std::filesystem::path write(const std::string& name, Bytes bytes) const {
    const std::filesystem::path p = path_ / name;
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("fuzz: cannot write " + p.string());
    return p;
  }

 private:
  std::filesystem::path path_;
};

// The separator between the files of one input (also in the targets' dictionaries, so mutations keep it).
inline constexpr std::string_view kPartSeparator = "\n==FUZZ-NEXT-FILE==\n";

// Splits an input into at most `max_parts` files at kPartSeparator; the last part keeps any further separators.
inline std::vector<Bytes> split_parts(Bytes data, size_t max_parts) {
  std::vector<Bytes> parts;
  const std::string_view text = as_text(data);
  size_t start = 0;
  while (parts.size() + 1 < max_parts) {
    const size_t at = text.find(kPartSeparator, start);
    if (at == std::string_view::npos) break;
    parts.push_back(data.subspan(start, at - start));
    start = at + kPartSeparator.size();
  }
  parts.push_back(data.subspan(start));
  return parts;
}

// Runs `body`, swallowing the exceptions a parser documents for bad input (see the top of this file). With
// FUZZ_SHOW_ERRORS=1 in the environment it prints their messages, to see why a replayed input was refused.
template <class Body>
void expected_errors(Body&& body) {
  static const bool show = std::getenv("FUZZ_SHOW_ERRORS") != nullptr;
  try {
    body();
  } catch (const std::runtime_error& e) {
    if (show) std::fprintf(stderr, "refused: %s\n", e.what());
  } catch (const std::invalid_argument& e) {
    if (show) std::fprintf(stderr, "refused (option): %s\n", e.what());
  }
}

}  // namespace fuzz
