// Sliced Wasserstein Distance (Karras et al. 2018, ProGAN): Laplacian pyramid, random patches, per-set channel
// normalization, random projections as a blocked matrix product, radix sorts, 1-D Wasserstein-1.
#include "trainer/swd.hpp"

#include "portable_random.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace trainer {

namespace {

// ---- pyramid -------------------------------------------------------------------------------------------------

// scipy.ndimage mode 'mirror' (OpenCV BORDER_REFLECT_101): reflect about the edge sample, -1 -> 1, n -> n - 2.
inline int mirror(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = (i < 0) ? -i : 2 * (n - 1) - i;
  return i;
}

// out = plane convolved with the separable symmetric 5-tap filter `taps` in both directions, mirror borders,
// accumulated in double (scipy.ndimage accumulates in double too). plane, out: [rows, cols].
void convolve5(const float* plane, float* out, int rows, int cols, const std::array<double, 5>& taps,
               std::vector<double>& tmp) {
  tmp.resize(static_cast<size_t>(rows) * cols + cols + 4);  // [rows, cols] after the horizontal pass + a padded row
  double* padded = tmp.data() + static_cast<size_t>(rows) * cols;
  for (int y = 0; y < rows; ++y) {
    const float* src = plane + static_cast<size_t>(y) * cols;
    for (int x = -2; x < cols + 2; ++x) padded[x + 2] = src[mirror(x, cols)];
    double* dst = tmp.data() + static_cast<size_t>(y) * cols;
    for (int x = 0; x < cols; ++x)
      dst[x] = taps[0] * padded[x] + taps[1] * padded[x + 1] + taps[2] * padded[x + 2] + taps[3] * padded[x + 3] +
               taps[4] * padded[x + 4];
  }
  for (int y = 0; y < rows; ++y) {
    const double* r[5];
    for (int t = 0; t < 5; ++t) r[t] = tmp.data() + static_cast<size_t>(mirror(y + t - 2, rows)) * cols;
    float* dst = out + static_cast<size_t>(y) * cols;
    for (int x = 0; x < cols; ++x)
      dst[x] = static_cast<float>(taps[0] * r[0][x] + taps[1] * r[1][x] + taps[2] * r[2][x] + taps[3] * r[3][x] +
                                  taps[4] * r[4][x]);
  }
}

// The 1-D binomial filter [1, 4, 6, 4, 1] / 16; its outer product is ProGAN's 5x5 gaussian_filter (/256).
constexpr std::array<double, 5> kBinomial = {1 / 16.0, 4 / 16.0, 6 / 16.0, 4 / 16.0, 1 / 16.0};
constexpr std::array<double, 5> kBinomialUp = {2 / 16.0, 8 / 16.0, 12 / 16.0, 8 / 16.0, 2 / 16.0};  // x4 in 2-D

// pyr_down of one plane [rows, cols] -> [rows / 2, cols / 2]: filter, keep even rows and columns.
void pyr_down_plane(const float* in, float* out, int rows, int cols, std::vector<float>& full,
                    std::vector<double>& tmp) {
  full.resize(static_cast<size_t>(rows) * cols);
  convolve5(in, full.data(), rows, cols, kBinomial, tmp);
  const int r2 = rows / 2, c2 = cols / 2;
  for (int y = 0; y < r2; ++y)
    for (int x = 0; x < c2; ++x) out[static_cast<size_t>(y) * c2 + x] = full[static_cast<size_t>(2 * y) * cols + 2 * x];
}

// dst -= pyr_up(small): small [rows / 2, cols / 2] on the even positions of a zero [rows, cols] plane, filtered.
void subtract_pyr_up_plane(float* dst, const float* small, int rows, int cols, std::vector<float>& stuffed,
                           std::vector<float>& full, std::vector<double>& tmp) {
  const int r2 = rows / 2, c2 = cols / 2;
  stuffed.assign(static_cast<size_t>(rows) * cols, 0.0f);
  for (int y = 0; y < r2; ++y)
    for (int x = 0; x < c2; ++x) stuffed[static_cast<size_t>(2 * y) * cols + 2 * x] = small[static_cast<size_t>(y) * c2 + x];
  full.resize(stuffed.size());
  convolve5(stuffed.data(), full.data(), rows, cols, kBinomialUp, tmp);
  for (size_t i = 0; i < full.size(); ++i) dst[i] -= full[i];
}

// ---- projections ---------------------------------------------------------------------------------------------

// 16 floats: one AVX-512 register with -march=native on this machine; GCC splits it on narrower targets.
typedef float v16 __attribute__((vector_size(64)));
// Directions per chunk: 2 vectors. The register tile is 8 descriptors x 32 directions (16 accumulators): per
// component, 2 vector loads and 8 broadcasts feed 16 FMAs, and a chunk's directions (K x 128 bytes, 18.8 KB
// for RGB 7x7 patches) stay in the 32 KB L1 cache.
constexpr int kChunk = 32;
constexpr int kTile = 8;

// One set at one level, ready to project: channel-normalized level images and where each descriptor starts.
struct PreparedSet {
  std::vector<float> norm;      // [n, c, s, s]: (level - mean_c) / std_c
  std::vector<int64_t> base;    // [N]: offset of each patch's top-left sample of channel 0 in `norm`
};

// ProGAN's finalize_descriptors: per channel, mean and (population) std over all descriptors of the set. Two
// passes in double for accuracy. Takes the level ([n, c, rows, cols]) and normalizes it in place.
PreparedSet prepare_set(std::vector<float>&& level_in, int n, int c, int rows, int cols, int p, int ppi,
                        const std::vector<int32_t>& corners) {
  const size_t N = static_cast<size_t>(n) * ppi;
  const size_t plane = static_cast<size_t>(rows) * cols;
  PreparedSet ps;
  ps.norm = std::move(level_in);
  float* level = ps.norm.data();
  ps.base.resize(N);
  for (size_t d = 0; d < N; ++d) {
    const size_t img = d / static_cast<size_t>(ppi);
    ps.base[d] = static_cast<int64_t>(img * c * plane + static_cast<size_t>(corners[2 * d]) * cols + corners[2 * d + 1]);
  }
  // Per-descriptor-block partial sums, combined in block order so the result does not depend on the threads.
  const size_t block = 4096;
  const size_t nblocks = (N + block - 1) / block;
  auto channel_sums = [&](const std::vector<double>* mean) {
    std::vector<double> part(nblocks * c, 0.0);
    tbb::parallel_for(size_t(0), nblocks, [&](size_t bi) {
      for (size_t d = bi * block; d < std::min(N, (bi + 1) * block); ++d)
        for (int ch = 0; ch < c; ++ch) {
          const float* src = level + ps.base[d] + ch * plane;
          double acc = 0;
          const double m = mean ? (*mean)[ch] : 0.0;
          for (int dy = 0; dy < p; ++dy)
            for (int dx = 0; dx < p; ++dx) {
              const double v = src[static_cast<size_t>(dy) * cols + dx] - m;
              acc += mean ? v * v : v;
            }
          part[bi * c + ch] += acc;
        }
    });
    std::vector<double> total(c, 0.0);
    for (size_t bi = 0; bi < nblocks; ++bi)
      for (int ch = 0; ch < c; ++ch) total[ch] += part[bi * c + ch];
    const double count = static_cast<double>(N) * p * p;
    for (auto& t : total) t /= count;
    return total;
  };
  const std::vector<double> mean = channel_sums(nullptr);
  std::vector<double> stdev = channel_sums(&mean);
  for (auto& v : stdev) {
    v = std::sqrt(v);
    if (!(v > 1e-12)) v = 1.0;  // a constant channel: ProGAN would divide by zero; we leave it centred at 0
  }
  tbb::parallel_for(0, n * c, [&](int ic) {
    const int ch = ic % c;
    const float m = static_cast<float>(mean[ch]);
    const float inv = static_cast<float>(1.0 / stdev[ch]);
    float* x = level + static_cast<size_t>(ic) * plane;
    for (size_t i = 0; i < plane; ++i) x[i] = (x[i] - m) * inv;
  });
  return ps;
}

// out[j][d] = sum_k dirs_t[k][j] * descriptor_d[k] for the kChunk directions of a chunk and every descriptor d.
// dirs_t: [K][2] vectors (direction-contiguous); off: [K] offsets of component k from a patch's base.
// out: [kChunk][N] rows, row stride N. Each descriptor's components are read in place from the normalized
// images (no patch copy).
void project_chunk(const PreparedSet& ps, const std::vector<v16>& dirs_t, const std::vector<int64_t>& off,
                   float* out, size_t N) {
  const int K = static_cast<int>(off.size());
  const float* img = ps.norm.data();
  const size_t tiles = (N + kTile - 1) / kTile;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, tiles, 128), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t q = r.begin(); q != r.end(); ++q) {
      const size_t d0 = q * kTile;
      const int nd = static_cast<int>(std::min<size_t>(kTile, N - d0));
      // A partial last tile repeats its last descriptor (computed, not stored).
      auto ptr = [&](int t) { return img + ps.base[d0 + std::min(t, nd - 1)]; };
      const float *p0 = ptr(0), *p1 = ptr(1), *p2 = ptr(2), *p3 = ptr(3), *p4 = ptr(4), *p5 = ptr(5), *p6 = ptr(6),
                  *p7 = ptr(7);
      // Named accumulators, so that the compiler keeps them in registers (an indexed array spills at -O2).
      v16 a0{}, b0{}, a1{}, b1{}, a2{}, b2{}, a3{}, b3{}, a4{}, b4{}, a5{}, b5{}, a6{}, b6{}, a7{}, b7{};
      for (int k = 0; k < K; ++k) {
        const v16 da = dirs_t[2 * static_cast<size_t>(k)], db = dirs_t[2 * static_cast<size_t>(k) + 1];
        const int64_t o = off[k];
        float x = p0[o];
        a0 += x * da, b0 += x * db;
        x = p1[o];
        a1 += x * da, b1 += x * db;
        x = p2[o];
        a2 += x * da, b2 += x * db;
        x = p3[o];
        a3 += x * da, b3 += x * db;
        x = p4[o];
        a4 += x * da, b4 += x * db;
        x = p5[o];
        a5 += x * da, b5 += x * db;
        x = p6[o];
        a6 += x * da, b6 += x * db;
        x = p7[o];
        a7 += x * da, b7 += x * db;
      }
      const v16 acc[kTile][2] = {{a0, b0}, {a1, b1}, {a2, b2}, {a3, b3}, {a4, b4}, {a5, b5}, {a6, b6}, {a7, b7}};
      for (int j = 0; j < kChunk; ++j) {
        float* row = out + static_cast<size_t>(j) * N + d0;
        for (int t = 0; t < nd; ++t) row[t] = acc[t][j / 16][j % 16];
      }
    }
  });
}

