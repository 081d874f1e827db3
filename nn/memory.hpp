// Memories of the model: descriptors, counted allocation, mapped host access, and the one reorder helper.
//
// Reorders sit only at model boundaries and where two primitives truly want different layouts or data types
// (oneDNN "memory format propagation": convolutions pick their layout through format_tag::any, bandwidth-bound
// ops follow the layout they are given). Every such reorder is built here, once, by relayout_from/relayout_to or
// GradientOut; when the descriptors already agree no reorder exists and the consumer reads the producer's memory.
#pragma once
#include "nn/context.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace nn {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// The oneDNN data type of a precision.
dt data_type(Precision p);

// Row-major descriptor over dims (format a, ab, abc, abcd ...): PyTorch's contiguous layout.
dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims, dt type = dt::f32);

// Allocates a memory on the context's engine (counted, see nn/primitive.hpp). oneDNN zero-fills the padding
// of blocked layouts it allocates.
dnnl::memory make_memory(const Context& ctx, const dnnl::memory::desc& d);

// Waits until every primitive submitted to the context's stream has finished (before host access).
void wait(const Context& ctx);

// Host access to a memory: the one place the host touches engine memory (every transfer goes through it). Waits
// for the stream, then maps through dnnl::memory::map_data: a plain pointer on the CPU engine, a mapped region
// on a GPU engine (written back at unmap). Under Context::emulate_device the CPU takes the GPU's path: the view
// is a separate host copy, written back when the view ends, and a memory viewed for writing holds NaN poison
// meanwhile (a primitive that runs on it while mapped computes garbage, as on a GPU). T const: read-only access.
template <class T>
class HostView {
 public:
  HostView(const Context& ctx, const dnnl::memory& m) : mem_(m), bytes_(m.get_desc().get_size()) {
    wait(ctx);
    using U = std::remove_const_t<T>;
    U* mapped = m.map_data<U>();
    if (!mapped) throw std::runtime_error("nn::HostView: oneDNN could not map a memory to the host");
    if (!ctx.emulate_device) {
      ptr_ = mapped;
      return;
    }
    copy_.resize(bytes_);
    std::memcpy(copy_.data(), mapped, bytes_);
    if constexpr (!std::is_const_v<T>) std::memset(static_cast<void*>(mapped), 0xFF, bytes_);  // NaN while mapped
    m.unmap_data(mapped);
    ptr_ = reinterpret_cast<T*>(copy_.data());
  }
  HostView(const HostView&) = delete;
  HostView& operator=(const HostView&) = delete;
  ~HostView() {
    using U = std::remove_const_t<T>;
    if (copy_.empty()) {
      mem_.unmap_data(const_cast<U*>(ptr_));
      return;
    }
    if constexpr (!std::is_const_v<T>) {  // write back, as unmapping a GPU buffer does
      U* mapped = mem_.map_data<U>();
      if (mapped) {
        std::memcpy(static_cast<void*>(mapped), copy_.data(), bytes_);
        mem_.unmap_data(mapped);
      }
    }
  }
  T* data() const { return ptr_; }
  size_t size() const { return bytes_ / sizeof(T); }  // elements, padding included
  T& operator[](size_t i) const { return ptr_[i]; }

 private:
  dnnl::memory mem_;
  size_t bytes_;
  std::vector<std::byte> copy_;  // the emulated device's mapped region (empty on the plain path)
  T* ptr_ = nullptr;
};

// Copies bytes between host arrays and a memory (mapped). The memory's size must equal `bytes`.
void copy_to_memory(const Context& ctx, const dnnl::memory& dst, const void* src, size_t bytes);
void copy_from_memory(const Context& ctx, void* dst, const dnnl::memory& src, size_t bytes);
// Sets every byte of a memory to zero / every f32 element to `value` (plain f32 memories).
void fill(const Context& ctx, const dnnl::memory& m, float value);

// A reorder built once. `accumulate` adds into dst (oneDNN sum post-op) instead of overwriting it.
// Default-constructed or built with src and dst the same memory: nothing to do.
class Reorder {
 public:
  Reorder() = default;
  Reorder(const Context& ctx, const dnnl::memory& src, const dnnl::memory& dst, bool accumulate = false);
  void execute(const dnnl::stream& s) const;
  bool active() const { return prim_.has_value(); }

 private:
  std::optional<dnnl::reorder> prim_;
  mutable dnnl::memory src_, dst_;  // reorder::execute takes non-const references
};

// A tensor in the descriptor one side wants, connected to a memory the other side owns.
struct Relayout {
  dnnl::memory mem;  // what the primitive reads (relayout_from) or writes (relayout_to)
  Reorder reorder;   // inactive when `mem` is the other side's memory itself
  void execute(const dnnl::stream& s) const { reorder.execute(s); }
};

// Forward direction: a consumer wants `wanted` and the producer wrote `produced`. Either `produced` itself, or
// a new memory in `wanted` and the reorder produced -> mem (run it after the producer, before the consumer).
Relayout relayout_from(const Context& ctx, const dnnl::memory& produced, const dnnl::memory::desc& wanted);
// Backward direction: a primitive computes a tensor in `computed` that belongs in `target`. Either `target`
// itself, or a new memory in `computed` and the reorder mem -> target (run it after the primitive).
Relayout relayout_to(const Context& ctx, const dnnl::memory::desc& computed, const dnnl::memory& target);

// A parameter gradient as a primitive computes it (its diff_weights / diff_scale descriptor), delivered into the
// f32 plain Param::grad: overwriting it (the first backward after zero_grad) or adding to it (PyTorch's
// accumulation of a second backward, e.g. D's fake batch after its real batch).
class GradientOut {
 public:
  GradientOut() = default;
  GradientOut(const Context& ctx, const dnnl::memory::desc& computed, const dnnl::memory& grad);
  const dnnl::memory& computed() const { return computed_; }  // the primitive's diff_* argument
  void deliver(const dnnl::stream& s, bool accumulate) const { (accumulate ? add_ : assign_).execute(s); }

 private:
  dnnl::memory computed_;
  Reorder assign_, add_;
};

}  // namespace nn
