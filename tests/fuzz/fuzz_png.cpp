// libFuzzer target: PNG bytes through pipeline::decode_png (libpng to Pillow's 8-bit modes) and through
// pipeline::Transform (exact mode, RGB and grayscale). The input is the PNG file itself.
#include "fuzz_support.hpp"

#include "pipeline/png.hpp"
#include "pipeline/transform.hpp"

#include <vector>

namespace {

constexpr int64_t kMaxPixels = 1 << 20;  // far below the default 50 MP: fast inputs, the same refusal code

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Bytes bytes(data, size);
  static std::vector<uint8_t> pixels;
  fuzz::expected_errors([&] { (void)pipeline::png_header(bytes); });
  fuzz::expected_errors([&] {
    const pipeline::PngImage im = pipeline::decode_png(bytes, kMaxPixels, pixels);
    if (pixels.size() < size_t(im.width) * size_t(im.height) * size_t(im.channels)) __builtin_trap();
  });
  static pipeline::Transform rgb({48, 3, pipeline::ResizeMode::exact, kMaxPixels});
  static pipeline::Transform gray({32, 1, pipeline::ResizeMode::exact, kMaxPixels});
  pipeline::Transform& t = size % 2 ? gray : rgb;
  std::vector<uint8_t> out(t.output_elems());
  fuzz::expected_errors([&] { t.encoded(bytes, out.data()); });
  return 0;
}
