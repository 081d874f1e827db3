// Checkpoint v2 and PyTorch state_dict interchange in HDF5: model tensors, Adam state, loop state, options.
//
// Layout (../shared/DESIGN.md "Checkpoint v1"; v2 has the same layout):
//   /generator/<state_dict name>, /discriminator/<state_dict name>   PyTorch names, shapes and layouts
//       (ConvTranspose2d weight [in,out,kH,kW]; BatchNorm weight, bias, running_mean, running_var,
//        num_batches_tracked as an int64 scalar), so that h5py + load_state_dict reads them directly.
//   /optimizer/{G,D}/<param name>/{exp_avg,exp_avg_sq}, /optimizer/{G,D}/step   torch.optim.Adam's state
//   /state/...    iteration, epoch, loader position, RNG state, fixed noise; world_size (the processes of a
//                 data-parallel run; absent in files written before it, read as 1)
//   /options      the train options as config text
//   attributes: format = "dcgan-checkpoint", version = 2, image_size = S (32..256; a file without it is read as the
//               size its generator's layer names imply)
// A weights-only file (`--init-from`, `save_weights`) has the same /generator and /discriminator groups
// and format = "dcgan-weights", version = 1.
//
// Version 2 (2026-12): the RNG state continues the portable draws of nn/random/portable_random.hpp; version 1's
// continued std::normal_distribution's. A version 1 checkpoint is refused for --resume (it would not continue the
// same run) and still read for its weights (sample, eval, --init-from).
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace trainer {

inline constexpr const char* kCheckpointFormat = "dcgan-checkpoint";
inline constexpr const char* kWeightsFormat = "dcgan-weights";
inline constexpr int64_t kCheckpointVersion = 2;
inline constexpr int64_t kMaxWorldSize = int64_t{1} << 20;  // processes of one run: a bound for state/world_size
inline constexpr int64_t kWeightsVersion = 1;

// A host copy of one tensor, in PyTorch layout.
struct HostTensor {
  std::string name;
  std::vector<int64_t> shape;  // PyTorch shape; empty for a scalar
  std::vector<float> data;     // f32 values (integer buffers are stored separately, see NetworkState)
};

// One network's state_dict: float tensors (parameters and running statistics) and int64 counters
// (BatchNorm num_batches_tracked), both keyed by state_dict name.
struct NetworkState {
  std::vector<HostTensor> tensors;
  std::map<std::string, int64_t> counters;
};

// torch.optim.Adam state for one network: one step count for all parameters (they are stepped together),
// and the two moments per parameter name.
struct AdamState {
  int64_t step = 0;
  std::vector<HostTensor> exp_avg;     // names are the parameter names
  std::vector<HostTensor> exp_avg_sq;
};

// Everything the loop needs to continue exactly where it stopped.
struct LoopState {
  int64_t iteration = 0;        // iterations completed (the next one to run)
  int64_t epoch = 0;            // loader position of the next batch
  int64_t batch = 0;
  std::string rng;              // prng::Engine (std::mt19937_64) state as text (operator<<)
  std::vector<int64_t> fixed_noise_shape;
  std::vector<float> fixed_noise;
  double wall_seconds = 0;      // training time so far, for the wall_s column
  int64_t world_size = 1;       // processes that trained the run (mpirun -np N); 1 when the file does not say
};

struct Checkpoint {
  NetworkState generator, discriminator;
  AdamState adam_g, adam_d;
  LoopState loop;
  std::string options;          // trainer::to_config_text of the run's options
};

// A checkpoint of a version this build does not resume (an older format's random stream, or a newer build's):
// the file is fine and must be kept, not set aside as damaged.
struct UnsupportedCheckpointVersion : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A sound file whose tensors are not the model's (another --nz, another channel count): it must be kept as it is.
struct CheckpointDoesNotFit : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes atomically: a temporary file in the same directory, fsync'd, renamed over `path`, directory fsync'd.
// On any failure (a full disk) the temporary is removed, `path` and every older file stay as they were, and
// the error is thrown naming the path.
void save_checkpoint(const std::filesystem::path& path, const Checkpoint& ckpt);

// The names and shapes a file's tensors must have (HostTensors without data), checked as each tensor is opened and
// before anything is allocated for it: a 60 KB file declaring a (2^31-1, 64, 4, 4) tensor is refused, not read.
struct StateShapes {
  int image_size = 0;                // the model's S (0: not checked); a file for another size is refused by it
  NetworkState generator, discriminator;
  std::vector<int64_t> fixed_noise;  // a checkpoint's [kGridImages, nz]
};

// No DCGAN tensor here exceeds this (nn/dcgan.hpp's bounds: G main.3 at ngf 1024 is 8192 x 4096 x 4 x 4):
// the bound a declared shape meets when no model is there to compare it with.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 29;

// Reads and validates a checkpoint: format, version (UnsupportedCheckpointVersion), the presence of every part,
// a readable RNG state, and with `expected` every tensor's name and shape before it is read (CheckpointDoesNotFit).
// Throws with the path and what is wrong. Without `expected`, shapes are checked by the caller (see check_shapes).
Checkpoint load_checkpoint(const std::filesystem::path& path, const StateShapes* expected = nullptr);

// The options text a checkpoint holds (/options), without reading its tensors.
std::string read_checkpoint_options(const std::filesystem::path& path);

// Weights only (both networks), in the same groups: for --init-from and for PyTorch interchange.
void save_weights(const std::filesystem::path& path, const NetworkState& generator, const NetworkState& discriminator);
// Reads /generator and /discriminator from a weights file or a checkpoint, checked against `expected` as
// load_checkpoint does. Without data: names and shapes only (what config_from_state needs), nothing allocated.
void load_weights(const std::filesystem::path& path, NetworkState& generator, NetworkState& discriminator,
                  const StateShapes* expected = nullptr, bool with_data = true);

// The image side a generator's state_dict is built for: G's last convolution is main.{3(L-1)} and S = 2^(L+1)
// (nn/architecture.hpp). 0 when its names do not follow the rule.
int image_size_of(const NetworkState& generator);

// Throws std::runtime_error naming the file and the first tensor whose name set or shape differs from `expected`.
void check_shapes(const NetworkState& found, const NetworkState& expected, const std::string& network,
                  const std::string& file);

}  // namespace trainer
