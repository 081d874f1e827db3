// The columns of metrics.csv and the per-iteration values that fill them: losses, D outputs, norms.
#pragma once
#include "nn/context.hpp"
#include "nn/dcgan.hpp"

#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainer {

// Fixed leading columns; then one grad:<net>:<name> column per parameter (G's, then D's), then weight:...
// The report and resume read them by name; the loop writes them by the indices below.
inline constexpr const char* kMetricsColumns[] = {
    "epoch",       "batch",       "iter",         "loss_d",        "loss_g", "d_x",    "d_g_z1", "d_g_z2",
    "lr_d",        "lr_g",        "grad_norm_d",  "grad_norm_g",   "weight_norm_d", "weight_norm_g",
    "images_per_s", "wall_s",     "swd_64",       "swd_32",        "swd_16", "swd_avg", "msssim_fake", "msssim_real"};
inline constexpr size_t kColPerLayer = std::size(kMetricsColumns);  // the first per-parameter column

// The index of a fixed column, found by name at compile time (a name that is not a column does not compile).
consteval size_t metrics_column(std::string_view name) {
  for (size_t i = 0; i < std::size(kMetricsColumns); ++i)
    if (name == kMetricsColumns[i]) return i;
  throw "not a column of kMetricsColumns";
}
inline constexpr size_t kColImagesPerS = metrics_column("images_per_s"), kColWall = metrics_column("wall_s");
inline constexpr size_t kColSwd = metrics_column("swd_64"), kColSwdAverage = metrics_column("swd_avg");
inline constexpr size_t kColMsssimFake = metrics_column("msssim_fake"), kColMsssimReal = metrics_column("msssim_real");
// periodic_quality.cpp writes the SWD levels into the columns from kColSwd on, finest first.
static_assert(kColSwdAverage - kColSwd == 3, "one swd_<size> column per pyramid level (64, 32, 16), then swd_avg");

std::vector<std::string> metrics_header(const std::vector<std::string>& g_names, const std::vector<std::string>& d_names);

// Squared L2 norms of every parameter's gradient and value (the sum of squares, in double).
struct Norms {
  std::vector<double> g_grad, d_grad, g_weight, d_weight;
  double grad_g() const, grad_d() const, weight_g() const, weight_d() const;  // whole-network L2 norms
  // The losses and every gradient norm, named as in metrics.csv: what the non-finite check looks at.
  std::vector<std::pair<std::string, double>> named(const nn::StepResult& r, const std::vector<std::string>& g_names,
                                                    const std::vector<std::string>& d_names) const;
  // Per-layer and whole-network gradient norms for the exploding-gradient warning.
  std::vector<std::pair<std::string, double>> for_health(const std::vector<std::string>& g_names,
                                                         const std::vector<std::string>& d_names) const;
};
Norms measure_norms(nn::Context& ctx, const std::vector<nn::Param*>& g, const std::vector<nn::Param*>& d);

struct RowPosition {
  int64_t epoch, batch, iter;
};
// Fills the columns known after the step: position, losses, D outputs, learning rates, whole-network norms,
// and (per_layer) the per-parameter norms. Timing and eval columns are filled by the loop.
void fill_row(std::vector<std::string>& row, const RowPosition& pos, const nn::StepResult& r, double lr,
              const Norms& n, bool per_layer);

}  // namespace trainer
