// Host copies of the model's tensors for checkpoints and weights files, and gradient/weight norms.
#include "trainer/model_state.hpp"

#include "nn/architecture.hpp"
#include "nn/memory.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace trainer {

namespace {

struct Parts {
  std::vector<nn::Param*> params;
  std::vector<nn::Buffer*> buffers;
  std::vector<nn::BatchCount*> counts;
  nn::Adam* adam;
};

Parts parts(nn::Dcgan& m, Net net) {
  if (net == Net::generator)
    return {m.generator_params(), m.generator_buffers(), m.generator_batch_counts(), &m.adam_g()};
  return {m.discriminator_params(), m.discriminator_buffers(), m.discriminator_batch_counts(), &m.adam_d()};
}

HostTensor to_host(nn::Context& ctx, const std::string& name, const std::vector<int64_t>& shape,
                   const dnnl::memory& mem) {
  HostTensor t{name, shape, {}};
  int64_t n = 1;
  for (auto s : shape) n *= s;
  t.data.resize(static_cast<size_t>(n));
  nn::copy_from_memory(ctx, t.data.data(), mem, t.data.size() * sizeof(float));
  return t;
}

void from_host(nn::Context& ctx, const HostTensor& t, const dnnl::memory& mem, const std::string& what) {
  if (mem.get_desc().get_size() != t.data.size() * sizeof(float))
    throw std::runtime_error(what + " '" + t.name + "': " + std::to_string(t.data.size()) +
                             " values do not fit the model's tensor");
  nn::copy_to_memory(ctx, mem, t.data.data(), t.data.size() * sizeof(float));
}

std::map<std::string, const HostTensor*> by_name(const std::vector<HostTensor>& v) {
  std::map<std::string, const HostTensor*> m;
  for (const auto& t : v) m[t.name] = &t;
  return m;
}

const HostTensor& need(const std::map<std::string, const HostTensor*>& m, const std::string& name,
                       const std::string& what) {
  auto it = m.find(name);
  if (it == m.end()) throw std::runtime_error(what + ": tensor '" + name + "' is missing");
  return *it->second;
}

}  // namespace

NetworkState capture_network(nn::Dcgan& model, Net net) {
  nn::Context& ctx = model.context();
  const Parts p = parts(model, net);
  NetworkState s;
  for (auto* q : p.params) s.tensors.push_back(to_host(ctx, q->name, q->shape, q->value));
  for (auto* b : p.buffers) s.tensors.push_back(to_host(ctx, b->name, b->shape, b->value));
  for (auto* c : p.counts) s.counters[c->name] = c->value;
  return s;
}

void restore_network(nn::Dcgan& model, Net net, const NetworkState& state) {
  nn::Context& ctx = model.context();
  const Parts p = parts(model, net);
  const auto m = by_name(state.tensors);
  const std::string what = net == Net::generator ? "generator" : "discriminator";
  for (auto* q : p.params) from_host(ctx, need(m, q->name, what), q->value, what);
  for (auto* b : p.buffers) from_host(ctx, need(m, b->name, what), b->value, what);
  for (auto* c : p.counts) {
    auto it = state.counters.find(c->name);
    if (it == state.counters.end()) throw std::runtime_error(what + ": buffer '" + c->name + "' is missing");
    c->value = it->second;
  }
}

StateShapes state_shapes(nn::Dcgan& model) {
  StateShapes s;
  s.image_size = model.config().image_size;
  for (Net net : {Net::generator, Net::discriminator}) {
    const Parts p = parts(model, net);
    NetworkState& n = net == Net::generator ? s.generator : s.discriminator;
    for (auto* q : p.params) n.tensors.push_back({q->name, q->shape, {}});
    for (auto* b : p.buffers) n.tensors.push_back({b->name, b->shape, {}});
    for (auto* c : p.counts) n.counters[c->name] = 0;
  }
  return s;
}

void load_into(nn::Dcgan& model, const std::filesystem::path& file) {
  const StateShapes want = state_shapes(model);
  NetworkState g, d;
  load_weights(file, g, d, &want);
  restore_checked(model, g, d, file.string());
}

void restore_checked(nn::Dcgan& model, const NetworkState& g, const NetworkState& d, const std::string& file) {
  check_shapes(g, capture_network(model, Net::generator), "generator", file);
  check_shapes(d, capture_network(model, Net::discriminator), "discriminator", file);
  restore_network(model, Net::generator, g);
  restore_network(model, Net::discriminator, d);
}

