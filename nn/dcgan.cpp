// The DCGAN of the PyTorch tutorial (pytorch/examples dcgan) on oneDNN: G, D, two Adams and the training step.
#include "nn/dcgan.hpp"

#include "nn/architecture.hpp"

#include "nn/bce.hpp"
#include "nn/data_parallel.hpp"
#include "nn/discriminator.hpp"
#include "nn/generator.hpp"
#include "nn/init.hpp"
#include "nn/memory.hpp"
#include "nn/precision_plan.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn {

namespace {

// A network's Params grouped by layer (conv, then its BatchNorm), in forward order, from their state_dict names.
std::vector<std::vector<Param*>> params_by_layer(const std::vector<Param*>& params, int layers,
                                                 std::string (*conv_name)(int), std::string (*bn_name)(int)) {
  std::vector<std::vector<Param*>> by_layer(static_cast<size_t>(layers));
  size_t placed = 0;
  for (int k = 0; k < layers; ++k)
    for (Param* p : params)  // (D's first layer has no BatchNorm, and its name is the conv's: one match each)
      if (p->name.starts_with(conv_name(k) + ".") || p->name.starts_with(bn_name(k) + ".")) {
        by_layer[static_cast<size_t>(k)].push_back(p);
        ++placed;
      }
  if (placed != params.size()) throw std::logic_error("nn::Dcgan: a parameter belongs to no layer");
  return by_layer;
}

void validate(const DcganConfig& c) {
  auto in_range = [](int v, int hi, const char* opt) {
    if (v < 1 || v > hi)
      throw std::invalid_argument(std::string("--") + opt + ": must be in [1, " + std::to_string(hi) + "], got " +
                                  std::to_string(v));
  };
  in_range(c.nz, kMaxLatent, "nz");
  in_range(c.ngf, kMaxFeatureMaps, "ngf");
  in_range(c.ndf, kMaxFeatureMaps, "ndf");
  in_range(c.batch, kMaxBatch, "batch");
  if (c.nc != 1 && c.nc != 3)
    throw std::invalid_argument("nc: the model takes 1 (gray) or 3 (RGB) channels, got " + std::to_string(c.nc));
  if (!supported_image_size(c.image_size))
    throw std::invalid_argument("image size: the DCGAN here is built for 32, 64, 128 or 256 pixels square, got " +
                                std::to_string(c.image_size));
  // The widest layer (ngf or ndf * 2^(L-2)) is bounded so that no tensor exceeds 2^29 elements at any size.
  for (const auto& [fm, opt] : {std::pair{c.ngf, "ngf"}, std::pair{c.ndf, "ndf"}})
    if (widest_channels(fm, c.image_size) > kMaxChannels)
      throw std::invalid_argument(std::string("--") + opt + ": " + std::to_string(fm) + " makes " +
                                  std::to_string(widest_channels(fm, c.image_size)) + " channels in the widest layer at " +
                                  std::to_string(c.image_size) + "x" + std::to_string(c.image_size) + "; at most " +
                                  std::to_string(kMaxChannels) + " (--" + opt + " <= " +
                                  std::to_string(kMaxChannels / (widest_channels(1, c.image_size))) + " at this size)");
  if (c.batch < 2)
    throw std::invalid_argument("--batch: BatchNorm in training mode needs at least 2 images per batch, got " +
                                std::to_string(c.batch));
}

}  // namespace

struct Dcgan::Impl {
  // An eval-mode generator for one batch size (sample()), reading the same Params and Buffers.
  struct Sampler {
    std::unique_ptr<Generator> g;
    Relayout out;  // G's output -> f32 plain NCHW
  };
  // The cached sampler for batch n, built on first request.
  Sampler& sampler(Context& ctx, const DcganConfig& cfg, int n);

  PrecisionPlan plan;
  NetworkTensors g_tensors, d_tensors;
  std::unique_ptr<Generator> g;
  dnnl::memory d_input;       // [B,nc,S,S] what D reads: G's output itself when the descriptors agree
  Reorder fake_to_d;          // G's output -> d_input (inactive when the same memory)
  dnnl::memory real_staging;  // [B,nc,S,S] f32 plain: the host's real batch (d_input itself when f32 plain)
  Reorder real_to_d;          // real_staging -> d_input
  std::unique_ptr<Discriminator> d;
  Relayout fake_host;  // G's output -> f32 plain, for copy_fake
  std::unique_ptr<Adam> adam_g, adam_d;
  std::unique_ptr<GradientAverage> average_g, average_d;  // data-parallel only (ctx.comm of several ranks)
  std::map<int, Sampler> samplers;
  std::vector<float> logits, diff;  // [B] host scratch for the loss

