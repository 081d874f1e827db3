// The DCGAN tutorial's weights_init, deterministic for a given engine (portable_random.hpp).
//
// Radford et al. 2015, section 4: "All weights were initialized from a zero-centered Normal distribution with
// standard deviation 0.02". The tutorial's weights_init: Conv*/ConvTranspose* weight ~ N(0, 0.02); BatchNorm
// weight ~ N(1, 0.02) and bias = 0 (the tutorial text's N(0, 0.02) for the BatchNorm weight is a known bug).
#pragma once
#include "nn/context.hpp"
#include "nn/param.hpp"

#include "portable_random.hpp"

#include <vector>

namespace nn {

// Initializes params in the given order (state_dict order): rank-4 tensors are convolution weights, rank-1
// "weight" BatchNorm gamma, rank-1 "bias" BatchNorm beta.
void weights_init(Context& ctx, const std::vector<Param*>& params, prng::Engine& rng);

}  // namespace nn
