// BatchNorm2d as PyTorch trains and evaluates it, on oneDNN's batch_normalization primitives; forward and backward.
#include "nn/batchnorm.hpp"

#include "nn/primitive.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn {

namespace {

dnnl::memory::desc arg_desc(const dnnl::primitive_desc_base& pd, int arg) {
  return pd.query_md(dnnl::query::exec_arg_md, arg);
}

void expect_desc(const dnnl::memory& m, const dnnl::memory::desc& want, const std::string& what) {
  if (m.get_desc() != want)
    throw std::logic_error("nn::BatchNorm: " + what + " is not the f32 [C] tensor oneDNN expects");
}

}  // namespace

void add_batchnorm_tensors(Context& ctx, NetworkTensors& t, const std::string& prefix, int64_t channels) {
  t.params.push_back(make_param(ctx, prefix + ".weight", {channels}, plain_desc({channels})));
  t.params.push_back(make_param(ctx, prefix + ".bias", {channels}, plain_desc({channels})));
  t.buffers.push_back(make_buffer(ctx, prefix + ".running_mean", channels, 0.f));
  t.buffers.push_back(make_buffer(ctx, prefix + ".running_var", channels, 1.f));
  t.counts.push_back({prefix + ".num_batches_tracked", 0});
}

BatchNormTensors batchnorm_tensors(NetworkTensors& t, const std::string& prefix) {
  return {t.param(prefix + ".weight"), t.param(prefix + ".bias"), t.buffer(prefix + ".running_mean"),
          t.buffer(prefix + ".running_var"), t.count(prefix + ".num_batches_tracked")};
}

BatchNorm::BatchNorm(Context& ctx, const BatchNormTensors& t, const dnnl::memory& src, const dnnl::memory& diff_src,
                     const Options& opt)
    : ctx_(ctx), t_(t), opt_(opt), src_(src) {
  using namespace dnnl;
  const memory::desc src_md = src.get_desc();  // [N,C,H,W]: the convolution's layout and data type
  const memory::dims d = src_md.dims();
  reduced_ = d[0] * d[2] * d[3];

  auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
  if (opt.fuse_relu) flags |= normalization_flags::fuse_norm_relu;
  if (opt.training && distributed(ctx.comm) && ctx.sync_batchnorm) sync_ = ctx.comm;
  // Eval uses the running statistics; synchronized training the whole batch's, computed before the normalization.
  if (!opt.training || sync_) flags |= normalization_flags::use_global_stats;

  // ---- forward ----
  auto fwd_pd = batch_normalization_forward::primitive_desc(
      batch_normalization_forward::desc(opt.training ? prop_kind::forward_training : prop_kind::forward_inference,
                                        src_md, opt.eps, flags),
      ctx.engine);
  dst_ = make_memory(ctx, fwd_pd.dst_desc());  // [N,C,H,W]
  expect_desc(t.weight.value, arg_desc(fwd_pd, DNNL_ARG_SCALE), t.weight.name);
  expect_desc(t.bias.value, arg_desc(fwd_pd, DNNL_ARG_SHIFT), t.bias.name);
  fwd_args_ = {
      {DNNL_ARG_SRC, src_}, {DNNL_ARG_DST, dst_}, {DNNL_ARG_SCALE, t.weight.value}, {DNNL_ARG_SHIFT, t.bias.value}};
  if (opt.training) {
    mean_ = make_memory(ctx, fwd_pd.mean_desc());          // [C] f32, output (sync: input, the whole batch's)
    variance_ = make_memory(ctx, fwd_pd.variance_desc());  // [C] f32, output (biased; sync: input)
    fwd_args_[DNNL_ARG_MEAN] = mean_;
    fwd_args_[DNNL_ARG_VARIANCE] = variance_;
    if (opt.fuse_relu) {
      workspace_ = make_memory(ctx, fwd_pd.workspace_desc());  // ReLU mask for backward
      fwd_args_[DNNL_ARG_WORKSPACE] = workspace_;
    }
  } else {
    expect_desc(t.running_mean.value, fwd_pd.mean_desc(), t.running_mean.name);
    expect_desc(t.running_var.value, fwd_pd.variance_desc(), t.running_var.name);
    fwd_args_[DNNL_ARG_MEAN] = t.running_mean.value;  // inputs under use_global_stats
    fwd_args_[DNNL_ARG_VARIANCE] = t.running_var.value;
  }
  fwd_ = make_primitive<batch_normalization_forward>(fwd_pd);
  if (!opt.training) return;

  // ---- backward: diff_src and diff_dst share one buffer (oneDNN batch normalization supports in-place) ----
  // One prop_kind::backward primitive serves both uses: oneDNN 2.6 has no backward_data with a scale, and the
  // per-channel sums that make d gamma and d beta are the ones d src needs anyway. The gradients take the
  // layout of the data (oneDNN's bnorm wants them alike); when the producer's diff_dst is laid out otherwise
  // (a convolution's backward may pick plain NCHW for few channels), d src is reordered into it.
  const memory::desc diff_md = src_md;
  auto bwd_pd = batch_normalization_backward::primitive_desc(
      batch_normalization_backward::desc(prop_kind::backward, diff_md, src_md, opt.eps, flags), ctx.engine, fwd_pd);
  diff_src_ = relayout_to(ctx, bwd_pd.diff_src_desc(), diff_src);
  diff_dst_ =
      bwd_pd.diff_dst_desc() == diff_src_.mem.get_desc() ? diff_src_.mem : make_memory(ctx, bwd_pd.diff_dst_desc());
  diff_scale_ = GradientOut(ctx, arg_desc(bwd_pd, DNNL_ARG_DIFF_SCALE), t.weight.grad);  // [C] f32
  diff_shift_ = GradientOut(ctx, arg_desc(bwd_pd, DNNL_ARG_DIFF_SHIFT), t.bias.grad);    // [C] f32
  // oneDNN 2.6 checks that SHIFT is passed to a use_shift backward although d src does not depend on it.
  bwd_args_ = {{DNNL_ARG_SRC, src_},
               {DNNL_ARG_MEAN, mean_},
               {DNNL_ARG_VARIANCE, variance_},
               {DNNL_ARG_SCALE, t.weight.value},
               {DNNL_ARG_SHIFT, t.bias.value},
               {DNNL_ARG_DIFF_DST, diff_dst_},
               {DNNL_ARG_DIFF_SRC, diff_src_.mem},
               {DNNL_ARG_DIFF_SCALE, diff_scale_.computed()},
               {DNNL_ARG_DIFF_SHIFT, diff_shift_.computed()}};
  if (opt.fuse_relu) bwd_args_[DNNL_ARG_WORKSPACE] = workspace_;
  bwd_ = make_primitive<batch_normalization_backward>(bwd_pd);
  if (sync_) build_sync(src_md, flags);
}

