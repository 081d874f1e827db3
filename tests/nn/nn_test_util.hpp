// Helpers for the nn tests: CPU contexts, host <-> memory copies in any layout, random tensors, error measures,
// and a central-difference gradient check that steps around activation kinks.
#pragma once
#include "nn/context.hpp"
#include "nn/memory.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

namespace nt {

using Vec = std::vector<float>;

inline nn::Context cpu(nn::Precision p = nn::Precision::f32) { return nn::make_context(nn::EngineKind::cpu, p); }

// The logical contents of a memory (any layout, f32 or bf16) as plain row-major f32.
inline Vec read(nn::Context& ctx, const dnnl::memory& m) {
  const auto d = m.get_desc();
  dnnl::memory plain(nn::plain_desc(d.dims()), ctx.engine);
  dnnl::reorder(m, plain).execute(ctx.stream, const_cast<dnnl::memory&>(m), plain);
  ctx.stream.wait();
  Vec out(plain.get_desc().get_size() / sizeof(float));
  nn::copy_from_memory(ctx, out.data(), plain, out.size() * sizeof(float));
  return out;
}

// Writes plain row-major f32 values into a memory of any layout and data type.
inline void write(nn::Context& ctx, const dnnl::memory& m, const Vec& v) {
  const auto d = m.get_desc();
  dnnl::memory plain(nn::plain_desc(d.dims()), ctx.engine);
  nn::copy_to_memory(ctx, plain, v.data(), v.size() * sizeof(float));
  dnnl::reorder(plain, m).execute(ctx.stream, plain, const_cast<dnnl::memory&>(m));
  ctx.stream.wait();
}

// Raw bytes of an f32 memory in its own layout: for Params, whose memories hold PyTorch's layout of the
// PyTorch shape (the oneDNN dims may be ordered differently, e.g. ConvTranspose2d's {OC,IC,..} in iohw).
inline Vec read_raw(nn::Context& ctx, const dnnl::memory& m) {
  Vec out(m.get_desc().get_size() / sizeof(float));
  nn::copy_from_memory(ctx, out.data(), m, out.size() * sizeof(float));
  return out;
}
inline void write_raw(nn::Context& ctx, const dnnl::memory& m, const Vec& v) {
  nn::copy_to_memory(ctx, m, v.data(), v.size() * sizeof(float));
}

inline dnnl::memory plain_memory(nn::Context& ctx, const dnnl::memory::dims& dims) {
  return dnnl::memory(nn::plain_desc(dims), ctx.engine);
}
inline dnnl::memory tagged_memory(nn::Context& ctx, const dnnl::memory::dims& dims, nn::dt type, nn::tag t) {
  return dnnl::memory(dnnl::memory::desc(dims, type, t), ctx.engine);
}

inline Vec randn(size_t n, std::mt19937& rng, float scale = 1.f, float shift = 0.f) {
  std::normal_distribution<float> nd(0.f, 1.f);
  Vec v(n);
  for (auto& x : v) x = shift + scale * nd(rng);
  return v;
}

// Rounds to the nearest bfloat16 (ties to even), as oneDNN's f32 -> bf16 conversion.
inline float round_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u += 0x7fff + ((u >> 16) & 1);
  u &= 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}
inline Vec round_bf16(Vec v) {
  for (auto& x : v) x = round_bf16(x);
  return v;
}

// max |a - b| / max |b|: the error relative to the tensor's scale.
inline double rel_err(const Vec& a, const Vec& b) {
  EXPECT_EQ(a.size(), b.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    num = std::max(num, double(std::fabs(double(a[i]) - b[i])));
    den = std::max(den, double(std::fabs(b[i])));
  }
  return den > 0 ? num / den : num;
}

inline Vec scaled(Vec v, float s) {
  for (auto& x : v) x *= s;
  return v;
}

// Central-difference check of an analytic gradient of L(x) = sum(r * f(x)). f evaluates the layer at x and
// returns its output. Checks `samples` random coordinates; a coordinate is skipped when the output's sign pattern
// differs between x - h, x and x + h (a ReLU/LeakyReLU kink lies inside the step). Returns how many were checked.
inline int check_gradient(const std::function<Vec(const Vec&)>& f, const Vec& x0, const Vec& r, const Vec& analytic,
                          int samples, float h, double tol, std::mt19937& rng, const char* what) {
  auto loss = [&](const Vec& y) {
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i) s += double(r[i]) * y[i];
    return s;
  };
  auto signs = [](const Vec& y) {
    std::vector<bool> s(y.size());
    for (size_t i = 0; i < y.size(); ++i) s[i] = y[i] > 0;
    return s;
  };
  const Vec y0 = f(x0);
  double scale = 0;
  for (float g : analytic) scale = std::max(scale, double(std::fabs(g)));
  std::uniform_int_distribution<size_t> pick(0, x0.size() - 1);
  int checked = 0;
  for (int k = 0; k < samples; ++k) {
    const size_t i = pick(rng);
    Vec xp = x0, xm = x0;
    xp[i] += h;
    xm[i] -= h;
    const Vec yp = f(xp), ym = f(xm);
    if (signs(yp) != signs(y0) || signs(ym) != signs(y0)) continue;  // a kink inside [x-h, x+h]
    const double numeric = (loss(yp) - loss(ym)) / (2.0 * h);
    EXPECT_NEAR(analytic[i], numeric, tol * scale) << what << ": coordinate " << i;
    ++checked;
  }
  return checked;
}

}  // namespace nt
