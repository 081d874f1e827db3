// Periodic SWD / MS-SSIM on a fixed subset (see periodic_quality.hpp).
#include "trainer/periodic_quality.hpp"

#include "trainer/csv_log.hpp"
#include "trainer/metrics_row.hpp"
#include "trainer/noise.hpp"
#include "trainer/quality.hpp"

#include <algorithm>

namespace trainer {

namespace {
constexpr int kChunk = 128;    // eval-mode generator batch
constexpr int kPairs = 256;    // MS-SSIM pairs per set
}  // namespace

PeriodicQuality::PeriodicQuality(const pipeline::Cache& cache, pipeline::Partition partition, uint64_t seed, int nz,
                           int images)
    : nz_(nz), c_(cache.channels()), s_(cache.size()), seed_(seed) {
  real_ = real_subset(cache, partition, images, seed ^ 0x5eed5eedULL, kChunk, &n_);
  // Its own noise stream: the training RNG is not touched.
  noise_ = normal_noise(seed ^ 0x9e3779b97f4a7c15ULL, static_cast<size_t>(n_) * nz);
}

int PeriodicQuality::chunk() const { return std::min(n_, kChunk); }

void PeriodicQuality::run(nn::Dcgan& model, std::vector<std::string>& row) const {
  const auto fake = generate(model, noise_, n_, chunk());
  const QualityScores q = score(real_.data(), fake.data(), n_, c_, s_, seed_, std::min(n_ * (n_ - 1) / 2, kPairs));
  const MetricsLayout cols = metrics_layout(s_);
  for (size_t l = 0; l < q.swd_per_level.size() && l < cols.swd_sizes.size(); ++l)
    row[cols.swd_first + l] = format_value(q.swd_per_level[l]);
  row[cols.swd_average] = format_value(q.swd_average);
  row[cols.msssim_fake] = format_value(q.msssim_fake);
  row[cols.msssim_real] = format_value(q.msssim_real);
}

}  // namespace trainer
