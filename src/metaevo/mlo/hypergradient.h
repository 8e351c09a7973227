#pragma once
// How a lower problem's best response is differentiated with respect to an upper problem's
// parameters. A hypergradient method maps a vector v on the lower's parameters w to
// (dw*/dlambda)^T v on the upper's lambda; the engine chains these maps along each dependency path
// (Betty's "best-response Jacobian x vector" products, evaluated right to left). One file per
// method under hypergradients/, registered by name; the lower problem's options choose it.
#include <functional>
#include <memory>
#include <string>

#include "metaevo/core/options.h"
#include "metaevo/core/registry.h"
#include "metaevo/mlo/optimizer.h"

namespace metaevo::mlo {

class Problem;

/// What a method may use beyond the two problems: when the edge closes a bilevel path, the upper's
/// own loss at its current batch, so ES can estimate from upper losses rather than from <v, w>.
struct EdgeContext {
  std::function<double()> upper_loss;  // empty when the path is longer than one edge
  int64_t upper_step = 0;              // the upper's step, which numbers ES's noise
  uint64_t seed = 0;
};

class Hypergradient {
 public:
  virtual ~Hypergradient() = default;
  /// (dw*/dlambda)^T v with w the lower's parameters and lambda the upper's. Entries the lower's
  /// loss does not depend on are zeros, never undefined.
  virtual Params vjp(Problem& lower, Problem& upper, const Params& v, const EdgeContext& context) = 0;
  /// True when the lower's unroll must stay in the autograd graph (iterative differentiation).
  virtual bool needs_graph() const { return false; }
  /// True when the method re-runs the lower's unroll from its start (ES): the lower keeps a
  /// snapshot of where each inner loop started.
  virtual bool needs_snapshot() const { return false; }
};

/// A method is built from its Choice (name and settings): each reads its own options struct.
using HypergradientRegistry = Registry<Hypergradient, const Choice&>;

/// grad of sum(outputs * grad_outputs) with respect to `inputs`, zeros where unused.
Params vector_grad(const std::vector<torch::Tensor>& outputs, const Params& inputs, const Params& grad_outputs,
                   bool create_graph = false, bool retain_graph = true);
/// sum_i <a_i, b_i>.
torch::Tensor dot(const Params& a, const Params& b);

}  // namespace metaevo::mlo
