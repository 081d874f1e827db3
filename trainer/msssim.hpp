// MS-SSIM (Wang, Simoncelli, Bovik 2003, "Multi-scale structural similarity for image quality assessment") and
// the MS-SSIM diversity of an image set (Odena et al. 2017, "Conditional Image Synthesis with Auxiliary Classifier
// GANs", section 4.2: mean MS-SSIM of random pairs; lower means more diverse).
//
// Details follow the NumPy implementation Odena et al. used (tensorflow/models research/compression msssim.py):
// - 5 scales with the paper's weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333); between scales, 2x2 averaging and
//   keeping every other row and column (scipy 'reflect' borders for odd sizes);
// - at each scale, a Gaussian window of size min(11, H, W) and sigma = 1.5 * size / 11, applied as 'valid'
//   filtering (no padding). For 64x64 images the scales are 64, 32, 16, 8 and 4 pixels, with windows 11, 11, 11,
//   8 and 4 (sigma 1.5, 1.5, 1.5, 1.09, 0.55): the last scale compares a single weighted 4x4 window per channel;
// - smaller images get fewer scales, so that the last one still has 4 pixels: 5 scales from 64 px up, 4 at 32 px
//   (32, 16, 8, 4: windows 11, 11, 8, 4), 3 at 16 px; the weights are then the paper's first ones, renormalized to
//   sum to 1 (0.0448, 0.2856, 0.3001, 0.2363 / 0.8668 at 32 px), so that identical images still score 1 and the
//   value stays comparable in scale (not in level: a 32-px score is not a 64-px score);
// - K1 = 0.01, K2 = 0.03, dynamic range L = 2 (images in [-1, 1]);
// - the SSIM map is averaged over all channels and positions;
// - as TF2's tf.image.ssim_multiscale, negative contrast-structure terms are clipped at 0 before the fractional
//   powers (they would give NaN): two unrelated images can score exactly 0.
#pragma once
#include <cstdint>

namespace trainer {

// MS-SSIM of two [c, h, w] float images in [-1, 1]; 1 when identical. Throws std::invalid_argument on a bad shape.
double ms_ssim(const float* x, const float* y, int c, int h, int w);
// The scales ms_ssim uses for this size: min(5, the halvings that keep the last scale at >= 4 px).
int ms_ssim_scales(int h, int w);

// Mean MS-SSIM over n_pairs random pairs (i, j), i != j, of images [n, c, h, w], drawn without repetition from the
// seed (all n (n - 1) / 2 pairs when n_pairs is at least that many). Runs in parallel on TBB.
double ms_ssim_diversity(const float* images, int n, int c, int h, int w, int n_pairs, uint64_t seed);

}  // namespace trainer
