// Shared pieces of the quality metrics (see quality.hpp).
#include "trainer/quality.hpp"

#include "trainer/msssim.hpp"
#include "trainer/swd.hpp"
#include "portable_random.hpp"

#include <algorithm>
#include <span>

namespace trainer {

std::vector<float> real_subset(const pipeline::Cache& cache, pipeline::Partition partition, int n_max, uint64_t seed,
                               int multiple, int* n) {
  auto idx = cache.indices(partition);
  prng::Engine rng(seed);
  prng::shuffle(std::span<int64_t>(idx), rng);
  int k = static_cast<int>(std::min<int64_t>(n_max, static_cast<int64_t>(idx.size())));
  if (multiple > 0 && k > multiple) k -= k % multiple;
  idx.resize(static_cast<size_t>(k));
  std::sort(idx.begin(), idx.end());  // sequential reads: the set is what matters
  std::vector<float> images(static_cast<size_t>(k) * cache.image_elems());
  cache.read(idx, images.data());
  *n = k;
  return images;
}

std::vector<float> generate(nn::Dcgan& model, const std::vector<float>& noise, int n, int chunk) {
  const auto& c = model.config();
  const size_t per = static_cast<size_t>(c.nc) * c.image_size * c.image_size;
  std::vector<float> out(per * static_cast<size_t>(n));
  for (int k = 0; k < n; k += chunk) {
    const int b = std::min(chunk, n - k);
    model.sample(noise.data() + static_cast<size_t>(k) * c.nz, b, out.data() + per * static_cast<size_t>(k));
  }
  return out;
}

QualityScores score(const float* real, const float* fake, int n, int c, int s, uint64_t seed, int pairs) {
  QualityScores q;
  SwdOptions so;
  so.seed = seed;
  so.levels = swd_levels(s);  // full size down to 16 px, as ProGAN
  const SwdResult swd = sliced_wasserstein(real, n, fake, n, c, s, s, so);
  q.swd_per_level = swd.per_level;
  q.swd_level_sizes = swd.level_sizes;
  q.swd_average = swd.average;
  q.msssim_fake = ms_ssim_diversity(fake, n, c, s, s, pairs, seed);
  q.msssim_real = ms_ssim_diversity(real, n, c, s, s, pairs, seed);
  return q;
}

}  // namespace trainer
