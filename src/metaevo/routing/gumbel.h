#pragma once
// The straight-through Gumbel-softmax of Gumbel-Matrix routing (Maziarz et al., "Flexible
// Multi-task Networks by Learning Parameter Allocation"): each (task, component) entry of a layer's
// allocation matrix is a two-way choice, connected or not, sampled as a hard 0/1 whose gradient is
// that of the soft sample. Noise comes from an explicit generator, so a resumed run redraws it.
#include <torch/torch.h>

#include <cstdint>

namespace metaevo::routing {

/// Gumbel(0, 1) noise shaped `sizes`, from `generator`.
torch::Tensor gumbel_noise(at::IntArrayRef sizes, at::Generator generator);

/// The connected entry of straight-through samples of the two-way `logits` [..., 2] (index 0 =
/// connected) with `noise` (the logits' shape): in value the hard one-hot's entry 0, in gradient
/// that of soft = softmax((logits + noise) / temperature)[..., 0].
torch::Tensor straight_through(const torch::Tensor& logits, const torch::Tensor& noise, double temperature);

/// The greedy allocation (evaluation): 1 where connected is the likelier choice, else 0; no noise.
torch::Tensor greedy(const torch::Tensor& logits);

/// max(minimum, initial / sqrt(update + 1)): the reference anneals per task update.
double temperature(double initial, double minimum, int64_t update);

}  // namespace metaevo::routing
