// Data-parallel gradients: bucketed allreduce of every Param's grad into its mean over the ranks.
#include "nn/data_parallel.hpp"

#include "nn/dcgan.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace nn {

GradientAverage::GradientAverage(Context& ctx, const std::vector<Param*>& params) : ctx_(ctx) {
  if (!ctx.comm) throw std::logic_error("nn::GradientAverage: the context has no group of processes");
  size_t filled = 0;
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    const size_t bytes = static_cast<size_t>((*it)->numel()) * sizeof(float);
    if (buckets_.empty() || (filled > 0 && filled + bytes > kBucketBytes)) {
      buckets_.emplace_back();
      filled = 0;
    }
    buckets_.back().params.push_back(*it);
    filled += bytes;
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

void GradientAverage::average() {
  const auto start = std::chrono::steady_clock::now();
  const float scale = 1.f / static_cast<float>(ctx_.comm->size());
  for (Bucket& b : buckets_) {
    size_t at = 0;
    for (const Param* p : b.params) {
      const HostView<const float> g(ctx_, p->grad);
      std::memcpy(b.host.data() + at, g.data(), g.size() * sizeof(float));
      at += g.size();
    }
    ctx_.comm->allreduce_sum(b.host.data(), b.host.size());
    at = 0;
    for (const Param* p : b.params) {
      HostView<float> g(ctx_, p->grad);
      for (size_t i = 0; i < g.size(); ++i) g[i] = b.host[at + i] * scale;
      at += g.size();
    }
  }
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

namespace {

void broadcast_memory(Context& ctx, Collectives& comm, const dnnl::memory& m, int root) {
  HostView<unsigned char> v(ctx, m);
  comm.broadcast(v.data(), v.size(), root);
}

uint64_t fnv1a(const unsigned char* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
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