void BatchNorm::build_sync(const dnnl::memory::desc& src_md, dnnl::normalization_flags flags) {
  using namespace dnnl;
  const int64_t C = src_md.dims()[1];
  global_reduced_ = reduced_ * sync_->size();
  // The statistics pass: plain training-mode batch normalization, for its mean and variance outputs (its dst is
  // overwritten by the normalization that follows; no ReLU, so no workspace).
  const auto stats_flags = flags & ~(normalization_flags::use_global_stats | normalization_flags::fuse_norm_relu);
  auto stats_pd = batch_normalization_forward::primitive_desc(
      batch_normalization_forward::desc(prop_kind::forward_training, src_md, opt_.eps, stats_flags), ctx_.engine);
  local_mean_ = make_memory(ctx_, stats_pd.mean_desc());          // [C] f32
  local_variance_ = make_memory(ctx_, stats_pd.variance_desc());  // [C] f32
  stats_args_ = {{DNNL_ARG_SRC, src_},          {DNNL_ARG_DST, dst_},
                 {DNNL_ARG_SCALE, t_.weight.value}, {DNNL_ARG_SHIFT, t_.bias.value},
                 {DNNL_ARG_MEAN, local_mean_},  {DNNL_ARG_VARIANCE, local_variance_}};
  stats_ = make_primitive<batch_normalization_forward>(stats_pd);

  // The correction d src += b * x + a, per channel, in two jit primitives (a binary primitive with a per-channel
  // operand and post-ops runs oneDNN 2.6's reference kernel on blocked layouts: 45% of a step at 64 px): a batch
  // normalization in inference mode with mean 0, variance 1 and epsilon 0 computes b * x + a into a scratch tensor
  // (scale b, shift a), and a sum primitive adds it to d src in place.
  const memory::desc coef_md = plain_desc({C});
  coef_b_ = make_memory(ctx_, coef_md);  // [C] f32: scale
  coef_a_ = make_memory(ctx_, coef_md);  // [C] f32: shift
  unit_mean_ = make_memory(ctx_, coef_md);
  unit_variance_ = make_memory(ctx_, coef_md);
  fill(ctx_, unit_mean_, 0.f);
  fill(ctx_, unit_variance_, 1.f);
  auto affine_pd = batch_normalization_forward::primitive_desc(
      batch_normalization_forward::desc(prop_kind::forward_inference, src_md, 0.f,
                                        normalization_flags::use_global_stats | normalization_flags::use_scale |
                                            normalization_flags::use_shift),
      ctx_.engine);
  correction_terms_ = make_memory(ctx_, affine_pd.dst_desc());  // [N,C,H,W] src's layout
  affine_args_ = {{DNNL_ARG_SRC, src_},         {DNNL_ARG_DST, correction_terms_}, {DNNL_ARG_MEAN, unit_mean_},
                  {DNNL_ARG_VARIANCE, unit_variance_}, {DNNL_ARG_SCALE, coef_b_},    {DNNL_ARG_SHIFT, coef_a_}};
  affine_ = make_primitive<batch_normalization_forward>(affine_pd);
  const memory::desc& diff_md = diff_src_.mem.get_desc();
  auto add_pd = sum::primitive_desc(diff_md, {1.f, 1.f}, {diff_md, correction_terms_.get_desc()}, ctx_.engine);
  add_args_ = {{DNNL_ARG_MULTIPLE_SRC, diff_src_.mem},
               {DNNL_ARG_MULTIPLE_SRC + 1, correction_terms_},
               {DNNL_ARG_DST, diff_src_.mem}};
  add_ = make_primitive<sum>(add_pd);
  gathered_.resize(static_cast<size_t>(sync_->size()) * 2 * C);
  sums_.resize(static_cast<size_t>(2 * C));
}