  // sigmoid + BCE of D's last forward pass against `target`; writes d loss/d logits for D's backward.
  BceResult loss(Context& ctx, float target) {
    const auto n = static_cast<int64_t>(logits.size());
    copy_from_memory(ctx, logits.data(), d->logits(), logits.size() * sizeof(float));
    const BceResult r = sigmoid_bce(diff.data(), logits.data(), n, target);
    copy_to_memory(ctx, d->diff_logits(), diff.data(), diff.size() * sizeof(float));
    return r;
  }
};

Dcgan::Dcgan(Context& ctx, const DcganConfig& cfg, const AdamConfig& adam, const PrecisionPlan* plan)
    : ctx_(ctx), cfg_(cfg) {
  validate(cfg);
  impl_ = std::make_unique<Impl>();
  Impl& m = *impl_;
  m.plan = plan ? *plan : plan_for(ctx.precision, layer_count(cfg.image_size));
  if (m.plan.generator.size() != static_cast<size_t>(layer_count(cfg.image_size)) ||
      m.plan.discriminator.size() != m.plan.generator.size())
    throw std::invalid_argument("nn::Dcgan: the precision plan has " + std::to_string(m.plan.generator.size()) +
                                " layers, the networks " + std::to_string(layer_count(cfg.image_size)));
  m.g_tensors = Generator::make_tensors(ctx, cfg);
  m.d_tensors = Discriminator::make_tensors(ctx, cfg);
  const int B = cfg.batch;
  try {
    m.g = std::make_unique<Generator>(ctx, cfg, m.g_tensors, B, /*training=*/true, m.plan);
    const auto in_desc = Discriminator::input_desc(cfg, B, m.plan);
    m.d_input = m.g->out().get_desc() == in_desc ? m.g->out() : make_memory(ctx, in_desc);
    m.fake_to_d = Reorder(ctx, m.g->out(), m.d_input);
    const auto host_image = plain_desc({B, cfg.nc, cfg.image_size, cfg.image_size});
    m.real_staging = in_desc == host_image ? m.d_input : make_memory(ctx, host_image);
    m.real_to_d = Reorder(ctx, m.real_staging, m.d_input);
    m.d = std::make_unique<Discriminator>(ctx, cfg, m.d_tensors, B, m.d_input, m.g->diff_out(), m.plan);
    m.fake_host = relayout_from(ctx, m.g->out(), host_image);
  } catch (const dnnl::error& e) {
    throw std::runtime_error(
        std::string("oneDNN could not build the DCGAN for --engine ") + to_string(ctx.kind) + " --precision " +
        to_string(ctx.precision) + " (" + e.what() + ")" +
        (ctx.precision == Precision::bf16
             ? ": bf16 convolutions need a CPU with AVX-512 (ideally AVX512_BF16); try --precision f32"
             : ""));
  }
  m.adam_g = std::make_unique<Adam>(ctx, generator_params(), adam);
  m.adam_d = std::make_unique<Adam>(ctx, discriminator_params(), adam);
  if (distributed(ctx.comm)) {
    const int L = layer_count(cfg.image_size);
    m.average_g = std::make_unique<GradientAverage>(
        ctx, params_by_layer(generator_params(), L, generator_conv_name, generator_bn_name));
    m.average_d = std::make_unique<GradientAverage>(
        ctx, params_by_layer(discriminator_params(), L, discriminator_conv_name, discriminator_bn_name));
  }
  m.logits.resize(static_cast<size_t>(B));
  m.diff.resize(static_cast<size_t>(B));
}

Dcgan::~Dcgan() = default;

void Dcgan::init_weights(prng::Engine& rng) {
  Impl& m = *impl_;
  weights_init(ctx_, generator_params(), rng);
  weights_init(ctx_, discriminator_params(), rng);
  for (NetworkTensors* t : {&m.g_tensors, &m.d_tensors}) {
    for (auto& b : t->buffers) fill(ctx_, b.value, b.name.ends_with("running_var") ? 1.f : 0.f);
    for (auto& c : t->counts) c.value = 0;
  }
  m.adam_g->reset();
  m.adam_d->reset();
}

