// Tests of the health signals: each warning kind fires once per episode, re-arms, and stays quiet when healthy.
#include "trainer/health.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace {

using trainer::HealthMonitor;
using trainer::HealthOptions;
using trainer::HealthWarning;
using Named = std::vector<std::pair<std::string, double>>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A healthy-looking DCGAN run: Loss_D around 0.5-1.5, Loss_G around 1-5, with noise.
struct HealthyRun {
  std::mt19937 gen{42};
  std::uniform_real_distribution<double> u{0.0, 1.0};
  double loss_d() { return 0.4 + 1.1 * u(gen); }
  double loss_g() { return 1.0 + 4.0 * u(gen); }
  double norm(double scale) { return scale * (0.5 + u(gen)); }  // varies by 3x, never 100x
};

TEST(Health, HealthyRunRaisesNothing) {
  HealthMonitor m;
  HealthyRun run;
  for (int64_t it = 0; it < 3000; ++it) {
    EXPECT_TRUE(m.observe_losses(it, run.loss_d(), run.loss_g()).empty()) << it;
    EXPECT_TRUE(m.observe_norms(it, {{"grad:D:main.0.weight", run.norm(0.1)}, {"grad:G:main.0.weight", run.norm(3)},
                                     {"grad_norm_d", run.norm(1)}})
                    .empty())
        << it;
    if (it % 100 == 0) {
      EXPECT_TRUE(m.observe_diversity(it, 40 + 10 * run.u(run.gen), 50).empty()) << it;
    }
  }
}

TEST(Health, DiscriminatorWinsAfterKConsecutiveIterationsOncePerEpisode) {
  HealthOptions o;
  o.d_wins_iters = 10;
  HealthMonitor m(o);
  int64_t it = 0;
  // 9 low iterations, then a normal one: the run is broken, nothing fires.
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(m.observe_losses(it++, 0.01, 6.0).empty());
  EXPECT_TRUE(m.observe_losses(it++, 0.7, 2.0).empty());
  // 10 consecutive low iterations: fires exactly at the 10th, then stays quiet while the episode lasts.
  std::vector<HealthWarning> all;
  int64_t fired_at = -1;
  for (int i = 0; i < 50; ++i) {
    auto w = m.observe_losses(it, 0.02, 7.0);
    if (!w.empty() && fired_at < 0) fired_at = it;
    all.insert(all.end(), w.begin(), w.end());
    ++it;
  }
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, "d_wins");
  EXPECT_EQ(fired_at, 10 + 9);  // iterations 10..19 are the first 10 low ones
  EXPECT_EQ(all[0].iter, fired_at);
  EXPECT_NE(all[0].message.find("0.05"), std::string::npos) << all[0].message;
  // Exactly at the threshold is not "below": it clears the episode (re-arms).
  EXPECT_TRUE(m.observe_losses(it++, 0.05, 2.0).empty());
  all.clear();
  for (int i = 0; i < 30; ++i) {
    auto w = m.observe_losses(it++, 0.001, 9.0);
    all.insert(all.end(), w.begin(), w.end());
  }
  ASSERT_EQ(all.size(), 1u) << "a relapse warns again";
}

TEST(Health, ModeCollapseAfterWarmupOncePerEpisode) {
  HealthOptions o;
  o.collapse_warmup_iters = 200;
  o.collapse_fraction = 0.3;
  HealthMonitor m(o);
  EXPECT_TRUE(m.observe_diversity(0, 1.0, 50.0).empty()) << "untrained G: inside the warm-up";
  EXPECT_TRUE(m.observe_diversity(199, 1.0, 50.0).empty());
  auto w = m.observe_diversity(200, 10.0, 50.0);  // ratio 0.2
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].kind, "mode_collapse");
  EXPECT_EQ(w[0].iter, 200);
  EXPECT_NE(w[0].message.find("0.2"), std::string::npos) << w[0].message;
  EXPECT_TRUE(m.observe_diversity(300, 5.0, 50.0).empty()) << "same episode";
  EXPECT_TRUE(m.observe_diversity(400, 20.0, 50.0).empty()) << "ratio 0.4: healthy again, re-armed";
  EXPECT_EQ(m.observe_diversity(500, 2.0, 50.0).size(), 1u) << "relapse";
  EXPECT_TRUE(m.observe_diversity(600, kNaN, 50.0).empty()) << "unmeasurable inputs are ignored";
  EXPECT_TRUE(m.observe_diversity(700, 2.0, 0.0).empty());
}