void BatchNorm::combine_statistics() {
  // torch.nn.SyncBatchNorm gathers each rank's mean, invstd and count (batch_norm_gather_stats_with_counts); the
  // counts are equal here, so the whole batch's mean is the ranks' mean and its biased variance the mean of
  // var_r + (mean_r - mean)^2. Combined in rank order, in double: every rank computes the same bits.
  const size_t C = sums_.size() / 2;
  std::vector<double> mine(2 * C);
  {
    HostView<const float> m(ctx_, local_mean_), v(ctx_, local_variance_);
    for (size_t c = 0; c < C; ++c) {
      mine[c] = m[c];
      mine[C + c] = v[c];
    }
  }
  sync_->allgather(mine.data(), mine.size() * sizeof(double), gathered_.data());
  const int R = sync_->size();
  HostView<float> mean(ctx_, mean_), var(ctx_, variance_);
  for (size_t c = 0; c < C; ++c) {
    double m = 0;
    for (int r = 0; r < R; ++r) m += gathered_[r * 2 * C + c];
    m /= R;
    double v = 0;
    for (int r = 0; r < R; ++r) {
      const double d = gathered_[r * 2 * C + c] - m;
      v += gathered_[r * 2 * C + C + c] + d * d;
    }
    mean[c] = static_cast<float>(m);
    var[c] = static_cast<float>(v / R);
  }
}

void BatchNorm::add_statistics_terms() {
  const size_t C = sums_.size() / 2;
  {
    HostView<const float> dg(ctx_, diff_scale_.computed()), db(ctx_, diff_shift_.computed());
    for (size_t c = 0; c < C; ++c) {
      sums_[c] = dg[c];      // sum over this rank of dy * xhat
      sums_[C + c] = db[c];  // sum over this rank of dy
    }
  }
  sync_->allreduce_sum(sums_.data(), sums_.size());
  {
    HostView<const float> gamma(ctx_, t_.weight.value), mean(ctx_, mean_), var(ctx_, variance_);
    HostView<float> b(ctx_, coef_b_), a(ctx_, coef_a_);
    const double M = static_cast<double>(global_reduced_);
    for (size_t c = 0; c < C; ++c) {
      const double invstd = 1.0 / std::sqrt(static_cast<double>(var[c]) + opt_.eps);
      const double bc = -gamma[c] * invstd * invstd * sums_[c] / M;
      b[c] = static_cast<float>(bc);
      a[c] = static_cast<float>(-gamma[c] * invstd * sums_[C + c] / M - bc * mean[c]);
    }
  }
  affine_->execute(ctx_.stream, affine_args_);
  add_->execute(ctx_.stream, add_args_);
}

void BatchNorm::forward() {
  if (sync_) {
    stats_->execute(ctx_.stream, stats_args_);
    combine_statistics();
  }
  fwd_->execute(ctx_.stream, fwd_args_);
  if (opt_.training) update_running_stats();
}

void BatchNorm::update_running_stats() {
  // torch.nn.functional.batch_norm (CPU, 1.13): running = momentum * batch + (1 - momentum) * running, in double,
  // with the unbiased variance var * n / (n - 1) of the n = N*H*W values per channel.
  HostView<const float> mean(ctx_, mean_), var(ctx_, variance_);
  HostView<float> rm(ctx_, t_.running_mean.value), rv(ctx_, t_.running_var.value);
  const int64_t reduced = sync_ ? global_reduced_ : reduced_;  // synchronized: the whole batch's statistic
  const double m = opt_.momentum, n = static_cast<double>(reduced);
  const double unbias = reduced > 1 ? n / (n - 1) : 1.0;
  for (size_t c = 0, C = rm.size(); c < C; ++c) {
    rm[c] = static_cast<float>(m * mean[c] + (1 - m) * rm[c]);
    rv[c] = static_cast<float>(m * (var[c] * unbias) + (1 - m) * rv[c]);
  }
  ++t_.num_batches_tracked.value;
}

// d src into the producer's diff_dst (synchronized: with the statistics terms); d gamma, d beta stay computed.
void BatchNorm::compute_diff_src(const char* caller) {
  if (!bwd_) throw std::logic_error(std::string("nn::BatchNorm::") + caller + " on a layer built for inference");
  bwd_->execute(ctx_.stream, bwd_args_);
  if (sync_) add_statistics_terms();
  diff_src_.execute(ctx_.stream);
}

void BatchNorm::backward(bool accumulate) {
  compute_diff_src("backward");
  diff_scale_.deliver(ctx_.stream, accumulate);
  diff_shift_.deliver(ctx_.stream, accumulate);
}

void BatchNorm::backward_data() { compute_diff_src("backward_data"); }

}  // namespace nn
