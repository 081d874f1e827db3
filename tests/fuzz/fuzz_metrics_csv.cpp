// libFuzzer target: the run-directory readers of trainer/run_files.hpp. The input is written as metrics.csv and
// read with read_metrics_csv (header bounds, torn last line, malformed rows, quoted cells), and as warnings.csv
// for read_warnings_csv (RFC 4180 records spanning lines); info.txt's reader (read_key_value_text) runs on it too.
#include "fuzz_support.hpp"

#include "trainer/run_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchDir dir;
  const fuzz::Bytes bytes(data, size);
  const auto metrics = dir.write("metrics.csv", bytes);
  fuzz::expected_errors([&] {
    const trainer::MetricsTable t = trainer::read_metrics_csv(metrics);
    if (t.data.size() != t.columns.size()) __builtin_trap();
    for (const auto& col : t.data)
      if (col.size() != t.rows()) __builtin_trap();
    if (!t.columns.empty() && t.get(t.columns.front()) == nullptr) __builtin_trap();
  });
  const auto warnings = dir.write("warnings.csv", bytes);
  fuzz::expected_errors([&] { (void)trainer::read_warnings_csv(warnings); });
  const auto info = dir.write("info.txt", bytes);
  fuzz::expected_errors([&] { (void)trainer::read_key_value_text(info); });
  return 0;
}
