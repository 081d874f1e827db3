// Plain C++ references for the nn layers (double accumulation, NCHW), the oracle of the layer tests.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

namespace ref {

using Vec = std::vector<float>;

struct Geo {  // square 2-D geometry, as nn::ConvGeometry
  int64_t n, ic, oc, in, out, k, s, p;
};

inline size_t idx4(int64_t a, int64_t b, int64_t c, int64_t d, int64_t B, int64_t C, int64_t D) {
  return static_cast<size_t>(((a * B + b) * C + c) * D + d);
}

// Conv2d: y[n,o,oy,ox] = sum_{i,ky,kx} x[n,i,oy*s-p+ky, ox*s-p+kx] * w[o,i,ky,kx]
// Calls f(n, o, oy, ox, i, iy, ix, ky, kx) for every contributing pair; deconv swaps the roles of x and y.
template <class F>
void conv_taps(const Geo& g, F&& f) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.oc; ++o)
      for (int64_t oy = 0; oy < g.out; ++oy)
        for (int64_t ox = 0; ox < g.out; ++ox)
          for (int64_t i = 0; i < g.ic; ++i)
            for (int64_t ky = 0; ky < g.k; ++ky)
              for (int64_t kx = 0; kx < g.k; ++kx) {
                const int64_t iy = oy * g.s - g.p + ky, ix = ox * g.s - g.p + kx;
                if (iy < 0 || ix < 0 || iy >= g.in || ix >= g.in) continue;
                f(n, o, oy, ox, i, iy, ix, ky, kx);
              }
}

inline Vec conv_forward(const Geo& g, const Vec& x, const Vec& w) {
  std::vector<double> y(static_cast<size_t>(g.n * g.oc * g.out * g.out), 0.0);
  conv_taps(g, [&](auto n, auto o, auto oy, auto ox, auto i, auto iy, auto ix, auto ky, auto kx) {
    y[idx4(n, o, oy, ox, g.oc, g.out, g.out)] +=
        double(x[idx4(n, i, iy, ix, g.ic, g.in, g.in)]) * w[idx4(o, i, ky, kx, g.ic, g.k, g.k)];
  });
  return Vec(y.begin(), y.end());
}
inline Vec conv_backward_data(const Geo& g, const Vec& dy, const Vec& w) {
  std::vector<double> dx(static_cast<size_t>(g.n * g.ic * g.in * g.in), 0.0);
  conv_taps(g, [&](auto n, auto o, auto oy, auto ox, auto i, auto iy, auto ix, auto ky, auto kx) {
    dx[idx4(n, i, iy, ix, g.ic, g.in, g.in)] +=
        double(dy[idx4(n, o, oy, ox, g.oc, g.out, g.out)]) * w[idx4(o, i, ky, kx, g.ic, g.k, g.k)];
  });
  return Vec(dx.begin(), dx.end());
}
inline Vec conv_backward_weights(const Geo& g, const Vec& x, const Vec& dy) {
  std::vector<double> dw(static_cast<size_t>(g.oc * g.ic * g.k * g.k), 0.0);
  conv_taps(g, [&](auto n, auto o, auto oy, auto ox, auto i, auto iy, auto ix, auto ky, auto kx) {
    dw[idx4(o, i, ky, kx, g.ic, g.k, g.k)] +=
        double(x[idx4(n, i, iy, ix, g.ic, g.in, g.in)]) * dy[idx4(n, o, oy, ox, g.oc, g.out, g.out)];
  });
  return Vec(dw.begin(), dw.end());
}

// ConvTranspose2d (PyTorch): y[n,o,iy*s-p+ky, ix*s-p+kx] += x[n,i,iy,ix] * w[i,o,ky,kx], w is [in, out, k, k].
// It is Conv2d's backward-data with the roles of input and output swapped: the "conv" geometry below has the
// deconv output as its input.
inline Geo as_conv(const Geo& d) { return {d.n, d.oc, d.ic, d.out, d.in, d.k, d.s, d.p}; }
inline Vec deconv_forward(const Geo& g, const Vec& x, const Vec& w) { return conv_backward_data(as_conv(g), x, w); }
inline Vec deconv_backward_data(const Geo& g, const Vec& dy, const Vec& w) { return conv_forward(as_conv(g), dy, w); }
inline Vec deconv_backward_weights(const Geo& g, const Vec& x, const Vec& dy) {
  return conv_backward_weights(as_conv(g), dy, x);
}

// BatchNorm2d in training mode over x [N,C,HW]: batch mean and biased variance per channel.
struct BnStats {
  std::vector<double> mean, var;
};
inline BnStats bn_stats(const Vec& x, int64_t n, int64_t c, int64_t hw) {
  BnStats s{std::vector<double>(c, 0.0), std::vector<double>(c, 0.0)};
  const double m = double(n * hw);
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t k = 0; k < hw; ++k) sum += x[(b * c + ch) * hw + k];
    s.mean[ch] = sum / m;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t k = 0; k < hw; ++k) {
        const double d = x[(b * c + ch) * hw + k] - s.mean[ch];
        sq += d * d;
      }
    s.var[ch] = sq / m;
  }
  return s;
}
inline Vec bn_forward(const Vec& x, int64_t n, int64_t c, int64_t hw, const Vec& gamma, const Vec& beta,
                      const std::vector<double>& mean, const std::vector<double>& var, double eps, bool relu) {
  Vec y(x.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t k = 0; k < hw; ++k) {
        const size_t i = static_cast<size_t>((b * c + ch) * hw + k);
        double v = (x[i] - mean[ch]) / std::sqrt(var[ch] + eps) * gamma[ch] + beta[ch];
        if (relu && v < 0) v = 0;
        y[i] = float(v);
      }
  return y;
}
// Training-mode backward: dx = gamma/sqrt(var+eps) * (dy - mean(dy) - xhat * mean(dy * xhat)), with dy already
// passed through the ReLU mask when fused (y > 0).
struct BnGrads {
  Vec dx, dgamma, dbeta;
};
inline BnGrads bn_backward(const Vec& x, const Vec& dy_in, const Vec& y, int64_t n, int64_t c, int64_t hw,
                           const Vec& gamma, double eps, bool relu) {
  const BnStats s = bn_stats(x, n, c, hw);
  Vec dy = dy_in;
  if (relu)
    for (size_t i = 0; i < dy.size(); ++i)
      if (!(y[i] > 0)) dy[i] = 0;
  BnGrads g{Vec(x.size()), Vec(c), Vec(c)};
  const double m = double(n * hw);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double inv = 1.0 / std::sqrt(s.var[ch] + eps);
    double sdy = 0, sdyx = 0;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t k = 0; k < hw; ++k) {
        const size_t i = static_cast<size_t>((b * c + ch) * hw + k);
        sdy += dy[i];
        sdyx += dy[i] * (x[i] - s.mean[ch]) * inv;
      }
    g.dgamma[ch] = float(sdyx);
    g.dbeta[ch] = float(sdy);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t k = 0; k < hw; ++k) {
        const size_t i = static_cast<size_t>((b * c + ch) * hw + k);
        const double xhat = (x[i] - s.mean[ch]) * inv;
        g.dx[i] = float(gamma[ch] * inv * (dy[i] - sdy / m - xhat * sdyx / m));
      }
  }
  return g;
}

inline float leaky(float x, float slope) { return x > 0 ? x : x * slope; }

}  // namespace ref
