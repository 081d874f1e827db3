// libFuzzer target: the checkpoint and weights reader (trainer/checkpoint.hpp). The input is written as an HDF5 file
// and read every way the commands read one: load_checkpoint without shapes (the caller checks them) and with the
// shapes of a small model (resume: each tensor's name and shape checked before it is read), load_weights names and
// shapes only (sample and eval learn the model from it), then with data against the model (--init-from), and
// read_checkpoint_options; config_from_state on the names and shapes, as `sample` does. The model's shapes are those of the committed seed weights file (32 px, nz = ngf = ndf = 4).
#include "fuzz_support.hpp"

#include "trainer/checkpoint.hpp"
#include "trainer/model_state.hpp"

#include <cstdlib>

namespace {

// The names and shapes of the seed's networks, read once (without data) from the committed corpus.
const trainer::StateShapes& model_shapes() {
  static const trainer::StateShapes shapes = [] {
    trainer::StateShapes s;
    trainer::load_weights(DCGAN_FUZZ_MODEL_FILE, s.generator, s.discriminator, nullptr, false);
    s.image_size = trainer::image_size_of(s.generator);
    int64_t nz = 0;
    for (const auto& t : s.generator.tensors)
      if (t.name == "main.0.weight") nz = t.shape.at(0);
    s.fixed_noise = {64, nz};
    if (s.image_size == 0 || nz == 0) std::abort();
    return s;
  }();
  return shapes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchDir dir;
  const trainer::StateShapes& shapes = model_shapes();
  const auto path = dir.write("ckpt_0000001.h5", {data, size});
  fuzz::expected_errors([&] { (void)trainer::load_checkpoint(path); });
  fuzz::expected_errors([&] {
    const trainer::Checkpoint c = trainer::load_checkpoint(path, &shapes);
    trainer::check_shapes(c.generator, shapes.generator, "generator", path.string());
    trainer::check_shapes(c.discriminator, shapes.discriminator, "discriminator", path.string());
  });
  fuzz::expected_errors([&] {
    trainer::NetworkState g, d;
    trainer::load_weights(path, g, d, nullptr, false);
    (void)trainer::image_size_of(g);
    (void)trainer::config_from_state(g, d, path.string());
  });
  fuzz::expected_errors([&] {
    trainer::NetworkState g, d;
    trainer::load_weights(path, g, d, &shapes, true);
  });
  fuzz::expected_errors([&] { (void)trainer::read_checkpoint_options(path); });
  return 0;
}
