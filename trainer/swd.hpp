// Sliced Wasserstein Distance between two image sets, as in Karras et al. 2018 (ProGAN, "Progressive Growing of
// GANs", section 5 and their metrics/sliced_wasserstein.py): Laplacian-pyramid patch statistics.
//
// Per pyramid level (64, 32, 16 for 64x64 images): 128 random 7x7 patches per image are the descriptors
// (C*7*7 numbers each); every channel is normalized to zero mean and unit std over all descriptors of its set;
// the descriptors of both sets are projected on 512 random unit directions, and the distance for the level is the
// mean over directions of the 1-D Wasserstein-1 distance between the two sets' projections (sorted and matched).
// Reported x 1e3 like the paper. Lower is better; a set against itself gives 0 when the same patches are drawn
// and a small sampling floor otherwise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace trainer {

struct SwdOptions {
  int patches_per_image = 128;  // ProGAN nhoods_per_image
  int patch_size = 7;           // ProGAN nhood_size (odd)
  int projections = 512;        // ProGAN dir_repeats (4) x dirs_per_repeat (128)
  int levels = 3;               // pyramid levels: 64, 32, 16 at 64x64 (ProGAN: every resolution >= 16, swd_levels)
  uint64_t seed = 0;            // patch positions and directions; the same seed gives the same draws
};

struct SwdResult {
  std::vector<double> per_level;  // SWD x 1e3, finest level first
  double average = 0;             // mean of per_level
  std::vector<int> level_sizes;   // image height at each level: 64, 32, 16
};

// ProGAN's pyramid for a size-S image: every resolution from S down to 16 (64, 32, 16 at 64 px; 32, 16 at 32 px).
int swd_levels(int image_size);
std::vector<int> swd_level_sizes(int image_size);  // S, S/2, ..., 16

// a: [na, c, h, w], b: [nb, c, h, w] floats (the trainer passes [-1, 1]; the metric is invariant to an affine
// change of the value range, since each channel is normalized per set). h and w must be divisible by
// 2^(levels-1) and the smallest level must hold a patch. na != nb is allowed: the 1-D distance is then the exact
// W1 between the two empirical distributions (integral of |quantile_a - quantile_b|), which equals ProGAN's
// mean |sorted_a - sorted_b| when the sizes are equal. Runs in parallel on TBB. Throws std::invalid_argument.
SwdResult sliced_wasserstein(const float* a, int na, const float* b, int nb, int c, int h, int w,
                             const SwdOptions& opt = {});

// ---- the pieces, exposed for the tests and the NumPy cross-check (tests/golden/make_eval_golden.py) ----------
namespace swd_detail {

// ProGAN's generate_laplacian_pyramid: level 0 is the input minus pyr_up(pyr_down(input)), ..., the last level
// is the low-pass residual. pyr_down convolves with the 5x5 binomial filter [1,4,6,4,1]^2/256 (mirror borders,
// scipy.ndimage mode 'mirror' = OpenCV BORDER_REFLECT_101) and keeps even rows/columns; pyr_up puts the values
// on even positions of a zero image twice the size and convolves with 4x that filter. Level l is
// [n, c, h >> l, w >> l].
std::vector<std::vector<float>> laplacian_pyramid(const float* images, int n, int c, int h, int w, int levels);
// One step of it: returns pyr_down(level) ([n, c, rows / 2, cols / 2]) and turns `level` ([n, c, rows, cols])
// into its band, level - pyr_up(pyr_down(level)), in place.
std::vector<float> pyramid_step(std::vector<float>& level, int n, int c, int rows, int cols);

// The random choices of one SWD evaluation.
struct SwdDraws {
  // Per level: top-left corners of the patches, [n * patches_per_image][2] as (y, x), image i owning rows
  // [i * patches_per_image, (i + 1) * patches_per_image). Each coordinate is uniform in [0, size - patch_size].
  std::vector<std::vector<int32_t>> corners_a, corners_b;
  // Per level: [projections][c * patch * patch] unit vectors; component order (channel, dy, dx), as ProGAN's
  // desc.reshape(N, -1) of [N, C, p, p] patches.
  std::vector<std::vector<float>> directions;
};

// The draws that sliced_wasserstein makes for these sizes and options (a function of opt.seed only).
SwdDraws draw(int na, int nb, int c, int h, int w, const SwdOptions& opt);

// sliced_wasserstein with given draws (shapes checked against the options; throws std::invalid_argument).
SwdResult sliced_wasserstein_with(const float* a, int na, const float* b, int nb, int c, int h, int w,
                                  const SwdOptions& opt, const SwdDraws& draws);

// Exact W1 between the empirical distributions of sorted arrays a[0..m) and b[0..n).
double wasserstein1_sorted(const float* a, std::size_t m, const float* b, std::size_t n);
// The same on sorted radix keys (decoded on the fly).
double wasserstein1_sorted_keys(const uint32_t* a, std::size_t m, const uint32_t* b, std::size_t n);

// Order-preserving 32-bit keys of floats (key order = float order, -0 before +0, NaNs at the ends) and back.
uint32_t key_of_float(float f);
float float_of_key(uint32_t k);

// The keys of v[0..n), sorted ascending, into keys[0..n) (tmp: n scratch). LSD radix sort, 3 passes of
// 11/11/10 bits.
void radix_sort_keys(const float* v, std::size_t n, uint32_t* keys, uint32_t* tmp);

}  // namespace swd_detail
}  // namespace trainer
