// MS-SSIM in double precision: Gaussian 'valid' filtering per scale, 2x2 downsampling, weighted product of terms.
#include "trainer/msssim.hpp"

#include "portable_random.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace trainer {

namespace {

constexpr std::array<double, 5> kScaleWeights = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};  // Wang et al. 2003
constexpr double kK1 = 0.01, kK2 = 0.03;
constexpr double kDataRange = 2.0;  // [-1, 1]

// A [c, h, w] image in double.
struct Planes {
  int c = 0, h = 0, w = 0;
  std::vector<double> v;
};

// The normalized 1-D Gaussian whose outer product is msssim.py's _FSpecialGauss(size, sigma): taps at offsets
// -r..r for odd sizes and -r+0.5..r-0.5 for even ones.
std::vector<double> gauss_taps(int size, double sigma) {
  std::vector<double> g(size);
  const double offset = (size % 2 == 0) ? 0.5 : 0.0;
  const int start = -(size / 2);
  double sum = 0;
  for (int i = 0; i < size; ++i) {
    const double x = start + i + offset;
    g[i] = std::exp(-(x * x) / (2.0 * sigma * sigma));
    sum += g[i];
  }
  for (auto& t : g) t /= sum;
  return g;
}

// 'valid' separable filtering of one [h, w] plane with `taps` in both directions: [h - s + 1, w - s + 1].
void filter_valid(const double* in, int h, int w, const std::vector<double>& taps, std::vector<double>& tmp,
                  std::vector<double>& out) {
  const int s = static_cast<int>(taps.size()), oh = h - s + 1, ow = w - s + 1;
  tmp.assign(static_cast<size_t>(h) * ow, 0.0);  // after the horizontal pass: [h, ow]
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < ow; ++x) {
      double acc = 0;
      for (int t = 0; t < s; ++t) acc += taps[t] * in[static_cast<size_t>(y) * w + x + t];
      tmp[static_cast<size_t>(y) * ow + x] = acc;
    }
  out.assign(static_cast<size_t>(oh) * ow, 0.0);
  for (int y = 0; y < oh; ++y)
    for (int t = 0; t < s; ++t) {
      const double* src = tmp.data() + static_cast<size_t>(y + t) * ow;
      double* dst = out.data() + static_cast<size_t>(y) * ow;
      for (int x = 0; x < ow; ++x) dst[x] += taps[t] * src[x];
    }
}

// Mean SSIM and mean contrast-structure term over all channels and positions at one scale.
std::pair<double, double> ssim_terms(const Planes& x, const Planes& y) {
  const int size = std::min({11, x.h, x.w});
  const auto taps = gauss_taps(size, 1.5 * size / 11.0);
  const double c1 = (kK1 * kDataRange) * (kK1 * kDataRange), c2 = (kK2 * kDataRange) * (kK2 * kDataRange);
  const size_t plane = static_cast<size_t>(x.h) * x.w;
  std::vector<double> tmp, mu1, mu2, sxx, syy, sxy, prod(plane);
  double ssim_sum = 0, cs_sum = 0;
  size_t count = 0;
  for (int ch = 0; ch < x.c; ++ch) {
    const double* a = x.v.data() + ch * plane;
    const double* b = y.v.data() + ch * plane;
    filter_valid(a, x.h, x.w, taps, tmp, mu1);
    filter_valid(b, x.h, x.w, taps, tmp, mu2);
    for (size_t i = 0; i < plane; ++i) prod[i] = a[i] * a[i];
    filter_valid(prod.data(), x.h, x.w, taps, tmp, sxx);
    for (size_t i = 0; i < plane; ++i) prod[i] = b[i] * b[i];
    filter_valid(prod.data(), x.h, x.w, taps, tmp, syy);
    for (size_t i = 0; i < plane; ++i) prod[i] = a[i] * b[i];
    filter_valid(prod.data(), x.h, x.w, taps, tmp, sxy);
    for (size_t i = 0; i < mu1.size(); ++i) {
      const double m11 = mu1[i] * mu1[i], m22 = mu2[i] * mu2[i], m12 = mu1[i] * mu2[i];
      const double v1 = 2.0 * (sxy[i] - m12) + c2;
      const double v2 = (sxx[i] - m11) + (syy[i] - m22) + c2;
      ssim_sum += ((2.0 * m12 + c1) * v1) / ((m11 + m22 + c1) * v2);
      cs_sum += v1 / v2;
    }
    count += mu1.size();
  }
  return {ssim_sum / static_cast<double>(count), cs_sum / static_cast<double>(count)};
}

