// Tests of checkpoint v2 and weights files: exact round trip, format/version refusal, atomicity, shape checks.
#include "pipeline/atomic_file.hpp"
#include "pipeline/h5.hpp"
#include "support/run.hpp"
#include "trainer/checkpoint.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace fs = std::filesystem;
using namespace trainer;

namespace {

HostTensor tensor(const std::string& name, std::vector<int64_t> shape, std::mt19937& rng) {
  HostTensor t{name, shape, {}};
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::normal_distribution<float> nd;
  for (int64_t i = 0; i < n; ++i) t.data.push_back(nd(rng));
  return t;
}

Checkpoint sample_checkpoint() {
  std::mt19937 rng(7);
  Checkpoint c;
  c.generator.tensors = {tensor("main.0.weight", {8, 4, 4, 4}, rng), tensor("main.1.weight", {4}, rng),
                         tensor("main.1.bias", {4}, rng), tensor("main.1.running_mean", {4}, rng),
                         tensor("main.1.running_var", {4}, rng)};
  c.generator.counters["main.1.num_batches_tracked"] = 41;
  c.discriminator.tensors = {tensor("main.0.weight", {2, 3, 4, 4}, rng)};
  c.adam_g.step = 41;
  for (const char* n : {"main.0.weight", "main.1.weight", "main.1.bias"}) {
    const auto& src = *std::find_if(c.generator.tensors.begin(), c.generator.tensors.end(),
                                    [&](const HostTensor& t) { return t.name == n; });
    c.adam_g.exp_avg.push_back(tensor(n, src.shape, rng));
    c.adam_g.exp_avg_sq.push_back(tensor(n, src.shape, rng));
  }
  c.adam_d.step = 41;
  c.adam_d.exp_avg.push_back(tensor("main.0.weight", {2, 3, 4, 4}, rng));
  c.adam_d.exp_avg_sq.push_back(tensor("main.0.weight", {2, 3, 4, 4}, rng));
  c.loop.iteration = 42;
  c.loop.epoch = 3;
  c.loop.batch = 5;
  std::mt19937_64 engine(99);
  engine.discard(1234);
  std::ostringstream rs;
  rs << engine;
  c.loop.rng = rs.str();
  c.loop.fixed_noise_shape = {64, 8};
  c.loop.fixed_noise = tensor("noise", {64, 8}, rng).data;
  c.loop.wall_seconds = 12.5;
  c.options = "batch = 4\nlr = 0.0002\n";
  return c;
}

void expect_same(const std::vector<HostTensor>& a, const std::vector<HostTensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& t : a) {
    auto it = std::find_if(b.begin(), b.end(), [&](const HostTensor& u) { return u.name == t.name; });
    ASSERT_NE(it, b.end()) << t.name;
    EXPECT_EQ(it->shape, t.shape) << t.name;
    EXPECT_EQ(it->data, t.data) << t.name;  // bit-exact
  }
}

}  // namespace

TEST(Checkpoint, RoundTripIsExact) {
  const fs::path dir = testsupport::fresh_dir("ckpt_roundtrip");
  const Checkpoint c = sample_checkpoint();
  save_checkpoint(dir / "ckpt.h5", c);
  ASSERT_TRUE(fs::exists(dir / "ckpt.h5"));
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename(), "ckpt.h5") << "temporary left";
  const Checkpoint r = load_checkpoint(dir / "ckpt.h5");
  expect_same(r.generator.tensors, c.generator.tensors);
  expect_same(r.discriminator.tensors, c.discriminator.tensors);
  EXPECT_EQ(r.generator.counters, c.generator.counters);
  EXPECT_EQ(r.adam_g.step, 41);
  expect_same(r.adam_g.exp_avg, c.adam_g.exp_avg);
  expect_same(r.adam_g.exp_avg_sq, c.adam_g.exp_avg_sq);
  expect_same(r.adam_d.exp_avg, c.adam_d.exp_avg);
  EXPECT_EQ(r.loop.iteration, 42);
  EXPECT_EQ(r.loop.epoch, 3);
  EXPECT_EQ(r.loop.batch, 5);
  EXPECT_EQ(r.loop.rng, c.loop.rng);
  EXPECT_EQ(r.loop.fixed_noise, c.loop.fixed_noise);
  EXPECT_EQ(r.loop.fixed_noise_shape, c.loop.fixed_noise_shape);
  EXPECT_EQ(r.loop.wall_seconds, 12.5);
  EXPECT_EQ(r.options, c.options);
  // The RNG state restores the same stream.
  std::mt19937_64 a(99), b;
  a.discard(1234);
  std::istringstream(r.loop.rng) >> b;
  EXPECT_EQ(a(), b());
}

