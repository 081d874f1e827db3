// The one place oneDNN primitives and memories of the model are created, with counters that prove reuse.
//
// oneDNN's training idiom (examples/cnn_training_f32.cpp) builds every primitive once and only calls execute()
// afterwards. Every nn layer creates its primitives through make_primitive() and its memories through
// make_memory() (nn/memory.hpp), so a test can read these counters before and after a training step and see
// that nothing was created in between.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <atomic>
#include <cstdint>

namespace nn {

namespace detail {
inline std::atomic<int64_t> primitives_created{0};
inline std::atomic<int64_t> memories_created{0};
}  // namespace detail

// Primitives / memory objects created so far by nn, process-wide.
inline int64_t primitives_created() { return detail::primitives_created.load(); }
inline int64_t memories_created() { return detail::memories_created.load(); }

// Creates primitive P (convolution_forward, reorder, ...) from its primitive descriptor and counts it.
template <class P, class PD>
P make_primitive(const PD& pd) {
  ++detail::primitives_created;
  return P(pd);
}

}  // namespace nn
