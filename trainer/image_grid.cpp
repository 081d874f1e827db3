// make_grid/save_image semantics of torchvision 0.14 (torchvision/utils.py) and PNG encoding through libpng.
#include "trainer/image_grid.hpp"

#include "pipeline/atomic_file.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <stdexcept>
#include <string>

namespace trainer {

namespace {

// save_image's conversion: grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8), all in float32. (Whether the
// compiler fuses the multiply and the add does not matter here: for x in [0, 1] both give the same truncated byte,
// which a search over 10^8 random floats and the boundary values (k - 0.5) / 255 confirmed.)
inline uint8_t to_byte(float v) {
  float t = v * 255.0f;
  t = t + 0.5f;
  if (!(t > 0.0f)) return 0;  // also NaN -> 0, as torch's clamp followed by the uint8 cast does on x86
  if (t > 255.0f) t = 255.0f;
  return static_cast<uint8_t>(t);
}

}  // namespace

Rgb8Image make_grid(const float* images, int n, int c, int h, int w, int nrow, int padding, bool normalize) {
  if (n < 1 || (c != 1 && c != 3) || h < 1 || w < 1)
    throw std::invalid_argument("make_grid: need n >= 1 images of 1 or 3 channels, got [" + std::to_string(n) + "," +
                                std::to_string(c) + "," + std::to_string(h) + "," + std::to_string(w) + "]");
  if (nrow < 1 || padding < 0)
    throw std::invalid_argument("make_grid: nrow must be >= 1 and padding >= 0, got nrow " + std::to_string(nrow) +
                                ", padding " + std::to_string(padding));
  const size_t count = static_cast<size_t>(n) * c * h * w;

  // normalize=True, value_range=None: norm_range(t, (t.min(), t.max())) over the whole batch, in float32.
  float low = 0.0f, high = 1.0f, scale = 1.0f;
  if (normalize) {
    float lo = images[0], hi = images[0];
    for (size_t i = 1; i < count; ++i) {
      lo = std::min(lo, images[i]);
      hi = std::max(hi, images[i]);
    }
    low = lo;
    high = hi;
    // torchvision divides by max(high - low, 1e-5), computed from Python floats, then applied in float32.
    scale = static_cast<float>(std::max(static_cast<double>(hi) - static_cast<double>(lo), 1e-5));
  }
  auto value = [&](float x) {
    if (!normalize) return x;
    x = std::min(std::max(x, low), high);  // clamp_(low, high): a no-op here, as low and high are the extremes
    return (x - low) / scale;
  };

  // make_grid returns a single image unchanged (tensor.squeeze(0)): no padding around it.
  const bool single = (n == 1);
  const int pad = single ? 0 : padding;
  const int xmaps = single ? 1 : std::min(nrow, n);
  const int ymaps = single ? 1 : (n + xmaps - 1) / xmaps;
  const int cell_h = h + pad, cell_w = w + pad;
  Rgb8Image out;
  out.width = cell_w * xmaps + pad;
  out.height = cell_h * ymaps + pad;
  out.pixels.assign(static_cast<size_t>(out.width) * out.height * 3, to_byte(0.0f));  // pad_value 0

  for (int k = 0; k < n; ++k) {
    const int gy = k / xmaps, gx = k % xmaps;
    const float* img = images + static_cast<size_t>(k) * c * h * w;  // [c, h, w]
    for (int y = 0; y < h; ++y) {
      uint8_t* row = out.pixels.data() + ((static_cast<size_t>(gy) * cell_h + pad + y) * out.width +
                                          static_cast<size_t>(gx) * cell_w + pad) * 3;
      for (int ch = 0; ch < 3; ++ch) {
        const float* src = img + (static_cast<size_t>(c == 1 ? 0 : ch) * h + y) * w;  // gray repeated to RGB
        for (int x = 0; x < w; ++x) row[x * 3 + ch] = to_byte(value(src[x]));
      }
    }
  }
  return out;
}

namespace {

struct PngWriteState {
  std::vector<uint8_t>* out;
  std::string error;
};

void png_write_to_vector(png_structp png, png_bytep data, png_size_t length) {
  auto* st = static_cast<PngWriteState*>(png_get_io_ptr(png));
  st->out->insert(st->out->end(), data, data + length);
}

void png_flush_noop(png_structp) {}

void png_error_to_state(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngWriteState*>(png_get_error_ptr(png));
  st->error = msg ? msg : "unknown libpng error";
  png_longjmp(png, 1);
}

void png_warning_ignore(png_structp, png_const_charp) {}

}  // namespace

std::vector<uint8_t> encode_png(const Rgb8Image& img) {
  if (img.width < 1 || img.height < 1 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3)
    throw std::invalid_argument("encode_png: image of " + std::to_string(img.width) + "x" +
                                std::to_string(img.height) + " with " + std::to_string(img.pixels.size()) +
                                " bytes (expected width*height*3)");
  std::vector<uint8_t> bytes;
  bytes.reserve(img.pixels.size() / 2 + 1024);
  PngWriteState st{&bytes, {}};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &st, png_error_to_state, png_warning_ignore);
  if (!png) throw std::runtime_error("encode_png: png_create_write_struct failed (out of memory?)");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    throw std::runtime_error("encode_png: png_create_info_struct failed (out of memory?)");
  }
  // libpng reports errors by longjmp; nothing with a destructor is created between here and the end of the block.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("encode_png: libpng: " + st.error);
  }
  png_set_write_fn(png, &st, png_write_to_vector, png_flush_noop);
  png_set_compression_level(png, 6);
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < img.height; ++y)
    png_write_row(png, img.pixels.data() + static_cast<size_t>(y) * img.width * 3);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return bytes;
}

void write_png(const std::filesystem::path& path, const Rgb8Image& img) {
  std::vector<uint8_t> bytes;
  try {
    bytes = encode_png(img);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write '" + path.string() + "': " + e.what());
  }
  pipeline::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace trainer
