// `dcgan-onednn sample`: images from a checkpoint's generator in eval mode, as a grid, N files or latent walks.
#pragma once
#include "trainer/options.hpp"

#include <filesystem>
#include <iosfwd>
#include <vector>

namespace trainer {

// Writes the images; returns the files written. Throws std::invalid_argument naming a bad option.
std::vector<std::filesystem::path> sample(const SampleOptions& o, std::ostream& log);

}  // namespace trainer
