// metrics.csv columns and the norms behind them (see metrics_row.hpp).
#include "trainer/metrics_row.hpp"

#include "trainer/csv_log.hpp"
#include "trainer/model_state.hpp"
#include "trainer/swd.hpp"

#include <cmath>

namespace trainer {

namespace {
double l2(const std::vector<double>& squares) {
  double s = 0;
  for (double v : squares) s += v;
  return std::sqrt(s);
}
}  // namespace

MetricsLayout metrics_layout(int image_size) {
  MetricsLayout m;
  m.swd_sizes = swd_level_sizes(image_size);
  m.swd_first = std::size(kMetricsColumns);
  m.swd_average = m.swd_first + m.swd_sizes.size();
  m.msssim_fake = m.swd_average + 1;
  m.msssim_real = m.swd_average + 2;
  m.per_layer = m.swd_average + 3;
  return m;
}

std::vector<std::string> metrics_header(int image_size, const std::vector<std::string>& g_names,
                                        const std::vector<std::string>& d_names) {
  std::vector<std::string> h(std::begin(kMetricsColumns), std::end(kMetricsColumns));
  for (int size : swd_level_sizes(image_size)) h.push_back("swd_" + std::to_string(size));
  for (const char* q : {"swd_avg", "msssim_fake", "msssim_real"}) h.push_back(q);
  for (const char* kind : {"grad", "weight"}) {
    for (const auto& n : g_names) h.push_back(std::string(kind) + ":G:" + n);
    for (const auto& n : d_names) h.push_back(std::string(kind) + ":D:" + n);
  }
  return h;
}

double Norms::grad_g() const { return l2(g_grad); }
double Norms::grad_d() const { return l2(d_grad); }
double Norms::weight_g() const { return l2(g_weight); }
double Norms::weight_d() const { return l2(d_weight); }

std::vector<std::pair<std::string, double>> Norms::named(const nn::StepResult& r,
                                                         const std::vector<std::string>& g_names,
                                                         const std::vector<std::string>& d_names) const {
  std::vector<std::pair<std::string, double>> v = {{"loss_d", r.loss_d}, {"loss_g", r.loss_g}};
  for (size_t i = 0; i < g_grad.size(); ++i) v.push_back({"grad:G:" + g_names[i], std::sqrt(g_grad[i])});
  for (size_t i = 0; i < d_grad.size(); ++i) v.push_back({"grad:D:" + d_names[i], std::sqrt(d_grad[i])});
  return v;
}

std::vector<std::pair<std::string, double>> Norms::for_health(const std::vector<std::string>& g_names,
                                                              const std::vector<std::string>& d_names) const {
  std::vector<std::pair<std::string, double>> v;
  for (size_t i = 0; i < g_grad.size(); ++i) v.push_back({"grad:G:" + g_names[i], std::sqrt(g_grad[i])});
  for (size_t i = 0; i < d_grad.size(); ++i) v.push_back({"grad:D:" + d_names[i], std::sqrt(d_grad[i])});
  v.push_back({"grad_norm_g", grad_g()});
  v.push_back({"grad_norm_d", grad_d()});
  return v;
}

Norms measure_norms(nn::Context& ctx, const std::vector<nn::Param*>& g, const std::vector<nn::Param*>& d) {
  return {squared_norms(ctx, g, Which::grad), squared_norms(ctx, d, Which::grad), squared_norms(ctx, g, Which::value),
          squared_norms(ctx, d, Which::value)};
}

void fill_row(std::vector<std::string>& row, const RowPosition& pos, const nn::StepResult& r, double lr,
              const Norms& n, bool per_layer, const MetricsLayout& layout) {
  row[metrics_column("epoch")] = std::to_string(pos.epoch);
  row[metrics_column("batch")] = std::to_string(pos.batch);
  row[metrics_column("iter")] = std::to_string(pos.iter);
  row[metrics_column("loss_d")] = format_value(r.loss_d);
  row[metrics_column("loss_g")] = format_value(r.loss_g);
  row[metrics_column("d_x")] = format_value(r.d_x);
  row[metrics_column("d_g_z1")] = format_value(r.d_g_z1);
  row[metrics_column("d_g_z2")] = format_value(r.d_g_z2);
  row[metrics_column("lr_d")] = format_value(lr);
  row[metrics_column("lr_g")] = format_value(lr);
  row[metrics_column("grad_norm_d")] = format_value(n.grad_d());
  row[metrics_column("grad_norm_g")] = format_value(n.grad_g());
  row[metrics_column("weight_norm_d")] = format_value(n.weight_d());
  row[metrics_column("weight_norm_g")] = format_value(n.weight_g());
  if (!per_layer) return;
  size_t col = layout.per_layer;
  for (const auto* v : {&n.g_grad, &n.d_grad, &n.g_weight, &n.d_weight})
    for (double x : *v) row[col++] = format_value(std::sqrt(x));
}

}  // namespace trainer
