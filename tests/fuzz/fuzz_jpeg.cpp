// libFuzzer target: JPEG bytes through pipeline::Transform, in fast mode (DCT-scaled band decode) and exact mode
// (full-size decode), to uint8 and to normalized float, plus the header probe. The input is the JPEG file itself.
#include "fuzz_support.hpp"

#include "pipeline/transform.hpp"

#include <vector>

namespace {

// A bound far below the default 50 MP keeps each input fast; the refusal path is the same code.
constexpr int64_t kMaxPixels = 1 << 20;

pipeline::Transform& transform(pipeline::ResizeMode mode, int channels) {
  static pipeline::Transform t[2][2] = {
      {pipeline::Transform({32, 1, pipeline::ResizeMode::fast, kMaxPixels}),
       pipeline::Transform({64, 3, pipeline::ResizeMode::fast, kMaxPixels})},
      {pipeline::Transform({32, 1, pipeline::ResizeMode::exact, kMaxPixels}),
       pipeline::Transform({64, 3, pipeline::ResizeMode::exact, kMaxPixels})}};
  return t[mode == pipeline::ResizeMode::exact][channels == 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Bytes bytes(data, size);
  fuzz::expected_errors([&] { (void)pipeline::probe_header(bytes); });
  // The channel count follows the input's length, so both conversions (RGB, L) see every kind of file.
  const int channels = size % 2 ? 1 : 3;
  for (const auto mode : {pipeline::ResizeMode::fast, pipeline::ResizeMode::exact}) {
    pipeline::Transform& t = transform(mode, channels);
    if (mode == pipeline::ResizeMode::fast) {
      std::vector<uint8_t> out(t.output_elems());
      fuzz::expected_errors([&] { t.encoded(bytes, out.data()); });
    } else {
      std::vector<float> out(t.output_elems());
      fuzz::expected_errors([&] { t.encoded(bytes, out.data()); });
    }
  }
  return 0;
}
