#pragma once
// A meta-objective whose cost grows with an inner loop, for the memory study: from initial encoder
// weights theta, K steps of gradient descent on the support set's own prototypical loss (every
// weight adapted, step alpha), then the query loss of the adapted encoder. Its meta-gradient
// d loss / d theta is computed two ways:
//  - autodiff through the K steps (second-order MAML): the graph of every step is kept, so memory
//    grows linearly with K;
//  - ES: each perturbed theta runs the K steps with no graph kept between steps, and the
//    perturbations are regenerated from counter-based noise instead of stored, so memory stays flat.
#include <torch/torch.h>

#include <vector>

#include "metaevo/data/episodes.h"

namespace metaevo::meta {

struct InnerLoopOptions {
  int64_t steps = 5;    // K
  double alpha = 0.01;  // inner step size
};

using Params = std::vector<torch::Tensor>;

/// models::make_conv4's network as a function of its parameters (its parameters() order: per
/// block conv weight, conv bias, batch-norm weight, batch-norm bias): models::functional_forward,
/// so batch-norm on batch statistics.
torch::Tensor conv4_functional(const torch::Tensor& x, const Params& params);

/// The query loss after the inner loop from `theta`. With `differentiable`, the inner steps stay in
/// the graph (create_graph), so the result can be differentiated with respect to theta.
torch::Tensor inner_loop_loss(const Params& theta, const data::Episode& episode, int64_t ways,
                              const InnerLoopOptions& o, bool differentiable);

/// The exact meta-gradient by autodiff through the inner loop.
Params meta_gradient_autodiff(const Params& theta, const data::Episode& episode, int64_t ways,
                              const InnerLoopOptions& o);

/// The ES estimate with `pairs` antithetic pairs of perturbations of scale sigma:
/// sum_i (L(theta + sigma e_i) - L(theta - sigma e_i)) e_i / (2 sigma pairs), e_i from (seed, i).
Params meta_gradient_es(const Params& theta, const data::Episode& episode, int64_t ways, const InnerLoopOptions& o,
                        int64_t pairs, double sigma, uint64_t seed);

}  // namespace metaevo::meta
