#pragma once
// A gradient optimizer (SGD, Adam) written as a function of (parameters, gradients), with its state
// in plain tensors: the same update runs outside the graph (ordinary training) or inside it (mlo's
// iterative differentiation through an unrolled inner loop, where every step must stay
// differentiable with respect to the upper level), and a model that grows can grow its state too.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "metaevo/core/options.h"

namespace metaevo::models {

using Params = std::vector<torch::Tensor>;

/// An update rule, chosen by `optimizer: sgd` or `optimizer: {name: adam, lr: 0.001}`:
/// each rule reads its own settings.
struct SgdOptions {
  double lr = 0.1, momentum = 0.0, weight_decay = 0.0;
  bool nesterov = false;
  template <class V>
  void visit(V& v) {
    v("lr", lr, "learning rate");
    v("momentum", momentum, "momentum (0 = plain gradient descent)");
    v("nesterov", nesterov, "Nesterov momentum");
    v("weight_decay", weight_decay, "L2 penalty added to the gradient");
  }
  void validate() const;
};

struct AdamOptions {
  double lr = 0.001, weight_decay = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  template <class V>
  void visit(V& v) {
    v("lr", lr, "learning rate");
    v("weight_decay", weight_decay, "L2 penalty added to the gradient");
    v("beta1", beta1, "first-moment decay");
    v("beta2", beta2, "second-moment decay");
    v("eps", eps, "denominator floor");
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
  /// The rule `choice` names (sgd | adam) with its settings; an Error naming choice.origin
  /// otherwise.
  explicit Optimizer(const Choice& choice);
  /// The parameters after one step on `grads`. With `differentiable`, the result (and the state)
  /// are functions of params and grads in the autograd graph; otherwise fresh leaves that require
  /// grad, with no history.
  Params step(const Params& params, const Params& grads, bool differentiable);
  OptimizerState& state() { return state_; }
  const OptimizerState& state() const { return state_; }
  bool adam() const { return adam_; }

 private:
  bool adam_ = false;
  double lr_ = 0, weight_decay_ = 0, momentum_ = 0, beta1_ = 0, beta2_ = 0, eps_ = 0;
  bool nesterov_ = false;
  OptimizerState state_;
};

/// Leaves with the same values, requiring grad: the start of a new stretch of graph.
Params detach_params(const Params& params);
/// Deep copies (no shared storage), requiring grad as the originals do.
Params clone_params(const Params& params);

}  // namespace metaevo::models
