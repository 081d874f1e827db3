// libFuzzer target: the .npy reader `sample --z` uses (trainer/npy.hpp parse_npy: versions 1.0-3.0, '<f4', C order,
// shape bounded, exactly the declared bytes). The input is the file itself. A parsed array must hold as many values
// as its shape declares; it is then written back with write_npy and must read back to the same shape and bits.
#include "fuzz_support.hpp"

#include "trainer/npy.hpp"

#include <cstring>
#include <functional>
#include <numeric>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchDir dir;
  fuzz::expected_errors([&] {
    const trainer::NpyArray a = trainer::parse_npy(std::string(fuzz::as_text({data, size})), "fuzz.npy");
    const int64_t n = std::accumulate(a.shape.begin(), a.shape.end(), int64_t{1}, std::multiplies<>());
    if (n != static_cast<int64_t>(a.data.size())) __builtin_trap();
    const auto path = dir.path() / "back.npy";
    trainer::write_npy(path, a.shape, a.data.data());
    const trainer::NpyArray b = trainer::read_npy(path);
    if (b.shape != a.shape || b.data.size() != a.data.size() ||
        (n > 0 && std::memcmp(b.data.data(), a.data.data(), a.data.size() * sizeof(float)) != 0))
      __builtin_trap();
  });
  return 0;
}
