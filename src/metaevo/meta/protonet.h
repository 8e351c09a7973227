#pragma once
// Prototypical Networks (Snell, Swersky & Zemel, NeurIPS 2017): a class's prototype is the mean
// embedding of its support images; a query's logits are minus its squared Euclidean distances to
// the prototypes. Leading dimensions are batch dimensions (e.g. population members).
#include <torch/torch.h>

namespace metaevo::meta {

/// The standard conv4 encoder: 4 x [conv3x3 `channels` filters (padding 1), batch-norm, ReLU,
/// max-pool 2], flattened (64 features for 28x28 inputs and 64 channels). Initialised from `seed`.
torch::nn::Sequential make_conv4(int64_t in_channels, int64_t channels, uint64_t seed);

/// [..., ways * shots, D] class-major support embeddings -> [..., ways, D] prototypes.
torch::Tensor prototypes(const torch::Tensor& support, int64_t ways);

/// [..., Q, D] query embeddings and [..., ways, D] prototypes -> [..., Q, ways] logits.
torch::Tensor proto_logits(const torch::Tensor& query, const torch::Tensor& prototypes);

}  // namespace metaevo::meta
