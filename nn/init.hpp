// The DCGAN tutorial's weights_init, deterministic for a given std::mt19937_64.
//
// Radford et al. 2015, section 4: "All weights were initialized from a zero-centered Normal distribution with
// standard deviation 0.02". The tutorial's weights_init: Conv*/ConvTranspose* weight ~ N(0, 0.02); BatchNorm
// weight ~ N(1, 0.02) and bias = 0 (the tutorial text's N(0, 0.02) for the BatchNorm weight is a known bug).
#pragma once
#include "nn/context.hpp"
#include "nn/param.hpp"

#include <random>
#include <vector>

namespace nn {

// One N(mean, std) draw by the Box-Muller transform on two 53-bit uniforms: the same numbers on every standard
// library, unlike std::normal_distribution.
double normal_draw(std::mt19937_64& rng, double mean, double stddev);

// Initializes params in the given order (state_dict order): rank-4 tensors are convolution weights, rank-1
// "weight" BatchNorm gamma, rank-1 "bias" BatchNorm beta.
void weights_init(Context& ctx, const std::vector<Param*>& params, std::mt19937_64& rng);

}  // namespace nn
