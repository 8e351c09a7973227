#pragma once
// Prototypical Networks (Snell, Swersky & Zemel, NeurIPS 2017): a class's prototype is the mean
// embedding of its support images; a query's logits are minus its squared Euclidean distances to
// the prototypes. Leading dimensions are batch dimensions (e.g. population members).
#include <torch/torch.h>

namespace metaevo::meta {

/// [..., ways * shots, D] class-major support embeddings -> [..., ways, D] prototypes.
torch::Tensor prototypes(const torch::Tensor& support, int64_t ways);

/// [..., Q, D] query embeddings and [..., ways, D] prototypes -> [..., Q, ways] logits.
torch::Tensor proto_logits(const torch::Tensor& query, const torch::Tensor& prototypes);

}  // namespace metaevo::meta
