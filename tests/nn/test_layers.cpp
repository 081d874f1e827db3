// Every nn layer against a plain C++ reference (forward, backward-data, backward-weights, BN scale/shift), and
// central-difference gradient checks that step around the ReLU/LeakyReLU kinks. f32 tight, bf16 loose.
#include "nn/batchnorm.hpp"
#include "nn/conv2d.hpp"
#include "nn/deconv2d.hpp"
#include "nn/eltwise.hpp"
#include "nn/param.hpp"
#include "nn_test_util.hpp"
#include "reference.hpp"

#include <gtest/gtest.h>

namespace {

using nt::Vec;

// f32 layers: float accumulation against double references at these sizes stays near 1e-6.
constexpr double kTolF32 = 2e-5;
// bf16 layers: inputs rounded to bf16 in the reference too, so what remains is bf16 outputs (2^-9 relative) and
// bf16 rounding of intermediate tensors (the BN input, the diff passed between passes).
constexpr double kTolBf16 = 1.5e-2;

ref::Geo to_ref(const nn::ConvGeometry& g) {
  return {g.batch, g.in_channels, g.out_channels, g.in_size, g.out_size, g.kernel, g.stride, g.padding};
}

struct ConvCase {
  const char* name;
  bool transposed;
  nn::ConvGeometry g;
  bool leaky = false;  // Conv2d + fused LeakyReLU(0.2)
  bool tanh = false;   // ConvTranspose2d + fused Tanh
  nn::tag dst_tag = nn::tag::any;
};

// Runs one convolution case in a precision, against the reference.
void run_conv_case(const ConvCase& c, nn::Precision prec) {
  nn::Context ctx = nt::cpu(prec);
  std::mt19937 rng(7);
  const auto& g = c.g;
  const bool bf16 = prec == nn::Precision::bf16;
  const double tol = bf16 ? kTolBf16 : kTolF32;
  auto maybe_round = [&](Vec v) { return bf16 ? nt::round_bf16(std::move(v)) : v; };

  const auto wdesc = c.transposed ? nn::Deconv2d::weights_desc(g) : nn::Conv2d::weights_desc(g);
  const auto wshape = c.transposed ? nn::Deconv2d::torch_weight_shape(g) : nn::Conv2d::torch_weight_shape(g);
  nn::Param w = nn::make_param(ctx, "w", wshape, wdesc);
  const Vec wv = nt::randn(static_cast<size_t>(w.numel()), rng, 0.1f);
  nt::write_raw(ctx, w.value, wv);

  const dnnl::memory::dims src_dims = {g.batch, g.in_channels, g.in_size, g.in_size};
  dnnl::memory src = nt::plain_memory(ctx, src_dims), diff_src = nt::plain_memory(ctx, src_dims);
  nn::ConvOptions opt;
  opt.type = nn::data_type(prec);
  opt.dst_tag = c.dst_tag;
  std::optional<nn::Activation> act;
  if (c.leaky) act = nn::Activation::leaky_relu(0.2f);
  if (c.tanh) act = nn::Activation::tanh();
  opt.post_op = act;

  auto run = [&](auto& layer) {
    std::optional<nn::Eltwise> ew;
    if (act) ew.emplace(ctx, *act, layer.dst(), layer.diff_dst(), nn::Eltwise::Options{true, true});
    const Vec x = nt::randn(static_cast<size_t>(g.batch * g.in_channels * g.in_size * g.in_size), rng);
    nt::write(ctx, src, x);
    layer.load_weights();
    layer.forward();
    ew ? ew->forward() : void();
    const ref::Geo rg = to_ref(g);
    const Vec xr = maybe_round(x), wr = maybe_round(wv);
    Vec y = c.transposed ? ref::deconv_forward(rg, xr, wr) : ref::conv_forward(rg, xr, wr);
    for (auto& v : y) v = c.leaky ? ref::leaky(v, 0.2f) : c.tanh ? std::tanh(v) : v;
    const Vec got_y = nt::read(ctx, layer.dst());
    EXPECT_LT(nt::rel_err(got_y, y), tol) << c.name << " forward";

    // backward: d loss/d dst = dy; through the fused activation first
    const Vec dy = nt::randn(y.size(), rng);
    nt::write(ctx, layer.diff_dst(), dy);
    Vec dpre = dy;  // d loss / d pre-activation
    for (size_t i = 0; i < dy.size(); ++i) {
      if (c.leaky) dpre[i] = got_y[i] > 0 ? dy[i] : 0.2f * dy[i];
      if (c.tanh) dpre[i] = dy[i] * (1 - got_y[i] * got_y[i]);
    }
    if (ew) ew->backward();
    if (act) {
      EXPECT_LT(nt::rel_err(nt::read(ctx, layer.diff_dst()), dpre), tol) << c.name << " activation backward";
    }
    const Vec dpr = maybe_round(dpre);
    layer.backward_data();
    const Vec dx = c.transposed ? ref::deconv_backward_data(rg, dpr, wr) : ref::conv_backward_data(rg, dpr, wr);
    EXPECT_LT(nt::rel_err(nt::read(ctx, diff_src), dx), tol) << c.name << " backward data";
    const Vec dw = c.transposed ? ref::deconv_backward_weights(rg, xr, dpr) : ref::conv_backward_weights(rg, xr, dpr);
    layer.backward_weights(false);
    EXPECT_LT(nt::rel_err(nt::read_raw(ctx, w.grad), dw), tol) << c.name << " backward weights";
    layer.backward_weights(true);  // PyTorch's accumulation of a second backward
    EXPECT_LT(nt::rel_err(nt::read_raw(ctx, w.grad), nt::scaled(dw, 2.f)), tol) << c.name << " accumulated weights";
  };
  if (c.transposed) {
    nn::Deconv2d layer(ctx, g, w, src, diff_src, opt);
    run(layer);
  } else {
    nn::Conv2d layer(ctx, g, w, src, diff_src, opt);
    run(layer);
  }
}

// The DCGAN shapes at small widths (channel counts below, at and above oneDNN's 16-channel blocks).
const ConvCase kConvCases[] = {
    {"G first: deconv nz->8ngf 1->4 s1 p0", true, {3, 10, 32, 1, 4, 4, 1, 0}},
    {"G middle: deconv 32->16 4->8", true, {3, 32, 16, 4, 8, 4, 2, 1}},
    {"G middle: deconv 24->8 8->16", true, {2, 24, 8, 8, 16, 4, 2, 1}},
    {"G last: deconv 8->3 16->32 + tanh, nchw", true, {2, 8, 3, 16, 32, 4, 2, 1}, false, true, nn::tag::nchw},
    {"D first: conv 3->8 32->16 + leaky", false, {2, 3, 8, 32, 16, 4, 2, 1}, true},
    {"D middle: conv 16->32 8->4", false, {3, 16, 32, 8, 4, 4, 2, 1}},
    {"D middle: conv 8->20 16->8", false, {2, 8, 20, 16, 8, 4, 2, 1}},
    {"D last: conv 32->1 4->1 s1 p0, nchw", false, {4, 32, 1, 4, 1, 4, 1, 0}, false, false, nn::tag::nchw},
};

TEST(Convolution, MatchesReferenceF32) {
  for (const auto& c : kConvCases) run_conv_case(c, nn::Precision::f32);
}

TEST(Convolution, MatchesReferenceBf16) {
  for (const auto& c : kConvCases) run_conv_case(c, nn::Precision::bf16);
}

// Finite differences through the layer itself (forward only), against its own backward passes.
TEST(Convolution, FiniteDifferenceGradients) {
  nn::Context ctx = nt::cpu();
  std::mt19937 rng(11);
  for (bool transposed : {false, true}) {
    const nn::ConvGeometry g =
        transposed ? nn::ConvGeometry{2, 6, 5, 4, 8, 4, 2, 1} : nn::ConvGeometry{2, 5, 6, 8, 4, 4, 2, 1};
    const auto wdesc = transposed ? nn::Deconv2d::weights_desc(g) : nn::Conv2d::weights_desc(g);
    nn::Param w = nn::make_param(
        ctx, "w", transposed ? nn::Deconv2d::torch_weight_shape(g) : nn::Conv2d::torch_weight_shape(g), wdesc);
    const dnnl::memory::dims sd = {g.batch, g.in_channels, g.in_size, g.in_size};
    dnnl::memory src = nt::plain_memory(ctx, sd), dsrc = nt::plain_memory(ctx, sd);
    nn::ConvOptions opt;
    opt.post_op = transposed ? nn::Activation::tanh() : nn::Activation::leaky_relu(0.2f);
    auto check = [&](auto& layer) {
      nn::Eltwise ew(ctx, *opt.post_op, layer.dst(), layer.diff_dst(), {true, true});
      Vec x = nt::randn(static_cast<size_t>(g.batch * g.in_channels * g.in_size * g.in_size), rng);
      Vec wv = nt::randn(static_cast<size_t>(w.numel()), rng, 0.2f);
      auto eval = [&](const Vec& xv, const Vec& wvv) {
        nt::write(ctx, src, xv);
        nt::write_raw(ctx, w.value, wvv);
        layer.load_weights();
        layer.forward();
        return nt::read(ctx, layer.dst());
      };
      const Vec y = eval(x, wv);
      const Vec r = nt::randn(y.size(), rng);
      nt::write(ctx, layer.diff_dst(), r);
      ew.backward();
      layer.backward_data();
      layer.backward_weights(false);
      const Vec dx = nt::read(ctx, dsrc), dw = nt::read_raw(ctx, w.grad);
      const int nx = nt::check_gradient([&](const Vec& v) { return eval(v, wv); }, x, r, dx, 40, 1e-2f, 2e-3, rng,
                                        transposed ? "deconv+tanh d src" : "conv+leaky d src");
      const int nw = nt::check_gradient([&](const Vec& v) { return eval(x, v); }, wv, r, dw, 40, 1e-2f, 2e-3, rng,
                                        transposed ? "deconv+tanh d weights" : "conv+leaky d weights");
      EXPECT_GT(nx, 20);
      EXPECT_GT(nw, 20);
    };
    if (transposed) {
      nn::Deconv2d layer(ctx, g, w, src, dsrc, opt);
      check(layer);
    } else {
      nn::Conv2d layer(ctx, g, w, src, dsrc, opt);
      check(layer);
    }
  }
}

// ---- BatchNorm ----

struct BnFixture {
  nn::Param gamma, beta;
  nn::Buffer rm, rv;
  nn::BatchCount count{"n", 0};
  nn::BatchNormTensors tensors() { return {gamma, beta, rm, rv, count}; }
  BnFixture(nn::Context& ctx, int64_t c)
      : gamma(nn::make_param(ctx, "g", {c}, nn::plain_desc({c}))),
        beta(nn::make_param(ctx, "b", {c}, nn::plain_desc({c}))),
        rm(nn::make_buffer(ctx, "rm", c, 0.f)),
        rv(nn::make_buffer(ctx, "rv", c, 1.f)) {}
};

void run_bn_case(int64_t n, int64_t c, int64_t hw_side, nn::tag layout, bool relu, nn::Precision prec) {
  nn::Context ctx = nt::cpu(prec);
  const bool bf16 = prec == nn::Precision::bf16;
  const double tol = bf16 ? kTolBf16 : kTolF32;
  std::mt19937 rng(3);
  const int64_t hw = hw_side * hw_side;
  BnFixture f(ctx, c);
  const Vec gamma = nt::randn(c, rng, 0.3f, 1.f), beta = nt::randn(c, rng, 0.5f);
  nt::write(ctx, f.gamma.value, gamma);
  nt::write(ctx, f.beta.value, beta);
  const Vec rm0 = nt::randn(c, rng, 0.1f), rv0 = nt::randn(c, rng, 0.1f, 1.f);
  nt::write(ctx, f.rm.value, rm0);
  nt::write(ctx, f.rv.value, rv0);

  const dnnl::memory::dims dims = {n, c, hw_side, hw_side};
  dnnl::memory src = nt::tagged_memory(ctx, dims, nn::data_type(prec), layout);
  dnnl::memory diff = nt::tagged_memory(ctx, dims, nn::data_type(prec), layout);
  nn::BatchNorm::Options opt;
  opt.fuse_relu = relu;
  nn::BatchNorm bn(ctx, f.tensors(), src, diff, opt);
  EXPECT_EQ(bn.dst().get_desc(), src.get_desc()) << "BN keeps its input's layout";

  Vec x = nt::randn(static_cast<size_t>(n * c * hw), rng, 2.f, 0.5f);
  if (bf16) x = nt::round_bf16(x);
  nt::write(ctx, src, x);
  bn.forward();
  const ref::BnStats s = ref::bn_stats(x, n, c, hw);
  const Vec y = ref::bn_forward(x, n, c, hw, gamma, beta, s.mean, s.var, 1e-5, relu);
  const Vec got_y = nt::read(ctx, bn.dst());
  EXPECT_LT(nt::rel_err(got_y, y), tol) << "BN forward";

  // running statistics: momentum 0.1, unbiased variance
  Vec rm(c), rv(c);
  const double m = double(n * hw);
  for (int64_t k = 0; k < c; ++k) {
    rm[k] = float(0.1 * s.mean[k] + 0.9 * rm0[k]);
    rv[k] = float(0.1 * s.var[k] * m / (m - 1) + 0.9 * rv0[k]);
  }
  EXPECT_LT(nt::rel_err(nt::read(ctx, f.rm.value), rm), 1e-5) << "running_mean";
  EXPECT_LT(nt::rel_err(nt::read(ctx, f.rv.value), rv), bf16 ? 1e-3 : 1e-5) << "running_var";
  EXPECT_EQ(f.count.value, 1);

  const Vec dy = nt::round_bf16(nt::randn(x.size(), rng));
  const ref::BnGrads g = ref::bn_backward(x, dy, got_y, n, c, hw, gamma, 1e-5, relu);
  nt::write(ctx, bn.diff_dst(), dy);
  bn.backward(false);
  EXPECT_LT(nt::rel_err(nt::read(ctx, diff), g.dx), tol) << "BN d src";
  EXPECT_LT(nt::rel_err(nt::read(ctx, f.gamma.grad), g.dgamma), tol) << "BN d gamma";
  EXPECT_LT(nt::rel_err(nt::read(ctx, f.beta.grad), g.dbeta), tol) << "BN d beta";
  nt::write(ctx, bn.diff_dst(), dy);
  bn.backward(true);
  EXPECT_LT(nt::rel_err(nt::read(ctx, f.gamma.grad), nt::scaled(g.dgamma, 2.f)), tol) << "BN d gamma accumulated";
  EXPECT_LT(nt::rel_err(nt::read(ctx, f.beta.grad), nt::scaled(g.dbeta, 2.f)), tol) << "BN d beta accumulated";
  nt::write(ctx, bn.diff_dst(), dy);
  bn.backward_data();
  EXPECT_LT(nt::rel_err(nt::read(ctx, diff), g.dx), tol) << "BN backward_data d src";

  // eval mode reads the running statistics
  nn::BatchNorm::Options eopt;
  eopt.training = false;
  eopt.fuse_relu = relu;
  nn::BatchNorm bn_eval(ctx, f.tensors(), src, dnnl::memory(), eopt);
  bn_eval.forward();
  std::vector<double> rmd(rm.begin(), rm.end()), rvd(rv.begin(), rv.end());
  const Vec ye = ref::bn_forward(x, n, c, hw, gamma, beta, rmd, rvd, 1e-5, relu);
  EXPECT_LT(nt::rel_err(nt::read(ctx, bn_eval.dst()), ye), tol) << "BN eval forward";
  EXPECT_EQ(f.count.value, 1) << "eval mode does not count batches";
}

TEST(BatchNorm, MatchesReferenceF32) {
  run_bn_case(4, 8, 4, nn::tag::nchw, false, nn::Precision::f32);
  run_bn_case(3, 24, 4, nn::tag::nChw16c, false, nn::Precision::f32);
  run_bn_case(2, 16, 8, nn::tag::nChw16c, true, nn::Precision::f32);
  run_bn_case(4, 5, 4, nn::tag::nchw, true, nn::Precision::f32);
}

TEST(BatchNorm, MatchesReferenceBf16) {
  run_bn_case(3, 24, 4, nn::tag::nChw16c, false, nn::Precision::bf16);
  run_bn_case(2, 16, 8, nn::tag::nChw16c, true, nn::Precision::bf16);
}

TEST(BatchNorm, FiniteDifferenceGradients) {
  nn::Context ctx = nt::cpu();
  std::mt19937 rng(5);
  for (bool relu : {false, true}) {
    const int64_t n = 2, c = 3, side = 3;
    BnFixture f(ctx, c);
    Vec gamma = nt::randn(c, rng, 0.3f, 1.f), beta = nt::randn(c, rng, 0.3f);
    nt::write(ctx, f.gamma.value, gamma);
    nt::write(ctx, f.beta.value, beta);
    const dnnl::memory::dims dims = {n, c, side, side};
    dnnl::memory src = nt::plain_memory(ctx, dims), diff = nt::plain_memory(ctx, dims);
    nn::BatchNorm::Options opt;
    opt.fuse_relu = relu;
    nn::BatchNorm bn(ctx, f.tensors(), src, diff, opt);
    const Vec x = nt::randn(static_cast<size_t>(n * c * side * side), rng);
    auto eval = [&](const Vec& xv, const Vec& g, const Vec& b) {
      nt::write(ctx, src, xv);
      nt::write(ctx, f.gamma.value, g);
      nt::write(ctx, f.beta.value, b);
      bn.forward();
      return nt::read(ctx, bn.dst());
    };
    const Vec y = eval(x, gamma, beta);
    const Vec r = nt::randn(y.size(), rng);
    nt::write(ctx, bn.diff_dst(), r);
    bn.backward(false);
    const Vec dx = nt::read(ctx, diff), dg = nt::read(ctx, f.gamma.grad), db = nt::read(ctx, f.beta.grad);
    const char* tag = relu ? "BN+ReLU" : "BN";
    EXPECT_GT(
        nt::check_gradient([&](const Vec& v) { return eval(v, gamma, beta); }, x, r, dx, 30, 1e-2f, 5e-3, rng, tag),
        10);
    EXPECT_GT(
        nt::check_gradient([&](const Vec& v) { return eval(x, v, beta); }, gamma, r, dg, 6, 1e-2f, 5e-3, rng, tag), 1);
    EXPECT_GT(
        nt::check_gradient([&](const Vec& v) { return eval(x, gamma, v); }, beta, r, db, 6, 1e-2f, 5e-3, rng, tag), 1);
  }
}

// ---- standalone activations (in place) ----

TEST(Eltwise, LeakyReluAndTanhInPlace) {
  nn::Context ctx = nt::cpu();
  std::mt19937 rng(9);
  const dnnl::memory::dims dims = {2, 16, 3, 3};
  for (bool leaky : {true, false}) {
    dnnl::memory data = nt::tagged_memory(ctx, dims, nn::dt::f32, nn::tag::nChw16c);
    dnnl::memory diff = nt::tagged_memory(ctx, dims, nn::dt::f32, nn::tag::nChw16c);
    const nn::Activation act = leaky ? nn::Activation::leaky_relu(0.2f) : nn::Activation::tanh();
    nn::Eltwise ew(ctx, act, data, diff, {});
    const Vec x = nt::randn(2 * 16 * 9, rng);
    nt::write(ctx, data, x);
    ew.forward();
    Vec y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = leaky ? ref::leaky(x[i], 0.2f) : std::tanh(x[i]);
    EXPECT_LT(nt::rel_err(nt::read(ctx, ew.dst()), y), kTolF32);
    const Vec dy = nt::randn(x.size(), rng);
    nt::write(ctx, ew.diff_dst(), dy);
    ew.backward();
    Vec dx(x.size());
    for (size_t i = 0; i < x.size(); ++i) dx[i] = leaky ? (x[i] > 0 ? dy[i] : 0.2f * dy[i]) : dy[i] * (1 - y[i] * y[i]);
    EXPECT_LT(nt::rel_err(nt::read(ctx, diff), dx), kTolF32);
    // finite differences through the forward pass, skipping steps across the kink at 0
    auto eval = [&](const Vec& v) {
      nt::write(ctx, data, v);
      ew.forward();
      return nt::read(ctx, ew.dst());
    };
    Vec xs = x;
    for (auto& v : xs) v = std::fabs(v) < 0.05f ? 0.05f : v;  // also keep exact zeros out
    eval(xs);
    nt::write(ctx, ew.diff_dst(), dy);
    ew.backward();
    EXPECT_GT(nt::check_gradient(eval, xs, dy, nt::read(ctx, diff), 30, 1e-2f, 2e-3, rng, leaky ? "leaky" : "tanh"),
              20);
  }
}

}  // namespace