// scipy.ndimage.convolve with a 2x2 box ('reflect' borders), then every other row and column: the mean of each
// 2x2 block; for an odd size the last block repeats the edge row or column.
Planes downsample2(const Planes& p) {
  Planes o;
  o.c = p.c;
  o.h = (p.h + 1) / 2;
  o.w = (p.w + 1) / 2;
  o.v.resize(static_cast<size_t>(o.c) * o.h * o.w);
  for (int ch = 0; ch < p.c; ++ch)
    for (int y = 0; y < o.h; ++y)
      for (int x = 0; x < o.w; ++x) {
        const int y0 = 2 * y, x0 = 2 * x, y1 = std::min(y0 + 1, p.h - 1), x1 = std::min(x0 + 1, p.w - 1);
        auto at = [&](int yy, int xx) { return p.v[(static_cast<size_t>(ch) * p.h + yy) * p.w + xx]; };
        o.v[(static_cast<size_t>(ch) * o.h + y) * o.w + x] = 0.25 * (at(y0, x0) + at(y1, x0) + at(y0, x1) + at(y1, x1));
      }
  return o;
}

Planes to_planes(const float* img, int c, int h, int w) {
  Planes p{c, h, w, std::vector<double>(img, img + static_cast<size_t>(c) * h * w)};
  return p;
}

void check_shape(const char* fn, int c, int h, int w) {
  if (c < 1 || h < 1 || w < 1)
    throw std::invalid_argument(std::string(fn) + ": bad image shape [" + std::to_string(c) + "," + std::to_string(h) +
                                "," + std::to_string(w) + "]");
}

}  // namespace

int ms_ssim_scales(int h, int w) {
  int scales = 1;
  for (int side = std::min(h, w); side >= 8 && scales < static_cast<int>(kScaleWeights.size()); side /= 2) ++scales;
  return scales;
}

double ms_ssim(const float* x, const float* y, int c, int h, int w) {
  check_shape("ms_ssim", c, h, w);
  Planes a = to_planes(x, c, h, w), b = to_planes(y, c, h, w);
  const size_t scales = static_cast<size_t>(ms_ssim_scales(h, w));
  // Fewer scales than five (32 px): the first weights, renormalized to sum to one (see msssim.hpp). Five: the
  // paper's weights as they are (they sum to 1.0001).
  double weight_sum = 0;
  for (size_t s = 0; s < scales; ++s) weight_sum += kScaleWeights[s];
  if (scales == kScaleWeights.size()) weight_sum = 1.0;
  double result = 1.0;
  for (size_t s = 0; s < scales; ++s) {
    const auto [ssim, cs] = ssim_terms(a, b);
    // Wang et al.: contrast-structure at every scale but the last, full SSIM (with luminance) at the last.
    const double term = (s + 1 < scales) ? cs : ssim;
    result *= std::pow(std::max(term, 0.0), kScaleWeights[s] / weight_sum);
    if (s + 1 < scales) {
      a = downsample2(a);
      b = downsample2(b);
    }
  }
  return result;
}

double ms_ssim_diversity(const float* images, int n, int c, int h, int w, int n_pairs, uint64_t seed) {
  check_shape("ms_ssim_diversity", c, h, w);
  if (n < 2) throw std::invalid_argument("ms_ssim_diversity: need at least 2 images, got " + std::to_string(n));
  if (n_pairs < 1) throw std::invalid_argument("ms_ssim_diversity: n_pairs must be >= 1, got " + std::to_string(n_pairs));
  const int64_t all = static_cast<int64_t>(n) * (n - 1) / 2;
  std::vector<std::pair<int, int>> pairs;
  if (n_pairs >= all) {
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) pairs.emplace_back(i, j);
  } else {
    prng::Engine rng(seed);
    std::set<std::pair<int, int>> seen;
    while (static_cast<int>(pairs.size()) < n_pairs) {
      int i = static_cast<int>(prng::below(rng, static_cast<uint64_t>(n)));
      int j = static_cast<int>(prng::below(rng, static_cast<uint64_t>(n - 1)));
      if (j >= i) ++j;  // j uniform over the others
      if (seen.insert({std::min(i, j), std::max(i, j)}).second) pairs.emplace_back(i, j);
    }
  }
  const size_t stride = static_cast<size_t>(c) * h * w;
  std::vector<double> values(pairs.size());
  tbb::parallel_for(size_t(0), pairs.size(), [&](size_t k) {
    values[k] = ms_ssim(images + pairs[k].first * stride, images + pairs[k].second * stride, c, h, w);
  });
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

}  // namespace trainer