void check_shapes(int na, int nb, int c, int h, int w, const SwdOptions& opt) {
  auto bad = [](const std::string& m) { throw std::invalid_argument("sliced_wasserstein: " + m); };
  if (na < 1 || nb < 1) bad("both sets need at least one image, got " + std::to_string(na) + " and " + std::to_string(nb));
  if (c < 1 || h < 1 || w < 1) bad("bad image shape [" + std::to_string(c) + "," + std::to_string(h) + "," + std::to_string(w) + "]");
  if (opt.levels < 1 || opt.levels > 16) bad("levels must be in 1..16, got " + std::to_string(opt.levels));
  if (opt.patch_size < 1 || opt.patch_size % 2 == 0) bad("patch_size must be odd, got " + std::to_string(opt.patch_size));
  if (opt.patches_per_image < 1) bad("patches_per_image must be >= 1, got " + std::to_string(opt.patches_per_image));
  if (opt.projections < 1) bad("projections must be >= 1, got " + std::to_string(opt.projections));
  const int f = 1 << (opt.levels - 1);
  if (h % f || w % f)
    bad("image size " + std::to_string(h) + "x" + std::to_string(w) + " is not divisible by 2^(levels-1) = " +
        std::to_string(f) + " (use fewer levels)");
  if (h / f < opt.patch_size || w / f < opt.patch_size)
    bad("the smallest level (" + std::to_string(h / f) + "x" + std::to_string(w / f) + ") cannot hold a " +
        std::to_string(opt.patch_size) + "x" + std::to_string(opt.patch_size) + " patch (use fewer levels)");
}

}  // namespace

