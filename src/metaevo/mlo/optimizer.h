#pragma once
// The optimizer of one problem, written as a function of (parameters, gradients) so the same update
// can run outside the graph (ordinary training) or inside it (iterative differentiation through an
// unrolled inner loop, where every step must stay differentiable with respect to the upper level).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "metaevo/core/options.h"

namespace metaevo::mlo {

using Params = std::vector<torch::Tensor>;

struct OptimizerOptions {
  std::string optimizer = "sgd";  // sgd | adam
  double lr = 0.1;
  double momentum = 0.0;  // sgd
  bool nesterov = false;  // sgd
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam
  template <class V>
  void visit(V& v) {
    v("optimizer", optimizer, "sgd | adam");
    v("lr", lr, "learning rate");
    v("momentum", momentum, "sgd: momentum (0 = plain gradient descent)");
    v("nesterov", nesterov, "sgd: Nesterov momentum");
    v("weight_decay", weight_decay, "L2 penalty added to the gradient");
    v("beta1", beta1, "adam: first-moment decay");
    v("beta2", beta2, "adam: second-moment decay");
    v("eps", eps, "adam: denominator floor");
  }
  void validate() const;
};

/// The optimizer's running state (momentum or Adam moments, and the step count).
struct OptimizerState {
  Params first, second;
  int64_t steps = 0;
  OptimizerState clone() const;
  OptimizerState detached() const;
};

class Optimizer {
 public:
  explicit Optimizer(OptimizerOptions options) : o_(std::move(options)) {}
  /// The parameters after one step on `grads`. With `differentiable`, the result (and the state)
  /// are functions of params and grads in the autograd graph; otherwise fresh leaves that require
  /// grad, with no history.
  Params step(const Params& params, const Params& grads, bool differentiable);
  OptimizerState& state() { return state_; }
  const OptimizerState& state() const { return state_; }
  const OptimizerOptions& options() const { return o_; }

 private:
  OptimizerOptions o_;
  OptimizerState state_;
};

/// Leaves with the same values, requiring grad: the start of a new stretch of graph.
Params detach_params(const Params& params);
/// Deep copies (no shared storage), requiring grad as the originals do.
Params clone_params(const Params& params);

}  // namespace metaevo::mlo
