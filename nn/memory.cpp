// Memories of the model: descriptors, counted allocation, mapped host access, and the one reorder helper.
#include "nn/memory.hpp"

#include "nn/primitive.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

namespace nn {

dt data_type(Precision p) { return p == Precision::bf16 ? dt::bf16 : dt::f32; }

dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims, dt type) {
  static const tag tags[] = {tag::undef, tag::a, tag::ab, tag::abc, tag::abcd, tag::abcde};
  if (dims.empty() || dims.size() > 5) throw std::logic_error("nn::plain_desc: rank 1..5 expected");
  return dnnl::memory::desc(dims, type, tags[dims.size()]);
}

dnnl::memory make_memory(const Context& ctx, const dnnl::memory::desc& d) {
  ++detail::memories_created;
  return dnnl::memory(d, ctx.engine);
}

void wait(const Context& ctx) {
  dnnl::stream s = ctx.stream;  // a handle copy: stream::wait() is not const
  s.wait();
}

static void check_size(const dnnl::memory& m, size_t bytes, const char* what) {
  const size_t have = m.get_desc().get_size();
  if (have != bytes)
    throw std::logic_error(std::string("nn::") + what + ": memory holds " + std::to_string(have) + " bytes, host " +
                           std::to_string(bytes));
}

void copy_to_memory(const Context& ctx, const dnnl::memory& dst, const void* src, size_t bytes) {
  check_size(dst, bytes, "copy_to_memory");
  HostView<std::byte> v(ctx, dst);  // waits: no primitive may still be reading or writing dst
  std::memcpy(v.data(), src, bytes);
}

void copy_from_memory(const Context& ctx, void* dst, const dnnl::memory& src, size_t bytes) {
  check_size(src, bytes, "copy_from_memory");
  HostView<const std::byte> v(ctx, src);
  std::memcpy(dst, v.data(), bytes);
}

void fill(const Context& ctx, const dnnl::memory& m, float value) {
  if (m.get_desc().data_type() != dt::f32) throw std::logic_error("nn::fill: f32 memory expected");
  HostView<float> v(ctx, m);
  for (size_t i = 0, n = v.size(); i < n; ++i) v[i] = value;
}

Reorder::Reorder(const Context& ctx, const dnnl::memory& src, const dnnl::memory& dst, bool accumulate)
    : src_(src), dst_(dst) {
  if (src.get() == dst.get()) return;  // the same memory: nothing to move
  dnnl::primitive_attr attr;
  if (accumulate) {
    dnnl::post_ops po;
    po.append_sum(1.f);
    attr.set_post_ops(po);
  }
  prim_ = make_primitive<dnnl::reorder>(
      dnnl::reorder::primitive_desc(ctx.engine, src.get_desc(), ctx.engine, dst.get_desc(), attr));
}

void Reorder::execute(const dnnl::stream& s) const {
  if (prim_) prim_->execute(s, src_, dst_);
}

Relayout relayout_from(const Context& ctx, const dnnl::memory& produced, const dnnl::memory::desc& wanted) {
  if (produced.get_desc() == wanted) return {produced, Reorder()};
  Relayout r{make_memory(ctx, wanted), Reorder()};
  r.reorder = Reorder(ctx, produced, r.mem);
  return r;
}

Relayout relayout_to(const Context& ctx, const dnnl::memory::desc& computed, const dnnl::memory& target) {
  if (target.get_desc() == computed) return {target, Reorder()};
  Relayout r{make_memory(ctx, computed), Reorder()};
  r.reorder = Reorder(ctx, r.mem, target);
  return r;
}

GradientOut::GradientOut(const Context& ctx, const dnnl::memory::desc& computed, const dnnl::memory& grad)
    : computed_(make_memory(ctx, computed)),
      assign_(ctx, computed_, grad, /*accumulate=*/false),
      add_(ctx, computed_, grad, /*accumulate=*/true) {}

}  // namespace nn
