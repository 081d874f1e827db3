// Checkpoints (version 2) and weights files in HDF5 (see checkpoint.hpp for the layout).
#include "trainer/checkpoint.hpp"

#include "pipeline/h5.hpp"
#include "portable_random.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <stdexcept>

namespace trainer {

namespace fs = std::filesystem;

namespace {

std::vector<hsize_t> to_dims(const std::vector<int64_t>& shape) {
  return std::vector<hsize_t>(shape.begin(), shape.end());
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string o = "[";
  for (size_t i = 0; i < s.size(); ++i) o += (i ? "," : "") + std::to_string(s[i]);
  return o + "]";
}

std::vector<std::string> names_of(const NetworkState& n) {
  std::vector<std::string> names;
  for (const auto& t : n.tensors) names.push_back(t.name);
  return names;
}

int64_t elems(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

void write_tensor(const h5::Location& g, const std::string& name, const HostTensor& t) {
  if (static_cast<int64_t>(t.data.size()) != elems(t.shape))
    throw std::logic_error("tensor '" + t.name + "' has " + std::to_string(t.data.size()) + " values for shape " +
                           shape_str(t.shape));
  h5::write(g, name, to_dims(t.shape), t.data.data());
}

// Refuses what a tensor declares before anything is allocated for it: a name the model does not have, a shape
// other than the model's, or (without a model to compare with) more elements than any DCGAN tensor has.
void check_declared(const std::string& group, const std::string& name, const std::vector<int64_t>& shape,
                    const NetworkState* expected, const std::string& file) {
  if (!expected) {
    double n = 1;
    for (auto d : shape) n *= static_cast<double>(d);
    if (n > static_cast<double>(kMaxTensorElements))
      throw std::runtime_error("'" + file + "': " + group + " tensor '" + name + "' declares shape " +
                               shape_str(shape) + ", more than the " + std::to_string(kMaxTensorElements) +
                               " elements any DCGAN tensor here has");
    return;
  }
  for (const auto& e : expected->tensors)
    if (e.name == name) {
      if (e.shape != shape)
        throw CheckpointDoesNotFit("'" + file + "': " + group + " tensor '" + name + "' has shape " + shape_str(shape) +
                                 ", the model needs " + shape_str(e.shape) + " (different --nz/--ngf/--ndf or channels?)");
      return;
    }
  if (!expected->counters.count(name))
    throw CheckpointDoesNotFit("'" + file + "': unexpected " + group + " tensor '" + name +
                               "' (a different architecture?)");
}

HostTensor read_tensor(const h5::Location& g, const std::string& path, const std::string& name,
                       const std::string& group, const NetworkState* expected, bool with_data) {
  h5::Handle d = h5::open_dataset(g, path);
  const auto dims = h5::dataset_dims(d.id(), "dataset '" + group + "/" + path + "'", g.file());
  HostTensor t{name, std::vector<int64_t>(dims.begin(), dims.end()), {}};
  check_declared(group, name, t.shape, expected, g.file());
  if (with_data) t.data = h5::read<float>(g, path);
  return t;
}

// One value of a scalar dataset (a checkpoint's loop state), named when it is missing or empty.
template <class T>
T read_scalar(const h5::Location& loc, const std::string& name) {
  const auto v = h5::read<T>(loc, name);
  if (v.size() != 1)
    throw h5::Error("'" + name + "' holds " + std::to_string(v.size()) + " values, not one");
  return v[0];
}

std::string read_string(const h5::Location& loc, const std::string& name) {
  const auto v = h5::read_strings(loc, name);
  if (v.size() != 1 || v[0].empty())
    throw h5::Error("'" + name + "' is empty");
  return v[0];
}

void write_network(const h5::Location& root, const std::string& group, const NetworkState& net) {
  h5::Location g = root.create_group(group);
  for (const auto& t : net.tensors) write_tensor(g, t.name, t);
  for (const auto& [name, v] : net.counters) h5::write(g, name, {}, &v);  // int64 scalar, as PyTorch's buffer
}

// Reads every dataset of a group: float tensors (names and shapes only without data), and integer scalars as
// counters. With `expected`, each tensor's name and shape are checked before it is read.
NetworkState read_network(const h5::Location& root, const std::string& group, const NetworkState* expected,
                          bool with_data = true) {
  h5::Location g = root.group(group);
  NetworkState net;
  for (const std::string& name : g.links()) {
    h5::Handle d = h5::open_dataset(g, name);
    h5::Handle type(H5Dget_type(d.id()), H5Tclose);
    h5::check(type.id(), "reading the type of '" + group + "/" + name + "'", g.file());
    const auto dims = h5::dataset_dims(d.id(), "dataset '" + group + "/" + name + "'", g.file());
    if (H5Tget_class(type.id()) == H5T_INTEGER && dims.empty()) {
      net.counters[name] = read_scalar<int64_t>(g, name);
    } else {
      net.tensors.push_back(read_tensor(g, name, name, group, expected, with_data));
    }
  }
  return net;
}

void write_adam(const h5::Location& root, const std::string& group, const AdamState& a) {
  h5::Location g = root.create_group(group);
  h5::write(g, "step", {}, &a.step);
  if (a.exp_avg.size() != a.exp_avg_sq.size()) throw std::logic_error("Adam state: moment lists differ in length");
  for (size_t i = 0; i < a.exp_avg.size(); ++i) {
    write_tensor(g, a.exp_avg[i].name + "/exp_avg", a.exp_avg[i]);
    write_tensor(g, a.exp_avg_sq[i].name + "/exp_avg_sq", a.exp_avg_sq[i]);
  }
}

AdamState read_adam(const h5::Location& root, const std::string& group, const NetworkState& net) {
  h5::Location g = root.group(group);
  AdamState a;
  a.step = read_scalar<int64_t>(g, "step");
  // Moments exist for the parameters (weights and BatchNorm weight/bias), not for running statistics.
  for (const auto& t : net.tensors) {
    if (!g.exists(t.name + "/exp_avg")) continue;
    const NetworkState same_shape{{HostTensor{t.name, t.shape, {}}}, {}};  // a moment has its parameter's shape
    a.exp_avg.push_back(read_tensor(g, t.name + "/exp_avg", t.name, group, &same_shape, true));
    a.exp_avg_sq.push_back(read_tensor(g, t.name + "/exp_avg_sq", t.name, group, &same_shape, true));
  }
  return a;
}

// The file's format, checked against `accepted`; returns its version (checked by the caller).
int64_t check_format(const h5::File& f, const std::set<std::string>& accepted, std::string* format) {
  if (!h5::has_attr(f.id(), "format"))
    throw std::runtime_error("'" + f.file() + "' has no 'format' attribute: not a dcgan-onednn checkpoint or weights file");
  const std::string fmt = h5::get_attr_string(f.id(), "format", f.file());
  if (!accepted.count(fmt)) {
    std::string want;
    for (const auto& a : accepted) want += (want.empty() ? "" : " or ") + ("'" + a + "'");
    throw std::runtime_error("'" + f.file() + "' has format '" + fmt + "', expected " + want);
  }
  *format = fmt;
  return h5::get_attr_int(f.id(), "version", f.file());
}

int image_size_of_names(const std::vector<std::string>& generator_names) {
  int last = -1;
  for (const auto& n : generator_names) {
    int i = 0;
    if (std::sscanf(n.c_str(), "main.%d.weight", &i) == 1 && n == "main." + std::to_string(i) + ".weight" &&
        i % 3 == 0)
      last = std::max(last, i / 3);
  }
  return last >= 2 && last <= 8 ? 1 << (last + 2) : 0;
}

// What a file says it holds: its image_size attribute, or (files written before it existed) what the generator's
// names imply.
int declared_image_size(const h5::File& f) {
  if (h5::has_attr(f.id(), "image_size")) return static_cast<int>(h5::get_attr_int(f.id(), "image_size", f.file()));
  return image_size_of_names(f.group("generator").links());
}

void check_image_size(const h5::File& f, const StateShapes* expected) {
  if (!expected || expected->image_size == 0) return;
  const int found = declared_image_size(f);
  if (found != expected->image_size)
    throw CheckpointDoesNotFit("'" + f.file() + "' holds a DCGAN for " + std::to_string(found) + "x" +
                               std::to_string(found) + " images; this model is for " +
                               std::to_string(expected->image_size) + "x" + std::to_string(expected->image_size));
}

std::string unknown_version(const h5::File& f, const std::string& fmt, int64_t v, int64_t readable) {
  return "'" + f.file() + "' is " + fmt + " version " + std::to_string(v) + "; this build reads version " +
         std::to_string(readable) + " (written by a different dcgan-onednn?)";
}

template <class Writer>
void write_atomic_h5(const fs::path& path, Writer&& body) {
  try {
    h5::write_file_atomic(path, body);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot write '" + path.string() + "' (previous files are untouched): " + e.what());
  }
}

}  // namespace

int image_size_of(const NetworkState& generator) { return image_size_of_names(names_of(generator)); }

void save_checkpoint(const fs::path& path, const Checkpoint& c) {
  write_atomic_h5(path, [&](h5::File& f) {
    h5::set_attr(f.id(), "format", std::string(kCheckpointFormat), f.file());
    h5::set_attr(f.id(), "version", kCheckpointVersion, f.file());
    h5::set_attr(f.id(), "image_size", int64_t{image_size_of(c.generator)}, f.file());
    write_network(f, "generator", c.generator);
    write_network(f, "discriminator", c.discriminator);
    write_adam(f, "optimizer/G", c.adam_g);
    write_adam(f, "optimizer/D", c.adam_d);
    h5::Location s = f.create_group("state");
    h5::write(s, "iteration", {}, &c.loop.iteration);
    h5::write(s, "epoch", {}, &c.loop.epoch);
    h5::write(s, "batch", {}, &c.loop.batch);
    h5::write(s, "wall_seconds", {}, &c.loop.wall_seconds);
    h5::write(s, "world_size", {}, &c.loop.world_size);
    h5::write_strings(s, "rng", {c.loop.rng});
    h5::write(s, "fixed_noise", to_dims(c.loop.fixed_noise_shape), c.loop.fixed_noise.data());
    h5::write_strings(f, "options", {c.options});
  });
}

Checkpoint load_checkpoint(const fs::path& path, const StateShapes* expected) {
  h5::File f = h5::File::open(path);
  std::string fmt;
  const int64_t v = check_format(f, {kCheckpointFormat}, &fmt);
  if (v == 1)
    throw UnsupportedCheckpointVersion("'" + path.string() + "' is a version 1 checkpoint, written before the noise, "
                                       "shuffling and weight-init draws became the same on every platform (version "
                                       "2): resuming it would not continue the same run. Start a new run, from its "
                                       "weights if you like: --init-from " + path.string());
  if (v != kCheckpointVersion) throw UnsupportedCheckpointVersion(unknown_version(f, fmt, v, kCheckpointVersion));
  check_image_size(f, expected);
  Checkpoint c;
  try {
    c.generator = read_network(f, "generator", expected ? &expected->generator : nullptr);
    c.discriminator = read_network(f, "discriminator", expected ? &expected->discriminator : nullptr);
    c.adam_g = read_adam(f, "optimizer/G", c.generator);
    c.adam_d = read_adam(f, "optimizer/D", c.discriminator);
    h5::Location s = f.group("state");
    c.loop.iteration = read_scalar<int64_t>(s, "iteration");
    c.loop.epoch = read_scalar<int64_t>(s, "epoch");
    c.loop.batch = read_scalar<int64_t>(s, "batch");
    c.loop.wall_seconds = read_scalar<double>(s, "wall_seconds");
    // Written since data-parallel training; an older version 2 file was written by one process.
    c.loop.world_size = s.exists("world_size") ? read_scalar<int64_t>(s, "world_size") : 1;
    if (c.loop.world_size < 1 || c.loop.world_size > kMaxWorldSize)
      throw h5::Error("'state/world_size' is " + std::to_string(c.loop.world_size) + ", outside [1, " +
                      std::to_string(kMaxWorldSize) + "]");
    c.loop.rng = read_string(s, "rng");
    prng::Engine probe;
    if (!(std::istringstream(c.loop.rng) >> probe))
      throw h5::Error("'state/rng' is not the text of a std::mt19937_64 state");
    const NetworkState noise_shape{{HostTensor{"fixed_noise", expected ? expected->fixed_noise : std::vector<int64_t>{}, {}}},
                                   {}};
    const HostTensor noise =
        read_tensor(s, "fixed_noise", "fixed_noise", "state", expected ? &noise_shape : nullptr, true);
    c.loop.fixed_noise = noise.data;
    c.loop.fixed_noise_shape = noise.shape;
    c.options = read_string(f, "options");
  } catch (const h5::Error& e) {
    throw std::runtime_error("incomplete checkpoint '" + path.string() + "': " + e.what());
  }
  return c;
}

std::string read_checkpoint_options(const fs::path& path) {
  h5::File f = h5::File::open(path);
  std::string fmt;
  check_format(f, {kCheckpointFormat}, &fmt);
  return read_string(f, "options");
}

void save_weights(const fs::path& path, const NetworkState& generator, const NetworkState& discriminator) {
  write_atomic_h5(path, [&](h5::File& f) {
    h5::set_attr(f.id(), "format", std::string(kWeightsFormat), f.file());
    h5::set_attr(f.id(), "version", kWeightsVersion, f.file());
    h5::set_attr(f.id(), "image_size", int64_t{image_size_of(generator)}, f.file());
    write_network(f, "generator", generator);
    write_network(f, "discriminator", discriminator);
  });
}

void load_weights(const fs::path& path, NetworkState& generator, NetworkState& discriminator,
                  const StateShapes* expected, bool with_data) {
  h5::File f = h5::File::open(path);
  std::string fmt;
  const int64_t v = check_format(f, {kWeightsFormat, kCheckpointFormat}, &fmt);
  // Both checkpoint versions hold the same tensors: only the loop state's random stream changed in version 2.
  const int64_t newest = fmt == kWeightsFormat ? kWeightsVersion : kCheckpointVersion;
  if (v < 1 || v > newest) throw std::runtime_error(unknown_version(f, fmt, v, newest));
  check_image_size(f, expected);
  generator = read_network(f, "generator", expected ? &expected->generator : nullptr, with_data);
  discriminator = read_network(f, "discriminator", expected ? &expected->discriminator : nullptr, with_data);
}

void check_shapes(const NetworkState& found, const NetworkState& expected, const std::string& network,
                  const std::string& file) {
  std::map<std::string, const HostTensor*> by_name;
  for (const auto& t : found.tensors) by_name[t.name] = &t;
  for (const auto& e : expected.tensors) {
    auto it = by_name.find(e.name);
    if (it == by_name.end())
      throw std::runtime_error("'" + file + "': " + network + " tensor '" + e.name + "' is missing");
    if (it->second->shape != e.shape)
      throw std::runtime_error("'" + file + "': " + network + " tensor '" + e.name + "' has shape " +
                               shape_str(it->second->shape) + ", the model needs " + shape_str(e.shape) +
                               " (different --nz/--ngf/--ndf or channels?)");
    by_name.erase(it);
  }
  if (!by_name.empty())
    throw std::runtime_error("'" + file + "': unexpected " + network + " tensor '" + by_name.begin()->first +
                             "' (a different architecture?)");
  for (const auto& [name, v] : expected.counters)
    if (!found.counters.count(name))
      throw std::runtime_error("'" + file + "': " + network + " buffer '" + name + "' is missing");
}

}  // namespace trainer
