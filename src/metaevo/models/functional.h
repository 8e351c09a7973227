#pragma once
// A torch::nn::Sequential run with other parameters than its own: the forward pass of the same
// layers as a function of plain tensors, differentiable in them, for inner loops that step
// parameters themselves (meta's inner loop, mlo's MAML). The network only describes the layers.
#include <torch/torch.h>

#include <vector>

namespace metaevo::models {

/// `net`'s forward with `params` (in net->parameters() order) in place of its parameters.
/// Layers: Linear, Conv2d, BatchNorm2d (always batch statistics, as in training mode; running
/// averages are neither used nor updated) and parameter-free ones (ReLU, Tanh, pools, Flatten).
torch::Tensor functional_forward(torch::nn::Sequential net, const torch::Tensor& x,
                                 const std::vector<torch::Tensor>& params);

/// Explicit padding of a Conv2d; an Error for 'same' padding. (The options hold a variant that is
/// c10::variant in LibTorch 1.x and std::variant in 2.x.)
std::vector<int64_t> conv_padding(const torch::nn::detail::ConvNdOptions<2>& options);

}  // namespace metaevo::models
