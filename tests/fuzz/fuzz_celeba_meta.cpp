// libFuzzer target: CelebA's metadata lists (pipeline/celeba_meta.hpp). The same bytes are parsed as the attribute
// list and as the partition list; each parser tells the official .txt layout from Kaggle's .csv by the header line,
// so one corpus holds both. The MD5 check against torchvision's list runs on them too.
#include "fuzz_support.hpp"

#include "pipeline/celeba_meta.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Bytes bytes(data, size);
  (void)pipeline::looks_like_html(bytes);
  fuzz::expected_errors([&] {
    const auto a = pipeline::parse_celeba_attributes("list_attr_celeba.txt", bytes);
    if (a.names.empty() || a.images.empty() || a.values.size() != a.images.size() * a.names.size()) __builtin_trap();
    for (const int8_t v : a.values)
      if (v != 1 && v != -1) __builtin_trap();
    (void)pipeline::check_official_md5("list_attr_celeba.txt", bytes, static_cast<int64_t>(a.images.size()));
  });
  fuzz::expected_errors([&] {
    const auto p = pipeline::parse_celeba_partition("list_eval_partition.csv", bytes);
    if (p.images.empty() || p.partition.size() != p.images.size()) __builtin_trap();
    for (const uint8_t v : p.partition)
      if (v > 2) __builtin_trap();
    (void)pipeline::check_official_md5("list_eval_partition.txt", bytes, static_cast<int64_t>(p.images.size()));
  });
  return 0;
}
