// Data-parallel gradients: bucketed allreduce of every Param's grad into its mean over the ranks.
#include "nn/data_parallel.hpp"

#include "nn/dcgan.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace nn {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

GradientAverage::GradientAverage(Context& ctx, const std::vector<std::vector<Param*>>& layers)
    : ctx_(ctx), overlap_(ctx.overlap_gradient_average) {
  if (!ctx.comm) throw std::logic_error("nn::GradientAverage: the context has no group of processes");
  size_t filled = 0;
  for (size_t k = layers.size(); k-- > 0;) {
    if (buckets_.empty() || filled >= kMinBucketBytes) {
      buckets_.emplace_back();
      filled = 0;
    }
    Bucket& b = buckets_.back();
    for (auto it = layers[k].rbegin(); it != layers[k].rend(); ++it) {
      b.params.push_back(*it);
      filled += static_cast<size_t>((*it)->numel()) * sizeof(float);
    }
    b.first_layer = k;
  }
  for (Bucket& b : buckets_) {
    size_t n = 0;
    for (const Param* p : b.params) n += static_cast<size_t>(p->numel());
    b.host.resize(n);
  }
}

size_t GradientAverage::bytes() const {
  size_t n = 0;
  for (const Bucket& b : buckets_) n += b.host.size() * sizeof(float);
  return n;
}

void GradientAverage::start(Bucket& b) {
  size_t at = 0;
  for (const Param* p : b.params) {
    const HostView<const float> g(ctx_, p->grad);  // waits for the stream: the layer's backward has run
    std::memcpy(b.host.data() + at, g.data(), g.size() * sizeof(float));
    at += g.size();
  }
  ctx_.comm->start_allreduce_sum(b.host.data(), b.host.size());
  b.started = true;
}

LayerDone GradientAverage::hook() {
  if (!overlap_) return {};
  return [this](size_t k) { layer_done(k); };
}

void GradientAverage::layer_done(size_t k) {
  const auto t = Clock::now();
  for (Bucket& b : buckets_)
    if (b.first_layer == k) start(b);
  ctx_.comm->progress();
  seconds_ += since(t);
}

void GradientAverage::finish() {
  for (const Bucket& b : buckets_)  // without overlap: all of them, in the order backward would have started them
    if (!b.started) layer_done(b.first_layer);
  const auto t = Clock::now();
  ctx_.comm->wait_all();
  wait_seconds_ += since(t);
  const float scale = 1.f / static_cast<float>(ctx_.comm->size());
  for (Bucket& b : buckets_) {
    b.started = false;
    size_t at = 0;
    for (const Param* p : b.params) {
      HostView<float> g(ctx_, p->grad);
      for (size_t i = 0; i < g.size(); ++i) g[i] = b.host[at + i] * scale;
      at += g.size();
    }
  }
  seconds_ += since(t);
}

namespace {

void broadcast_memory(Context& ctx, Collectives& comm, const dnnl::memory& m, int root) {
  HostView<unsigned char> v(ctx, m);
  comm.broadcast(v.data(), v.size(), root);
}

}  // namespace

void broadcast_model(Dcgan& model, Collectives& comm, int root) {
  Context& ctx = model.context();
  for (const auto& params : {model.generator_params(), model.discriminator_params()})
    for (Param* p : params) broadcast_memory(ctx, comm, p->value, root);
  for (const auto& buffers : {model.generator_buffers(), model.discriminator_buffers()})
    for (Buffer* b : buffers) broadcast_memory(ctx, comm, b->value, root);
  for (const auto& counts : {model.generator_batch_counts(), model.discriminator_batch_counts()})
    for (BatchCount* c : counts) comm.broadcast(&c->value, sizeof c->value, root);
  for (Adam* adam : {&model.adam_g(), &model.adam_d()}) {
    for (Adam::Slot& s : adam->slots()) {
      broadcast_memory(ctx, comm, s.exp_avg, root);
      broadcast_memory(ctx, comm, s.exp_avg_sq, root);
    }
    int64_t t = adam->step_count();
    comm.broadcast(&t, sizeof t, root);
    adam->set_step_count(t);
  }
}

std::optional<std::string> find_diverged_weights(Dcgan& model, Collectives& comm) {
  std::vector<Param*> all = model.generator_params();
  for (Param* p : model.discriminator_params()) all.push_back(p);
  std::vector<uint64_t> mine(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const HostView<const unsigned char> v(model.context(), all[i]->value);
    mine[i] = fnv1a(v.data(), v.size());
  }
  const int R = comm.size();
  std::vector<uint64_t> every(mine.size() * R);
  comm.allgather(mine.data(), mine.size() * sizeof(uint64_t), every.data());
  for (size_t i = 0; i < all.size(); ++i)
    for (int r = 1; r < R; ++r)
      if (every[r * all.size() + i] != every[i]) {
        char msg[96];
        std::snprintf(msg, sizeof msg, "rank 0 has %016llx, rank %d has %016llx",
                      static_cast<unsigned long long>(every[i]), r,
                      static_cast<unsigned long long>(every[r * all.size() + i]));
        const bool in_g = i < model.generator_params().size();
        return std::string(in_g ? "G " : "D ") + all[i]->name + " differs across ranks: " + msg;
      }
  return std::nullopt;
}

}  // namespace nn
