// Periodic SWD / MS-SSIM on a fixed subset (see periodic_eval.hpp).
#include "trainer/periodic_eval.hpp"

#include "trainer/csv_log.hpp"
#include "trainer/eval_msssim.hpp"
#include "trainer/eval_swd.hpp"
#include "trainer/metrics.hpp"

#include <algorithm>
#include <random>

namespace trainer {

namespace {
constexpr int kChunk = 128;    // eval-mode generator batch
constexpr int kPairs = 256;    // MS-SSIM pairs per set
}  // namespace

PeriodicEval::PeriodicEval(const pipeline::Cache& cache, pipeline::Partition partition, uint64_t seed, int nz,
                           int images)
    : nz_(nz), c_(cache.channels()), s_(cache.size()), seed_(seed) {
  auto idx = cache.indices(partition);
  std::mt19937_64 rng(seed ^ 0x5eed5eedULL);
  std::shuffle(idx.begin(), idx.end(), rng);
  n_ = static_cast<int>(std::min<int64_t>(images, static_cast<int64_t>(idx.size())));
  if (n_ > kChunk) n_ -= n_ % kChunk;
  idx.resize(static_cast<size_t>(n_));
  std::sort(idx.begin(), idx.end());
  real_.resize(static_cast<size_t>(n_) * cache.image_elems());
  cache.read(idx, real_.data());
  noise_.resize(static_cast<size_t>(n_) * nz);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (auto& v : noise_) v = nd(rng);
}

void PeriodicEval::run(nn::Dcgan& model, std::vector<std::string>& row) const {
  const size_t per = static_cast<size_t>(c_) * s_ * s_;
  std::vector<float> gen(real_.size());
  const int chunk = std::min(n_, kChunk);
  for (int k = 0; k < n_; k += chunk)
    model.sample(noise_.data() + static_cast<size_t>(k) * nz_, chunk, gen.data() + per * static_cast<size_t>(k));
  SwdOptions so;
  so.seed = seed_;
  const SwdResult swd = sliced_wasserstein(real_.data(), n_, gen.data(), n_, c_, s_, s_, so);
  for (size_t l = 0; l < 3 && l < swd.per_level.size(); ++l) row[kColSwd + l] = format_value(swd.per_level[l]);
  row[kColSwd + 3] = format_value(swd.average);
  const int pairs = std::min(n_ * (n_ - 1) / 2, kPairs);
  row[kColMsssim] = format_value(ms_ssim_diversity(gen.data(), n_, c_, s_, s_, pairs, seed_));
  row[kColMsssim + 1] = format_value(ms_ssim_diversity(real_.data(), n_, c_, s_, s_, pairs, seed_));
}

}  // namespace trainer
