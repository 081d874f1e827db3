// Named tensors of the model as PyTorch's state_dict names them: learnable Params, BatchNorm Buffers and counters.
#pragma once
#include "nn/context.hpp"
#include "nn/memory.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nn {

// One learnable tensor. `value` is the f32 master copy in PyTorch's plain contiguous layout (what the optimizer
// updates and checkpoints store); layers reorder it into the layout and precision their primitives want.
struct Param {
  std::string name;            // state_dict name in the reference nn.Sequential: "main.0.weight", "main.1.bias" ...
  std::vector<int64_t> shape;  // PyTorch shape: Conv2d weight [out,in,kH,kW], ConvTranspose2d [in,out,kH,kW], BN [C]
  dnnl::memory value;          // f32, plain row-major over `shape`
  dnnl::memory grad;           // f32, same layout and shape: d loss / d value after a backward pass
  int64_t numel() const {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
};

// Called by a network's backward pass once layer k's weight grads are final (k from the last layer down to 0).
using LayerDone = std::function<void(size_t k)>;

// A BatchNorm running statistic: "main.1.running_mean" / "main.1.running_var", f32 [C].
struct Buffer {
  std::string name;
  std::vector<int64_t> shape;
  dnnl::memory value;
};

// BatchNorm's num_batches_tracked ("main.1.num_batches_tracked"): a host int64 counted as PyTorch counts it
// (+1 per training-mode forward pass).
struct BatchCount {
  std::string name;
  int64_t value = 0;
};

// The named tensors of one network in state_dict order, at stable addresses (layers hold references).
struct NetworkTensors {
  std::deque<Param> params;
  std::deque<Buffer> buffers;     // running_mean, running_var of each BatchNorm, in order
  std::deque<BatchCount> counts;  // num_batches_tracked of each BatchNorm

  Param& param(const std::string& name) { return find(params, name); }
  Buffer& buffer(const std::string& name) { return find(buffers, name); }
  BatchCount& count(const std::string& name) { return find(counts, name); }
  template <class T>
  static std::vector<T*> pointers(std::deque<T>& d) {
    std::vector<T*> v;
    for (auto& x : d) v.push_back(&x);
    return v;
  }

 private:
  template <class T>
  static T& find(std::deque<T>& d, const std::string& name) {
    for (auto& x : d)
      if (x.name == name) return x;
    throw std::logic_error("nn: no tensor named '" + name + "'");
  }
};

// A Param whose value and grad (zeroed) are allocated in `d`: a descriptor of the same bytes as PyTorch's plain
// layout of `shape` (e.g. oneDNN dims {OC,IC,KH,KW} in iohw order for a ConvTranspose2d [in,out,kH,kW]).
inline Param make_param(const Context& ctx, std::string name, std::vector<int64_t> shape, const dnnl::memory::desc& d) {
  Param p{std::move(name), std::move(shape), make_memory(ctx, d), make_memory(ctx, d)};
  fill(ctx, p.value, 0.f);
  fill(ctx, p.grad, 0.f);
  return p;
}

// A Buffer [n] f32 set to `value` (running_mean 0, running_var 1 as PyTorch initializes them).
inline Buffer make_buffer(const Context& ctx, std::string name, int64_t n, float value) {
  Buffer b{std::move(name), {n}, make_memory(ctx, plain_desc({n}))};
  fill(ctx, b.value, value);
  return b;
}

}  // namespace nn
