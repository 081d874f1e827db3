// The ordinary suite's driver of the fuzz targets: runs LLVMFuzzerTestOneInput (one fuzz_<target>.cpp, built with
// the project's compiler, without libFuzzer) on every file named or found in the directories named, so that the
// seed corpus and every crash input kept in tests/fuzz/regressions/<target>/ run on each change (ctest fuzz_replay_*).
// A regression's crash is an abort or a sanitizer report here, as it was under libFuzzer.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
    return 1;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::printf("replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
  std::fflush(stdout);  // the last file named before a crash is the one that caused it
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...  (runs the fuzz target's body on each file)\n", argv[0]);
    return 2;
  }
  int failed = 0, count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg = argv[i];
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(arg))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) failed |= replay(f), ++count;
    } else if (std::filesystem::exists(arg, ec)) {
      failed |= replay(arg), ++count;
    } else {
      std::fprintf(stderr, "replay: %s does not exist\n", arg.c_str());
      failed = 1;
    }
  }
  std::printf("replay: %d input(s), %s\n", count, failed ? "FAILED" : "no crash");
  return failed;
}
