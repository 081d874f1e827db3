// The generator as an ONNX model (onnx_export.hpp): ModelProto built with libonnx's protobuf classes, checked by
// onnx::checker and by strict shape inference, serialized by protobuf.
#include "trainer/onnx_export.hpp"

#include "nn/architecture.hpp"
#include "nn/batchnorm.hpp"
#include "pipeline/atomic_file.hpp"
#include "trainer/model_state.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <limits>
#include <map>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;

namespace {

constexpr const char* kInput = "z";
constexpr const char* kOutput = "image";
constexpr const char* kBatchDim = "N";

void set_float_type(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  auto* shape = t->mutable_shape();
  shape->add_dim()->set_dim_param(kBatchDim);
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

void add_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INTS);
  for (int64_t x : v) a->add_ints(x);
}

// The state_dict tensors by name, each taken once.
class Initializers {
 public:
  Initializers(const NetworkState& g, onnx::GraphProto* graph) : graph_(graph) {
    for (const auto& t : g.tensors) by_name_[t.name] = &t;
  }

  // Adds "<name>" as an initializer with the shape `want`; returns its name.
  std::string add(const std::string& name, const std::vector<int64_t>& want) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) throw std::runtime_error("generator tensor '" + name + "' is missing");
    const HostTensor& t = *it->second;
    if (t.shape != want) throw std::runtime_error("generator tensor '" + name + "' has another shape than the rule's");
    auto* p = graph_->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (int64_t d : t.shape) p->add_dims(d);
    // raw_data is little-endian by the ONNX spec, as this build's floats are (npy.cpp's static_assert).
    p->set_raw_data(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
    return name;
  }

 private:
  onnx::GraphProto* graph_;
  std::map<std::string, const HostTensor*> by_name_;
};

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::string& name,
                          const std::vector<std::string>& inputs, const std::string& output) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

void add_metadata(onnx::ModelProto& m, const std::string& key, const std::string& value) {
  auto* p = m.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

onnx::ModelProto build(const NetworkState& gen, const nn::DcganConfig& c, const std::string& source) {
  onnx::ModelProto m;
  m.set_ir_version(kOnnxIrVersion);
  m.set_producer_name("dcgan-onednn");
  m.set_producer_version(DCGAN_VERSION);
  m.set_model_version(1);
  m.set_doc_string("DCGAN generator in eval mode (BatchNorm with running statistics): z [N, nz, 1, 1] -> image "
                   "[N, nc, S, S] in [-1, 1]");
  m.add_opset_import()->set_version(kOnnxOpset);  // the default domain
  add_metadata(m, "image_size", std::to_string(c.image_size));
  add_metadata(m, "nz", std::to_string(c.nz));
  add_metadata(m, "ngf", std::to_string(c.ngf));
  add_metadata(m, "nc", std::to_string(c.nc));
  add_metadata(m, "source", source);

  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("dcgan_generator");
  set_float_type(g->add_input(), kInput, {c.nz, 1, 1});
  set_float_type(g->add_output(), kOutput, {c.nc, c.image_size, c.image_size});
  Initializers init(gen, g);
  const float eps = nn::BatchNorm::Options{}.eps;  // what the generator's BatchNorm layers use
  const int layers = nn::layer_count(c.image_size);
  std::string x = kInput;
  for (int i = 0; i < layers; ++i) {
    const nn::ConvGeometry geo = nn::generator_layer(1, c.nz, c.ngf, c.nc, c.image_size, i);
    const std::string conv = nn::generator_conv_name(i);
    const bool last = i == layers - 1;
    const std::string w = init.add(conv + ".weight", {geo.in_channels, geo.out_channels, geo.kernel, geo.kernel});
    // Tanh's output is the graph's: the last convolution's is main.{3(L-1)}, Tanh is main.{3(L-1)+1}.
    auto* n = add_node(g, "ConvTranspose", conv, {x, w}, conv);
    add_ints(n, "kernel_shape", {geo.kernel, geo.kernel});
    add_ints(n, "strides", {geo.stride, geo.stride});
    add_ints(n, "pads", {geo.padding, geo.padding, geo.padding, geo.padding});
    if (last) {
      add_node(g, "Tanh", "main." + std::to_string(3 * i + 1), {conv}, kOutput);
      break;
    }
    const std::string bn = nn::generator_bn_name(i);
    const std::vector<int64_t> ch{geo.out_channels};
    auto* b = add_node(g, "BatchNormalization", bn,
                       {conv, init.add(bn + ".weight", ch), init.add(bn + ".bias", ch),
                        init.add(bn + ".running_mean", ch), init.add(bn + ".running_var", ch)},
                       bn);
    auto* a = b->add_attribute();
    a->set_name("epsilon");
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(eps);
    x = "main." + std::to_string(3 * i + 2);
    add_node(g, "Relu", x, {bn}, x);
  }
  return m;
}

// Strict shape inference from z's declared shape alone must give image [N, nc, S, S].
void check_inferred_output(const onnx::ModelProto& m, const nn::DcganConfig& c) {
  onnx::ModelProto copy = m;
  copy.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(),
                                     onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1));
  const auto& t = copy.graph().output(0).type().tensor_type();
  std::string got;
  bool ok = t.has_shape() && t.shape().dim_size() == 4 && t.shape().dim(0).dim_param() == kBatchDim;
  for (int i = 0; t.has_shape() && i < t.shape().dim_size(); ++i) {
    const auto& d = t.shape().dim(i);
    got += (i ? ", " : "") + (d.has_dim_value() ? std::to_string(d.dim_value()) : d.dim_param());
    const int64_t want = i == 1 ? c.nc : c.image_size;
    if (i > 0 && (!d.has_dim_value() || d.dim_value() != want)) ok = false;
  }
  if (!ok)
    throw std::runtime_error("ONNX shape inference gives the output [" + got + "], not [N, " + std::to_string(c.nc) +
                             ", " + std::to_string(c.image_size) + ", " + std::to_string(c.image_size) + "]");
}

}  // namespace

std::string generator_onnx_model(const NetworkState& generator, const nn::DcganConfig& config,
                                 const std::string& source, int* nodes) {
  const onnx::ModelProto m = build(generator, config, source);
  if (m.ByteSizeLong() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw std::runtime_error("the generator's ONNX model would be " + std::to_string(m.ByteSizeLong() >> 20) +
                             " MiB, over protobuf's 2 GiB limit (external data is not written)");
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw std::runtime_error("protobuf could not serialize the ONNX model");
  // What is checked is what a reader gets: the serialized bytes, parsed back.
  onnx::ModelProto back;
  if (!back.ParseFromString(bytes)) throw std::runtime_error("protobuf could not parse back the serialized model");
  try {
    onnx::checker::check_model(back);
    check_inferred_output(back, config);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("ONNX's checker refused the generator model: ") + e.what());
  }
  if (nodes) *nodes = m.graph().node_size();
  return bytes;
}

OnnxExport export_generator_onnx(const fs::path& checkpoint, const fs::path& out) {
  nn::Context ctx = nn::make_context(nn::EngineKind::cpu, nn::Precision::f32);
  auto model = load_model(ctx, checkpoint);  // every tensor's name and shape checked against the rule
  OnnxExport r;
  r.config = model->config();
  const std::string bytes =
      generator_onnx_model(capture_network(*model, Net::generator), r.config, checkpoint.string(), &r.nodes);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  pipeline::write_file_atomic(out, bytes);  // only a model the checker passed
  r.bytes = static_cast<int64_t>(bytes.size());
  return r;
}

}  // namespace trainer