TEST(Health, ExplodingGradientAgainstRunningMedianPerNorm) {
  HealthOptions o;
  o.median_window = 20;
  o.median_min_samples = 5;
  o.explode_quiet_iters = 0;  // every episode on its own (the burst grouping is tested below)
  HealthMonitor m(o);
  int64_t it = 0;
  // Too few samples: even a huge first jump does not fire.
  EXPECT_TRUE(m.observe_norms(it++, {{"grad:D:main.0.weight", 1.0}}).empty());
  EXPECT_TRUE(m.observe_norms(it++, {{"grad:D:main.0.weight", 1000.0}}).empty());
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(m.observe_norms(it++, {{"grad:D:main.0.weight", 1.0 + 0.1 * (i % 3)}, {"grad:G:main.0.weight", 5.0}}).empty());
  // 99x the median: not yet; 150x: fires, once, naming the layer and the factor.
  EXPECT_TRUE(m.observe_norms(it++, {{"grad:D:main.0.weight", 99.0}, {"grad:G:main.0.weight", 5.0}}).empty());
  auto w = m.observe_norms(it, {{"grad:D:main.0.weight", 150.0}, {"grad:G:main.0.weight", 5.0}});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].kind, "exploding_gradients");
  EXPECT_EQ(w[0].iter, it);
  EXPECT_NE(w[0].message.find("grad:D:main.0.weight"), std::string::npos) << w[0].message;
  EXPECT_EQ(w[0].message.find("grad:G"), std::string::npos) << "the healthy layer is not blamed";
  ++it;
  EXPECT_TRUE(m.observe_norms(it++, {{"grad:D:main.0.weight", 200.0}}).empty()) << "same episode";
  EXPECT_TRUE(m.observe_norms(it++, {{"grad:D:main.0.weight", 1.0}}).empty()) << "back to normal: re-armed";
  EXPECT_EQ(m.observe_norms(it++, {{"grad:D:main.0.weight", 300.0}}).size(), 1u) << "relapse";
  // Two layers exploding together: one warning naming both.
  for (int i = 0; i < 10; ++i) m.observe_norms(it++, {{"a", 1.0}, {"b", 2.0}, {"c", 3.0}});
  w = m.observe_norms(it++, {{"a", 500.0}, {"b", 900.0}, {"c", 3.0}});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("also b"), std::string::npos) << w[0].message;
  // A norm whose median is 0 (a layer without gradient) never divides by zero or fires.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(m.observe_norms(it++, {{"zero", 0.0}}).empty());
  EXPECT_TRUE(m.observe_norms(it++, {{"zero", 1.0}}).empty());
}

TEST(Health, NonFiniteLossesAndNormsOncePerEpisode) {
  HealthMonitor m;
  auto w = m.observe_losses(7, kNaN, 1.0);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].kind, "non_finite");
  EXPECT_NE(w[0].message.find("loss_d is NaN at iteration 7"), std::string::npos) << w[0].message;
  EXPECT_TRUE(m.observe_losses(8, kNaN, 1.0).empty()) << "same episode";
  EXPECT_TRUE(m.observe_losses(9, 0.5, 1.0).empty());
  EXPECT_EQ(m.observe_losses(10, 0.5, kInf).size(), 1u);
  EXPECT_EQ(m.observe_losses(11, kNaN, 1.0).size(), 1u) << "loss_d re-armed after a finite value";
  w = m.observe_norms(12, {{"grad:G:main.3.weight", 1.0}, {"grad:D:main.0.weight", -kInf}});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("grad:D:main.0.weight is -inf"), std::string::npos) << w[0].message;
}