StepResult Dcgan::train_step(const float* real, const float* noise) {
  Impl& m = *impl_;
  const size_t image_bytes = static_cast<size_t>(cfg_.batch) * image_elems() * sizeof(float);
  // The master weights may have changed since the last step (optimizer, init, checkpoint load).
  m.g->load_weights();
  m.d->load_weights();
  copy_to_memory(ctx_, m.real_staging, real, image_bytes);
  m.real_to_d.execute(ctx_.stream);
  copy_to_memory(ctx_, m.g->noise(), noise, static_cast<size_t>(cfg_.batch) * cfg_.nz * sizeof(float));

  // (1) Update D: maximize log(D(x)) + log(1 - D(G(z))). Real batch first; G's forward then overwrites the
  // real batch when D reads G's output memory directly, which D no longer needs.
  m.d->forward();
  const BceResult real_r = m.loss(ctx_, 1.f);
  m.d->backward_params(/*accumulate=*/false);
  m.g->forward();
  m.fake_to_d.execute(ctx_.stream);
  m.d->forward();  // on fake.detach(): its own batch statistics
  const BceResult fake_r = m.loss(ctx_, 0.f);
  // Data-parallel: D's grads are final in this pass; their mean over the ranks (the global batch's gradient) is
  // reduced bucket by bucket while it goes on.
  m.d->backward_params(/*accumulate=*/true, m.average_d ? m.average_d->hook() : LayerDone{});
  if (m.average_d) m.average_d->finish();
  m.adam_d->step();
  m.d->load_weights();

  // (2) Update G: maximize log(D(G(z))) through the updated D (training-mode BN, a third batch statistic).
  m.d->forward();
  const BceResult gen_r = m.loss(ctx_, 1.f);
  m.d->backward_input();  // into G's diff_out
  m.g->backward(m.average_g ? m.average_g->hook() : LayerDone{});
  if (m.average_g) m.average_g->finish();
  m.adam_g->step();
  wait(ctx_);
  StepResult r{real_r.loss + fake_r.loss, gen_r.loss, real_r.mean_prob, fake_r.mean_prob, gen_r.mean_prob};
  if (distributed(ctx_.comm)) {  // each rank's values are means over equal slices: their mean is the batch's
    float v[5] = {r.loss_d, r.loss_g, r.d_x, r.d_g_z1, r.d_g_z2};
    ctx_.comm->allreduce_sum(v, 5);
    const float inv = 1.f / static_cast<float>(ctx_.comm->size());
    r = {v[0] * inv, v[1] * inv, v[2] * inv, v[3] * inv, v[4] * inv};
  }
  return r;
}

double Dcgan::gradient_average_seconds() const {
  return impl_->average_g ? impl_->average_g->seconds() + impl_->average_d->seconds() : 0.0;
}

double Dcgan::gradient_wait_seconds() const {
  return impl_->average_g ? impl_->average_g->wait_seconds() + impl_->average_d->wait_seconds() : 0.0;
}

size_t Dcgan::gradient_average_bytes() const {
  return impl_->average_g ? impl_->average_g->bytes() + impl_->average_d->bytes() : 0;
}

void Dcgan::copy_fake(float* dst) const {
  impl_->fake_host.execute(ctx_.stream);
  copy_from_memory(ctx_, dst, impl_->fake_host.mem,
                   static_cast<size_t>(cfg_.batch) * image_elems() * sizeof(float));
}

Dcgan::Impl::Sampler& Dcgan::Impl::sampler(Context& ctx, const DcganConfig& cfg, int n) {
  if (n < 1) throw std::invalid_argument("sample: the number of images must be at least 1, got " + std::to_string(n));
  auto it = samplers.find(n);
  if (it == samplers.end()) {
    Sampler s;
    s.g = std::make_unique<Generator>(ctx, cfg, g_tensors, n, /*training=*/false, plan);
    s.out = relayout_from(ctx, s.g->out(), plain_desc({n, cfg.nc, cfg.image_size, cfg.image_size}));
    it = samplers.emplace(n, std::move(s)).first;
  }
  return it->second;
}

void Dcgan::prepare_sampler(int n) { impl_->sampler(ctx_, cfg_, n); }

void Dcgan::sample(const float* noise, int n, float* out) {
  Impl::Sampler& s = impl_->sampler(ctx_, cfg_, n);
  s.g->load_weights();
  copy_to_memory(ctx_, s.g->noise(), noise, static_cast<size_t>(n) * cfg_.nz * sizeof(float));
  s.g->forward();
  s.out.execute(ctx_.stream);
  copy_from_memory(ctx_, out, s.out.mem, static_cast<size_t>(n) * image_elems() * sizeof(float));
}

std::vector<Param*> Dcgan::generator_params() { return NetworkTensors::pointers(impl_->g_tensors.params); }
std::vector<Param*> Dcgan::discriminator_params() { return NetworkTensors::pointers(impl_->d_tensors.params); }
std::vector<Buffer*> Dcgan::generator_buffers() { return NetworkTensors::pointers(impl_->g_tensors.buffers); }
std::vector<Buffer*> Dcgan::discriminator_buffers() { return NetworkTensors::pointers(impl_->d_tensors.buffers); }
std::vector<BatchCount*> Dcgan::generator_batch_counts() { return NetworkTensors::pointers(impl_->g_tensors.counts); }
std::vector<BatchCount*> Dcgan::discriminator_batch_counts() {
  return NetworkTensors::pointers(impl_->d_tensors.counts);
}
Adam& Dcgan::adam_g() { return *impl_->adam_g; }
const PrecisionPlan& Dcgan::precision_plan() const { return impl_->plan; }
Generator& Dcgan::generator() { return *impl_->g; }
Discriminator& Dcgan::discriminator() { return *impl_->d; }
Adam& Dcgan::adam_d() { return *impl_->adam_d; }

}  // namespace nn
