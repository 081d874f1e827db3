// nn::Adam over several steps and nn::sigmoid_bce (including saturated logits) against PyTorch 1.13, from the
// golden fixture's adam_steps/ and bce/ groups (tests/golden/make_dcgan_golden.py).
#include "golden_fixture.hpp"
#include "nn/adam.hpp"
#include "nn/bce.hpp"
#include "nn/param.hpp"
#include "nn_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace {

TEST(Adam, FiveStepsMatchTorchOptimAdam) {
  golden::Fixture fx(golden::fixture_path());
  const auto p0 = fx.get("adam_steps/param0");
  std::vector<hsize_t> dims;
  const auto grads = h5::read<float>(fx.file, "adam_steps/grad", &dims);
  const auto params = fx.get("adam_steps/param"), m = fx.get("adam_steps/exp_avg"), v = fx.get("adam_steps/exp_avg_sq");
  const auto steps = static_cast<size_t>(dims.at(0)), n = static_cast<size_t>(dims.at(1));

  nn::Context ctx = nt::cpu();
  nn::Param p = nn::make_param(ctx, "p", {static_cast<int64_t>(n)}, nn::plain_desc({static_cast<int64_t>(n)}));
  nt::write_raw(ctx, p.value, p0);
  nn::Adam adam(ctx, {&p}, fx.adam);
  std::vector<float> before = p0;
  for (size_t k = 0; k < steps; ++k) {
    auto row = [&](const std::vector<float>& all) {
      return std::vector<float>(all.begin() + static_cast<long>(k * n), all.begin() + static_cast<long>((k + 1) * n));
    };
    nt::write_raw(ctx, p.grad, row(grads));
    adam.step();
    EXPECT_EQ(adam.step_count(), static_cast<int64_t>(k + 1));
    const auto after = nt::read_raw(ctx, p.value);
    const std::string at = "step " + std::to_string(k + 1);
    EXPECT_LT(nt::rel_err(after, row(params)), 1e-6) << at << " param";
    // the update itself (bias corrections of every step) to 1e-4 of its size
    std::vector<float> ours_update(n), torch_update(n);
    for (size_t i = 0; i < n; ++i) ours_update[i] = after[i] - before[i], torch_update[i] = row(params)[i] - before[i];
    EXPECT_LT(nt::rel_err(ours_update, torch_update), 1e-4) << at << " update";
    EXPECT_LT(nt::rel_err(nt::read_raw(ctx, adam.slots()[0].exp_avg), row(m)), 1e-6) << at << " exp_avg";
    EXPECT_LT(nt::rel_err(nt::read_raw(ctx, adam.slots()[0].exp_avg_sq), row(v)), 1e-6) << at << " exp_avg_sq";
    before = row(params);  // continue from PyTorch's state: errors do not compound
    nt::write_raw(ctx, p.value, before);
  }
}

TEST(Bce, SigmoidBceMatchesTorchIncludingSaturation) {
  golden::Fixture fx(golden::fixture_path());
  const auto logits = fx.get("bce/logits");
  for (int target : {0, 1}) {
    const std::string t = std::to_string(target);
    std::vector<float> diff(logits.size());
    const nn::BceResult r =
        nn::sigmoid_bce(diff.data(), logits.data(), static_cast<int64_t>(logits.size()), static_cast<float>(target));
    EXPECT_NEAR(r.loss, fx.get("bce/loss_" + t)[0], 1e-6 * std::fabs(fx.get("bce/loss_" + t)[0])) << "target " << t;
    EXPECT_NEAR(r.mean_prob, fx.get("bce/mean_prob_" + t)[0], 1e-6) << "target " << t;
    const auto ref = fx.get("bce/grad_" + t);
    for (size_t i = 0; i < logits.size(); ++i) {
      if (ref[i] == 0.f) {
        EXPECT_EQ(diff[i], 0.f) << "logit " << logits[i] << " target " << t << ": PyTorch's gradient vanishes here";
      } else {
        EXPECT_NEAR(diff[i], ref[i], 1e-5 * std::fabs(ref[i])) << "logit " << logits[i] << " target " << t;
      }
    }
  }
}

}  // namespace