AdamState capture_adam(nn::Dcgan& model, Net net) {
  nn::Context& ctx = model.context();
  nn::Adam& adam = *parts(model, net).adam;
  AdamState s;
  s.step = adam.step_count();
  for (const auto& slot : adam.slots()) {
    s.exp_avg.push_back(to_host(ctx, slot.param->name, slot.param->shape, slot.exp_avg));
    s.exp_avg_sq.push_back(to_host(ctx, slot.param->name, slot.param->shape, slot.exp_avg_sq));
  }
  return s;
}

void restore_adam(nn::Dcgan& model, Net net, const AdamState& state) {
  nn::Context& ctx = model.context();
  nn::Adam& adam = *parts(model, net).adam;
  const auto m1 = by_name(state.exp_avg), m2 = by_name(state.exp_avg_sq);
  const std::string what = std::string("Adam state of the ") + (net == Net::generator ? "generator" : "discriminator");
  for (const auto& slot : adam.slots()) {
    from_host(ctx, need(m1, slot.param->name, what), slot.exp_avg, what);
    from_host(ctx, need(m2, slot.param->name, what), slot.exp_avg_sq, what);
  }
  adam.set_step_count(state.step);
}

std::vector<double> squared_norms(nn::Context& ctx, const std::vector<nn::Param*>& params, Which which) {
  std::vector<double> out;
  out.reserve(params.size());
  for (auto* p : params) {
    nn::HostView<const float> v(ctx, which == Which::grad ? p->grad : p->value);
    const int64_t n = p->numel();
    const float* x = v.data();
    // Fixed blocks summed in a fixed order: the same bits whatever the thread count and timing (an OpenMP
    // reduction combines partial sums in the order threads finish, which breaks exact resume's equal rows).
    constexpr int64_t kBlock = 1 << 16;
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> part(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      double s = 0;
      for (int64_t i = b * kBlock, e = std::min(n, i + kBlock); i < e; ++i) s += static_cast<double>(x[i]) * x[i];
      part[static_cast<size_t>(b)] = s;
    }
    double s = 0;
    for (double v : part) s += v;
    out.push_back(s);
  }
  return out;
}

nn::DcganConfig config_from_state(const NetworkState& g, const NetworkState& d, const std::string& file) {
  const auto gm = by_name(g.tensors), dm = by_name(d.tensors);
  const std::string what = "'" + file + "'";
  nn::DcganConfig c;
  c.image_size = image_size_of(g);
  if (c.image_size == 0)
    throw std::runtime_error(what + ": the generator's layers do not follow the DCGAN rule (not a DCGAN checkpoint?)");
  const std::string last = nn::generator_conv_name(nn::layer_count(c.image_size) - 1) + ".weight";
  const auto& g0 = need(gm, "main.0.weight", what + " generator");     // ConvTranspose2d [nz, ngf * 2^(L-2), 4, 4]
  const auto& gl = need(gm, last, what + " generator");                // ConvTranspose2d [ngf, nc, 4, 4]
  const auto& d0 = need(dm, "main.0.weight", what + " discriminator"); // Conv2d [ndf, nc, 4, 4]
  if (g0.shape.size() != 4 || gl.shape.size() != 4 || d0.shape.size() != 4)
    throw std::runtime_error(what + ": convolution weights must be 4-D (not a DCGAN checkpoint?)");
  c.nz = static_cast<int>(g0.shape[0]);
  c.ngf = static_cast<int>(gl.shape[0]);
  c.nc = static_cast<int>(gl.shape[1]);
  c.ndf = static_cast<int>(d0.shape[0]);
  return c;
}

std::unique_ptr<nn::Dcgan> load_model(nn::Context& ctx, const std::filesystem::path& file, int batch) {
  NetworkState g, d;
  load_weights(file, g, d, nullptr, false);  // names and shapes first: the model they describe
  nn::DcganConfig cfg = config_from_state(g, d, file.string());
  cfg.batch = batch;
  auto model = std::make_unique<nn::Dcgan>(ctx, cfg, nn::AdamConfig{});
  load_into(*model, file);
  return model;
}


}  // namespace trainer
