// Image grids like torchvision.utils.make_grid + save_image, and PNG encoding with libpng (to memory or a file).
#pragma once
#include <cstdint>
#include <filesystem>
#include <vector>

namespace trainer {

// An 8-bit RGB image, rows top to bottom, pixels interleaved: pixels[(y * width + x) * 3 + channel].
struct Rgb8Image {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3]
};

// Tiles `images` ([n, c, h, w] float, c = 1 or 3, NCHW contiguous) into one RGB image the way torchvision 0.14's
// make_grid(nrow, padding, normalize, value_range=None, scale_each=False, pad_value=0) followed by save_image does:
// - grayscale is repeated to three channels;
// - normalize: every value is mapped by (x - min) / max(max - min, 1e-5), min and max over the whole batch;
// - xmaps = min(nrow, n) columns, ceil(n / xmaps) rows, each cell (h + padding) x (w + padding), plus `padding`
//   on the top and left; the padding is pad_value 0 (black);
// - a single image (n == 1) is returned as is, without padding (make_grid squeezes it);
// - to bytes as save_image: trunc(clamp(x * 255 + 0.5, 0, 255)).
// Throws std::invalid_argument on a bad shape.
Rgb8Image make_grid(const float* images, int n, int c, int h, int w, int nrow = 8, int padding = 2,
                    bool normalize = true);

// PNG bytes (8-bit RGB, no interlace, zlib level 6) of `img`. Throws std::runtime_error when libpng fails.
std::vector<uint8_t> encode_png(const Rgb8Image& img);

// Writes `img` as a PNG file atomically (temporary beside it, fsync, rename). Throws naming the path.
void write_png(const std::filesystem::path& path, const Rgb8Image& img);

}  // namespace trainer