namespace swd_detail {

std::vector<float> pyramid_step(std::vector<float>& level, int n, int c, int rows, int cols) {
  struct Scratch {
    std::vector<float> a, b;
    std::vector<double> tmp;
  };
  tbb::enumerable_thread_specific<Scratch> scratch;
  const size_t big = static_cast<size_t>(rows) * cols, small = big / 4;
  std::vector<float> next(static_cast<size_t>(n) * c * small);  // [n, c, rows / 2, cols / 2]
  tbb::parallel_for(0, n * c, [&](int i) {
    Scratch& s = scratch.local();
    pyr_down_plane(level.data() + i * big, next.data() + i * small, rows, cols, s.a, s.tmp);
    subtract_pyr_up_plane(level.data() + i * big, next.data() + i * small, rows, cols, s.a, s.b, s.tmp);
  });
  return next;
}

std::vector<std::vector<float>> laplacian_pyramid(const float* images, int n, int c, int h, int w, int levels) {
  std::vector<std::vector<float>> pyr;
  pyr.emplace_back(images, images + static_cast<size_t>(n) * c * h * w);
  for (int l = 1; l < levels; ++l) {
    std::vector<float> next = pyramid_step(pyr.back(), n, c, h >> (l - 1), w >> (l - 1));
    pyr.push_back(std::move(next));
  }
  return pyr;
}

SwdDraws draw(int na, int nb, int c, int h, int w, const SwdOptions& opt) {
  check_shapes(na, nb, c, h, w, opt);
  prng::Engine rng(opt.seed);
  SwdDraws d;
  const int K = c * opt.patch_size * opt.patch_size;
  for (int l = 0; l < opt.levels; ++l) {
    const int rows = h >> l, cols = w >> l;
    auto corners = [&](int n) {
      std::vector<int32_t> v(static_cast<size_t>(n) * opt.patches_per_image * 2);
      for (size_t i = 0; i < v.size(); i += 2) {
        v[i] = static_cast<int32_t>(prng::below(rng, static_cast<uint64_t>(rows - opt.patch_size + 1)));
        v[i + 1] = static_cast<int32_t>(prng::below(rng, static_cast<uint64_t>(cols - opt.patch_size + 1)));
      }
      return v;
    };
    d.corners_a.push_back(corners(na));
    d.corners_b.push_back(corners(nb));
    // ProGAN: np.random.randn(K, dirs) normalized per direction to unit length.
    std::vector<float> dirs(static_cast<size_t>(opt.projections) * K);
    for (int j = 0; j < opt.projections; ++j) {
      std::vector<double> g(K);
      double norm2 = 0;
      for (auto& x : g) {
        x = prng::normal(rng);
        norm2 += x * x;
      }
      const double inv = 1.0 / std::sqrt(norm2);
      for (int k = 0; k < K; ++k) dirs[static_cast<size_t>(j) * K + k] = static_cast<float>(g[k] * inv);
    }
    d.directions.push_back(std::move(dirs));
  }
  return d;
}

namespace {

// Exact W1 between two sorted samples read through `get_a` / `get_b` (floats or radix keys).
template <class GetA, class GetB>
double wasserstein1_sorted_impl(GetA get_a, size_t m, GetB get_b, size_t n) {
  if (m == 0 || n == 0) throw std::invalid_argument("wasserstein1_sorted: empty set");
  double total = 0;
  if (m == n) {
    for (size_t i = 0; i < m; ++i) total += std::fabs(static_cast<double>(get_a(i)) - get_b(i));
    return total / static_cast<double>(m);
  }
  // Quantile functions are step functions with breaks at i/m and j/n; walk both in units of 1/(m n).
  size_t i = 0, j = 0;
  uint64_t t = 0;
  while (i < m && j < n) {
    const uint64_t next_a = (i + 1) * static_cast<uint64_t>(n), next_b = (j + 1) * static_cast<uint64_t>(m);
    const uint64_t next = std::min(next_a, next_b);
    total += static_cast<double>(next - t) * std::fabs(static_cast<double>(get_a(i)) - get_b(j));
    t = next;
    if (t == next_a) ++i;
    if (t == next_b) ++j;
  }
  return total / (static_cast<double>(m) * static_cast<double>(n));
}

}  // namespace

double wasserstein1_sorted(const float* a, size_t m, const float* b, size_t n) {
  return wasserstein1_sorted_impl([a](size_t i) { return a[i]; }, m, [b](size_t i) { return b[i]; }, n);
}

double wasserstein1_sorted_keys(const uint32_t* a, size_t m, const uint32_t* b, size_t n) {
  return wasserstein1_sorted_impl([a](size_t i) { return float_of_key(a[i]); }, m,
                                  [b](size_t i) { return float_of_key(b[i]); }, n);
}

uint32_t key_of_float(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);  // negatives: flip all bits; others: set the sign bit
}

