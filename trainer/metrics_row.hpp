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

// The columns of a run's metrics.csv: the fixed ones below; then the quality columns, which follow the image size
// S: one swd_<size> per SWD pyramid level (S, S/2, ..., 16: swd_64, swd_32, swd_16 at 64 px), swd_avg,
// msssim_fake, msssim_real; then one grad:<net>:<name> column per parameter (G's, then D's), then weight:...
// The report and resume read them by name; the loop writes them by the indices below.
inline constexpr const char* kMetricsColumns[] = {
    "epoch",       "batch",       "iter",         "loss_d",        "loss_g", "d_x",    "d_g_z1", "d_g_z2",
    "lr_d",        "lr_g",        "grad_norm_d",  "grad_norm_g",   "weight_norm_d", "weight_norm_g",
    "images_per_s", "wall_s"};

// The index of a fixed column, found by name at compile time (a name that is not a column does not compile).
consteval size_t metrics_column(std::string_view name) {
  for (size_t i = 0; i < std::size(kMetricsColumns); ++i)
    if (name == kMetricsColumns[i]) return i;
  throw "not a column of kMetricsColumns";
}
inline constexpr size_t kColImagesPerS = metrics_column("images_per_s"), kColWall = metrics_column("wall_s");

// Where the columns after the fixed ones are, for one image size.
struct MetricsLayout {
  std::vector<int> swd_sizes;  // the image side at each SWD level, finest first
  size_t swd_first = 0;        // swd_<swd_sizes[l]> is column swd_first + l
  size_t swd_average = 0, msssim_fake = 0, msssim_real = 0;
  size_t per_layer = 0;        // the first grad: column
};
MetricsLayout metrics_layout(int image_size);

// The header: the fixed columns, the quality columns of `image_size`, the per-parameter columns.
std::vector<std::string> metrics_header(int image_size, const std::vector<std::string>& g_names,
                                        const std::vector<std::string>& d_names);

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
// and (per_layer) the per-parameter norms from layout.per_layer on. Timing and eval columns are filled by the loop.
void fill_row(std::vector<std::string>& row, const RowPosition& pos, const nn::StepResult& r, double lr,
              const Norms& n, bool per_layer, const MetricsLayout& layout);

}  // namespace trainer
