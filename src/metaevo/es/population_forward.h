#pragma once
// Forward pass of a whole population slice of one torch::nn::Sequential as batched tensor work,
// on one common minibatch.
//
// Member i's parameters are center + sigma * s_i * z_{k(i)} (or explicit samples). No member's
// weights are built for Linear layers: each layer computes the shared base product once and adds
// the perturbation product, so while the input is shared the two members of a mirrored pair share
// the base product and the product with Z_k (full rank) or B_k (low rank); the rank-r product
// with A_k is accumulated per member into its activations, which saves a pass over them.
//   full rank:   y_i = x W^T + s_i sigma (x Z_k^T)                 (bmm)
//   low rank:    y_i = x W^T + s_i sigma ((x B_k) A_k^T)           (EGGROLL; E never formed)
// Conv2d uses the same scheme with stacked / grouped convolutions; low-rank conv perturbations are
// a conv with B (r output channels) followed by a grouped 1x1 conv with A.
// On the CPU convolutions run in channels-last, and BatchNorm2d -> ReLU -> 2x2 MaxPool2d runs as
// one step that pools before normalising (batch_norm_relu_pool says why that is exact).
// Supported layers: Linear, Conv2d, BatchNorm2d (batch statistics per member, see
// batch_norm2d), ReLU, Tanh, GELU, Flatten, MaxPool2d, AvgPool2d.
#include <torch/torch.h>

#include "metaevo/es/population.h"

namespace metaevo::es {

/// One generation's population on one minibatch. Construction does the work every slice shares
/// (parameters as float on the device; the layers before the first parameterised one; that
/// layer's base product with the shared input), so slices evaluated separately - in parallel
/// chunks, or on other ranks - do not repeat it. Parameters of `model` are only read for their
/// shapes; the values come from `pop`, which must outlive this object.
class PopulationForward {
 public:
  PopulationForward(const torch::nn::Sequential& model, const Population& pop, const torch::Tensor& x);

  /// Logits of members [begin, end): [n, B, out]. Safe to call concurrently.
  torch::Tensor operator()(int64_t begin, int64_t end) const;

 private:
  torch::nn::Sequential model_;
  const Population& pop_;
  Layout layout_;
  torch::Tensor center_;       // float32 on the input's device
  size_t first_ = 0;           // index of the first parameterised layer
  torch::Tensor input_;        // activations entering it, shared by all members
  torch::Tensor shared_base_;  // its product with the base weights (no bias)
};

/// Convenience for one slice: PopulationForward(model, pop, x)(begin, end).
torch::Tensor population_forward(const torch::nn::Sequential& model, const Population& pop, int64_t begin, int64_t end,
                                 const torch::Tensor& x);

/// Multiply-adds per input example of one member's forward pass (for FLOP/s reporting).
double forward_macs(const torch::nn::Sequential& model, const std::vector<int64_t>& input_shape);

}  // namespace metaevo::es