float float_of_key(uint32_t k) { return std::bit_cast<float>((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k); }

void radix_sort_keys(const float* v, size_t n, uint32_t* keys, uint32_t* tmp) {
  // One counting pass for the three digits, then three scatter passes: tmp -> keys -> tmp -> keys. Separate,
  // branch-free loops: one loop testing the pass number per element ran 3x slower here.
  std::array<std::array<uint32_t, 2048>, 3> h{};
  for (size_t i = 0; i < n; ++i) {
    const uint32_t k = key_of_float(v[i]);
    tmp[i] = k;
    ++h[0][k & 0x7ff];
    ++h[1][(k >> 11) & 0x7ff];
    ++h[2][k >> 22];
  }
  for (auto& hist : h) {
    uint32_t sum = 0;
    for (auto& c : hist) {
      const uint32_t count = c;
      c = sum;
      sum += count;
    }
  }
  for (size_t i = 0; i < n; ++i) keys[h[0][tmp[i] & 0x7ff]++] = tmp[i];
  for (size_t i = 0; i < n; ++i) tmp[h[1][(keys[i] >> 11) & 0x7ff]++] = keys[i];
  for (size_t i = 0; i < n; ++i) keys[h[2][tmp[i] >> 22]++] = tmp[i];
}

SwdResult sliced_wasserstein_with(const float* a, int na, const float* b, int nb, int c, int h, int w,
                                  const SwdOptions& opt, const SwdDraws& draws) {
  check_shapes(na, nb, c, h, w, opt);
  const int p = opt.patch_size, ppi = opt.patches_per_image, P = opt.projections;
  const int K = c * p * p;
  const size_t Na = static_cast<size_t>(na) * ppi, Nb = static_cast<size_t>(nb) * ppi;
  auto bad_draws = [](const std::string& m) { throw std::invalid_argument("sliced_wasserstein_with: " + m); };
  if (draws.corners_a.size() != static_cast<size_t>(opt.levels) || draws.corners_b.size() != draws.corners_a.size() ||
      draws.directions.size() != draws.corners_a.size())
    bad_draws("draws for " + std::to_string(draws.corners_a.size()) + " levels, options say " + std::to_string(opt.levels));

  // The pyramid is built one level at a time (the Gaussian level becomes the band in place), so that at most a
  // level and the next one of each set are alive: about 1.25x the images' size.
  std::vector<float> gauss_a(a, a + static_cast<size_t>(na) * c * h * w);
  std::vector<float> gauss_b(b, b + static_cast<size_t>(nb) * c * h * w);

  SwdResult res;
  std::vector<float> out_a(kChunk * Na), out_b(kChunk * Nb);  // [kChunk][N] projections of one chunk
  struct SortScratch {
    std::vector<uint32_t> ka, kb, tmp;  // sorted keys of one direction for each set, and radix scratch
  };
  tbb::enumerable_thread_specific<SortScratch> scratch;
  for (int l = 0; l < opt.levels; ++l) {
    const int s = h >> l, sw = w >> l;
    const auto& ca = draws.corners_a[l];
    const auto& cb = draws.corners_b[l];
    const auto& dirs = draws.directions[l];
    if (ca.size() != 2 * Na || cb.size() != 2 * Nb || dirs.size() != static_cast<size_t>(P) * K)
      bad_draws("level " + std::to_string(l) + ": draws do not match the image counts and options");
    for (size_t i = 0; i < ca.size() + cb.size(); ++i) {
      const int32_t v = i < ca.size() ? ca[i] : cb[i - ca.size()];
      if (v < 0 || v > ((i % 2) ? sw : s) - p) bad_draws("level " + std::to_string(l) + ": patch corner out of range");
    }
    std::vector<float> next_a, next_b;  // the next Gaussian levels; the current ones become bands
    if (l + 1 < opt.levels) {
      next_a = pyramid_step(gauss_a, na, c, s, sw);
      next_b = pyramid_step(gauss_b, nb, c, s, sw);
    }
    const PreparedSet sa = prepare_set(std::move(gauss_a), na, c, s, sw, p, ppi, ca);
    const PreparedSet sb = prepare_set(std::move(gauss_b), nb, c, s, sw, p, ppi, cb);
    gauss_a = std::move(next_a);
    gauss_b = std::move(next_b);
    std::vector<int64_t> off(K);  // component (ch, dy, dx) of a descriptor, relative to its patch's base

    for (int ch = 0; ch < c; ++ch)
      for (int dy = 0; dy < p; ++dy)
        for (int dx = 0; dx < p; ++dx) off[(ch * p + dy) * p + dx] = static_cast<int64_t>(ch) * s * sw + dy * sw + dx;

    std::vector<double> w1(P, 0.0);
    std::vector<v16> dirs_t(static_cast<size_t>(K) * 2);  // [K][2]: the chunk's directions, transposed
    for (int j0 = 0; j0 < P; j0 += kChunk) {
      const int nj = std::min(kChunk, P - j0);
      std::fill(dirs_t.begin(), dirs_t.end(), v16{});
      for (int j = 0; j < nj; ++j)
        for (int k = 0; k < K; ++k) dirs_t[static_cast<size_t>(k) * 2 + j / 16][j % 16] = dirs[static_cast<size_t>(j0 + j) * K + k];
      project_chunk(sa, dirs_t, off, out_a.data(), Na);
      project_chunk(sb, dirs_t, off, out_b.data(), Nb);
      tbb::parallel_for(0, nj, [&](int j) {
        SortScratch& sc = scratch.local();
        sc.ka.resize(Na);
        sc.kb.resize(Nb);
        sc.tmp.resize(std::max(Na, Nb));
        radix_sort_keys(out_a.data() + static_cast<size_t>(j) * Na, Na, sc.ka.data(), sc.tmp.data());
        radix_sort_keys(out_b.data() + static_cast<size_t>(j) * Nb, Nb, sc.kb.data(), sc.tmp.data());
        w1[j0 + j] = wasserstein1_sorted_keys(sc.ka.data(), Na, sc.kb.data(), Nb);
      });
    }
    double sum = 0;
    for (double v : w1) sum += v;
    res.per_level.push_back(sum / P * 1e3);
    res.level_sizes.push_back(s);
  }
  double total = 0;
  for (double v : res.per_level) total += v;
  res.average = total / static_cast<double>(res.per_level.size());
  return res;
}

}  // namespace swd_detail

int swd_levels(int image_size) {
  int levels = 1;
  for (int s = image_size; s > 16; s /= 2) ++levels;
  return levels;
}

std::vector<int> swd_level_sizes(int image_size) {
  std::vector<int> sizes;
  for (int l = 0; l < swd_levels(image_size); ++l) sizes.push_back(image_size >> l);
  return sizes;
}

SwdResult sliced_wasserstein(const float* a, int na, const float* b, int nb, int c, int h, int w,
                             const SwdOptions& opt) {
  return swd_detail::sliced_wasserstein_with(a, na, b, nb, c, h, w, opt, swd_detail::draw(na, nb, c, h, w, opt));
}

}  // namespace trainer
