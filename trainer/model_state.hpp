// Copies between the nn model and host state_dict tensors (checkpoints, weights files), and tensor norms.
#pragma once
#include "nn/dcgan.hpp"
#include "trainer/checkpoint.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace trainer {

enum class Net { generator, discriminator };
enum class Which { value, grad };

// The network's state_dict: parameters, running statistics and num_batches_tracked, in PyTorch layouts.
NetworkState capture_network(nn::Dcgan& model, Net net);
// Writes a state_dict back into the model. Tensors are matched by name; call check_shapes first.
void restore_network(nn::Dcgan& model, Net net, const NetworkState& state);

// The names and shapes of the model's state_dicts (no values): what a file must declare to be loaded into it.
StateShapes state_shapes(nn::Dcgan& model);

// Both networks' state_dicts from a weights file or checkpoint, each tensor's name and shape checked against the
// model before it is read: --init-from and `sample`/`eval`.
void load_into(nn::Dcgan& model, const std::filesystem::path& file);

// Both networks' state_dicts, checked against the model's names and shapes (throwing with `file` and the first
// tensor that differs) and then restored. Used for --init-from, for sampling from a checkpoint, and by resume.
void restore_checked(nn::Dcgan& model, const NetworkState& g, const NetworkState& d, const std::string& file);

// torch.optim.Adam's state of one network (step count and both moments per parameter).
AdamState capture_adam(nn::Dcgan& model, Net net);
void restore_adam(nn::Dcgan& model, Net net, const AdamState& state);

// Sum of squares of each parameter's value or gradient (double accumulation), in the order given.
std::vector<double> squared_norms(nn::Context& ctx, const std::vector<nn::Param*>& params, Which which);

// The model configuration a checkpoint's generator and discriminator tensors imply (nz, ngf, ndf, nc).
// Throws naming the file when a tensor the DCGAN needs is absent or of an unexpected rank.
nn::DcganConfig config_from_state(const NetworkState& g, const NetworkState& d, const std::string& file);

// The DCGAN a checkpoint or weights file describes (nz, ngf, ndf, nc from its tensor shapes), with its
// parameters and running statistics loaded: what `sample` and `eval` run. `batch` sizes the training primitives
// the model also builds (BatchNorm in training mode needs two images; sampling uses eval-mode generators).
std::unique_ptr<nn::Dcgan> load_model(nn::Context& ctx, const std::filesystem::path& file, int batch = 2);

}  // namespace trainer
