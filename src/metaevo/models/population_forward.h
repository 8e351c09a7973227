#pragma once
// Forward pass of a whole population slice of one torch::nn::Sequential as batched tensor work,
// on one common minibatch.
//
// Member i's parameters are center + sigma * s_i * z_{k(i)} (or explicit samples). No member's
// weights are built for Linear layers: each layer computes the shared base product once and adds
// the perturbation product per noise index, so the two members of a mirrored pair share both the
// base product and the perturbation product (they differ by sign) while the input is shared.
//   full rank:   y_i = x W^T + s_i sigma (x Z_k^T)                 (bmm)
//   low rank:    y_i = x W^T + s_i sigma ((x B_k) A_k^T)           (EGGROLL; E never formed)
// Conv2d uses the same scheme with stacked / grouped convolutions; low-rank conv perturbations are
// a conv with B (r output channels) followed by a grouped 1x1 conv with A.
// Supported layers: Linear, Conv2d, ReLU, Tanh, GELU, Flatten, MaxPool2d.
#include <torch/torch.h>

#include "metaevo/es/population.h"

namespace metaevo::models {

/// Logits of members [begin, end) for input x ([B, ...], shared by all members): [n, B, out].
/// Parameters of `model` are only read for their shapes; the values come from `pop`.
torch::Tensor population_forward(const torch::nn::Sequential& model, const es::Population& pop, int64_t begin,
                                 int64_t end, const torch::Tensor& x);

/// Multiply-adds per input example of one member's forward pass (for FLOP/s reporting).
double forward_macs(const torch::nn::Sequential& model, const std::vector<int64_t>& input_shape);

}  // namespace metaevo::models