TEST(Checkpoint, RefusesOtherFormatsAndVersionsByName) {
  const fs::path dir = testsupport::fresh_dir("ckpt_refuse");
  save_checkpoint(dir / "ok.h5", sample_checkpoint());
  {
    h5::File f = h5::File::open(dir / "ok.h5", true);
    h5::set_attr(f.id(), "version", int64_t{7}, f.file());
  }
  try {
    load_checkpoint(dir / "ok.h5");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("version 7"), std::string::npos) << e.what();
  }
  {
    h5::File f = h5::File::create(dir / "cache.h5");
    h5::set_attr(f.id(), "format", std::string("dcgan-cache"), f.file());
    h5::set_attr(f.id(), "version", int64_t{1}, f.file());
  }
  try {
    load_checkpoint(dir / "cache.h5");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'dcgan-cache'"), std::string::npos) << e.what();
  }
  // A truncated file (a crash without the atomic rename would leave one) is refused, not half-read.
  const std::string bytes = testsupport::slurp(dir / "ok.h5");
  { std::ofstream(dir / "trunc.h5", std::ios::binary) << bytes.substr(0, bytes.size() / 2); }
  EXPECT_THROW(load_checkpoint(dir / "trunc.h5"), std::exception);
}

// Version 1 continued std::normal_distribution's stream: resuming it would not be the same run, so it is refused
// with the way out named, while its weights stay usable (sample, eval, --init-from).
TEST(Checkpoint, Version1IsRefusedForResumeButItsWeightsAreRead) {
  const fs::path dir = testsupport::fresh_dir("ckpt_v1");
  const Checkpoint c = sample_checkpoint();
  save_checkpoint(dir / "v1.h5", c);
  {
    h5::File f = h5::File::open(dir / "v1.h5", true);
    h5::set_attr(f.id(), "version", int64_t{1}, f.file());
  }
  try {
    load_checkpoint(dir / "v1.h5");
    FAIL() << "a version 1 checkpoint must not resume";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("version 1"), std::string::npos) << m;
    EXPECT_NE(m.find("--init-from " + (dir / "v1.h5").string()), std::string::npos) << m;
  }
  NetworkState g, d;
  load_weights(dir / "v1.h5", g, d);
  expect_same(g.tensors, c.generator.tensors);
  expect_same(d.tensors, c.discriminator.tensors);
}