TEST(Health, FirstNonFiniteNamesTheFirst) {
  EXPECT_FALSE(trainer::first_non_finite({{"loss_d", 0.3}, {"loss_g", 2.0}}).has_value());
  EXPECT_EQ(trainer::first_non_finite({{"loss_d", 0.3}, {"grad:D:main.0.weight", kNaN}, {"loss_g", kInf}}),
            std::optional<std::string>("grad:D:main.0.weight"));
  EXPECT_FALSE(trainer::first_non_finite({}).has_value());
}

TEST(Health, MeanPairwiseDistanceMatchesDirectSum) {
  std::mt19937 gen(3);
  std::normal_distribution<float> g(0.0f, 1.0f);
  const int n = 9, dim = 1000;  // dim not a multiple of 16: the tail is summed too
  std::vector<float> x(static_cast<size_t>(n) * dim);
  for (auto& v : x) v = g(gen);
  double expect = 0;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      double d2 = 0;
      for (int k = 0; k < dim; ++k) d2 += (double(x[i * dim + k]) - x[j * dim + k]) * (double(x[i * dim + k]) - x[j * dim + k]);
      expect += std::sqrt(d2);
    }
  expect /= n * (n - 1) / 2.0;
  EXPECT_NEAR(trainer::mean_pairwise_distance(x.data(), n, dim), expect, 1e-5 * expect);
  // Identical images: exactly 0; near-identical ones keep their small distance (no cancellation).
  std::vector<float> same(3 * 64, 0.25f);
  EXPECT_EQ(trainer::mean_pairwise_distance(same.data(), 3, 64), 0.0);
  same[64] += 1e-3f;  // image 1 differs in one value
  EXPECT_NEAR(trainer::mean_pairwise_distance(same.data(), 3, 64), 2.0 / 3.0 * 1e-3, 1e-8);
  EXPECT_THROW(trainer::mean_pairwise_distance(x.data(), 1, dim), std::invalid_argument);
}

TEST(Health, RejectsBadOptions) {
  HealthOptions o;
  o.median_min_samples = 100;
  o.median_window = 10;
  EXPECT_THROW(HealthMonitor{o}, std::invalid_argument);
}

}  // namespace

// Explosions soon after a warning are one burst: no new line until the quiet period ends, then one line that
// counts what it held back.
TEST(Health, ExplosionsWithinTheQuietPeriodAreOneBurst) {
  HealthOptions o;
  o.median_window = 20;
  o.median_min_samples = 5;
  o.explode_quiet_iters = 10;
  HealthMonitor m(o);
  int64_t it = 0;
  for (int i = 0; i < 10; ++i) m.observe_norms(it++, {{"g", 1.0}, {"d", 1.0}});
  ASSERT_EQ(m.observe_norms(it++, {{"g", 500.0}, {"d", 1.0}}).size(), 1u);     // iteration 10: warns
  EXPECT_TRUE(m.observe_norms(it++, {{"g", 1.0}, {"d", 600.0}}).empty());      // 11: held (d)
  EXPECT_TRUE(m.observe_norms(it++, {{"g", 700.0}, {"d", 1.0}}).empty());      // 12: held (g relapses)
  for (; it < 21; ++it) EXPECT_TRUE(m.observe_norms(it, {{"g", 1.0}, {"d", 1.0}}).empty());
  const auto w = m.observe_norms(it++, {{"g", 1.0}, {"d", 800.0}});             // 21: the quiet period is over
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("after 2 more explosions"), std::string::npos) << w[0].message;
}