TEST(Checkpoint, MissingPartIsReportedAsIncomplete) {
  const fs::path dir = testsupport::fresh_dir("ckpt_incomplete");
  save_checkpoint(dir / "c.h5", sample_checkpoint());
  {
    h5::File f = h5::File::open(dir / "c.h5", true);
    H5Ldelete(f.id(), "state/rng", H5P_DEFAULT);
  }
  try {
    load_checkpoint(dir / "c.h5");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("incomplete checkpoint"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rng"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, FailedWriteLeavesPreviousFileIntact) {
  const fs::path dir = testsupport::fresh_dir("ckpt_fail");
  save_checkpoint(dir / "c.h5", sample_checkpoint());
  const std::string before = testsupport::slurp(dir / "c.h5");
  Checkpoint bad = sample_checkpoint();
  bad.generator.tensors[0].data.pop_back();  // inconsistent: the write must fail midway
  EXPECT_THROW(save_checkpoint(dir / "c.h5", bad), std::exception);
  EXPECT_EQ(testsupport::slurp(dir / "c.h5"), before);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) ++files, (void)e;
  EXPECT_EQ(files, 1) << "the temporary must be removed";
}

TEST(Checkpoint, FullDiskLeavesPreviousFileIntact) {
  // /dev/full returns ENOSPC on every write: a checkpoint directory on a full disk, without needing one.
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full not available";
  const fs::path dir = testsupport::fresh_dir("ckpt_full");
  save_checkpoint(dir / "c.h5", sample_checkpoint());
  const std::string before = testsupport::slurp(dir / "c.h5");
  // The temporary name is predictable: make it a symlink to /dev/full so the new write hits ENOSPC.
  fs::create_symlink("/dev/full", pipeline::temp_path_for(dir / "c.h5"));
  EXPECT_THROW(save_checkpoint(dir / "c.h5", sample_checkpoint()), std::runtime_error);
  EXPECT_EQ(testsupport::slurp(dir / "c.h5"), before);
}

TEST(Checkpoint, ShapeCheckNamesTensor) {
  const Checkpoint c = sample_checkpoint();
  NetworkState expected = c.generator;
  expected.tensors[0].shape = {8, 4, 4, 5};
  try {
    check_shapes(c.generator, expected, "generator", "x.h5");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("main.0.weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[8,4,4,4]"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(check_shapes(c.generator, c.generator, "generator", "x.h5"));
}

TEST(Weights, RoundTripAndCheckpointIsAlsoAWeightsFile) {
  const fs::path dir = testsupport::fresh_dir("weights_roundtrip");
  const Checkpoint c = sample_checkpoint();
  save_weights(dir / "w.h5", c.generator, c.discriminator);
  NetworkState g, d;
  load_weights(dir / "w.h5", g, d);
  expect_same(g.tensors, c.generator.tensors);
  EXPECT_EQ(g.counters, c.generator.counters);
  save_checkpoint(dir / "c.h5", c);
  load_weights(dir / "c.h5", g, d);
  expect_same(d.tensors, c.discriminator.tensors);
}

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// A tensor's declared shape is checked before anything is allocated for it: a small file declaring a
// (2^31-1, 64, 4, 4) tensor (dataset created, never written: HDF5 allocates its storage late) is refused at once.
TEST(Weights, HugeDeclaredTensorIsRefusedBeforeReading) {
  const fs::path dir = testsupport::fresh_dir("weights_huge");
  const Checkpoint c = sample_checkpoint();
  save_weights(dir / "w.h5", c.generator, c.discriminator);
  {
    h5::File f = h5::File::open(dir / "w.h5", true);
    h5::Location g = f.group("generator");
    h5::create_dataset(g, "main.99.weight", H5T_NATIVE_FLOAT, {2147483647ull, 64, 4, 4});
  }
  EXPECT_LT(fs::file_size(dir / "w.h5"), 200u * 1024);
  NetworkState g, d;
  const std::string e = error_of([&] { load_weights(dir / "w.h5", g, d); });
  EXPECT_NE(e.find("'main.99.weight' declares shape [2147483647,64,4,4]"), std::string::npos) << e;
  // Against a model's shapes: the unknown tensor is named before its data is touched.
  StateShapes want;
  for (const auto& t : c.generator.tensors) want.generator.tensors.push_back({t.name, t.shape, {}});
  want.generator.counters = c.generator.counters;
  for (const auto& t : c.discriminator.tensors) want.discriminator.tensors.push_back({t.name, t.shape, {}});
  try {
    load_weights(dir / "w.h5", g, d, &want);
    FAIL();
  } catch (const CheckpointDoesNotFit& x) {
    EXPECT_NE(std::string(x.what()).find("unexpected generator tensor 'main.99.weight'"), std::string::npos) << x.what();
  }
  // Names and shapes only (how sample and eval learn the model first): refused the same way.
  EXPECT_THROW(load_weights(dir / "w.h5", g, d, nullptr, false), std::runtime_error);
}

TEST(Checkpoint, ShapesAreCheckedBeforeReadingAndMismatchIsNotDamage) {
  const fs::path dir = testsupport::fresh_dir("ckpt_expected");
  const Checkpoint c = sample_checkpoint();
  save_checkpoint(dir / "c.h5", c);
  StateShapes want;
  for (const auto& t : c.generator.tensors) want.generator.tensors.push_back({t.name, t.shape, {}});
  want.generator.counters = c.generator.counters;
  for (const auto& t : c.discriminator.tensors) want.discriminator.tensors.push_back({t.name, t.shape, {}});
  want.fixed_noise = c.loop.fixed_noise_shape;
  EXPECT_NO_THROW(load_checkpoint(dir / "c.h5", &want));
  want.fixed_noise = {64, 9};
  EXPECT_THROW(load_checkpoint(dir / "c.h5", &want), CheckpointDoesNotFit);
  want.fixed_noise = c.loop.fixed_noise_shape;
  want.discriminator.tensors[0].shape = {2, 1, 4, 4};  // another channel count
  const std::string e = error_of([&] { load_checkpoint(dir / "c.h5", &want); });
  EXPECT_NE(e.find("discriminator tensor 'main.0.weight' has shape [2,3,4,4], the model needs [2,1,4,4]"),
            std::string::npos) << e;
}

// A loop state that cannot continue the run is named, not reported as a bare library error.
TEST(Checkpoint, EmptyOrGarbageRngStateIsNamed) {
  const fs::path dir = testsupport::fresh_dir("ckpt_rng");
  for (const std::string& rng : {std::string(), std::string("12 not an engine state")}) {
    Checkpoint c = sample_checkpoint();
    save_checkpoint(dir / "c.h5", c);
    {
      h5::File f = h5::File::open(dir / "c.h5", true);
      h5::Location s = f.group("state");
      H5Ldelete(s.id(), "rng", H5P_DEFAULT);
      h5::write_strings(s, "rng", {rng});
    }
    const std::string e = error_of([&] { load_checkpoint(dir / "c.h5"); });
    EXPECT_NE(e.find("incomplete checkpoint"), std::string::npos) << e;
    EXPECT_NE(e.find(rng.empty() ? "'rng' is empty" : "not the text of a std::mt19937_64 state"), std::string::npos)
        << e;
    EXPECT_EQ(e.find("_M_range_check"), std::string::npos) << e;
  }
}
