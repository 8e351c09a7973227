#pragma once
// How a lower problem's best response is differentiated with respect to an upper problem's
// parameters. A hypergradient method maps a vector v on the lower's parameters w to
// (dw*/dlambda)^T v on the upper's lambda; the engine chains these maps along each dependency path
// (Betty's "best-response Jacobian x vector" products, evaluated right to left). One file per
// method under hypergradients/, registered by name; the lower problem's options choose it.
#include <functional>
#include <memory>
#include <string>

#include "metaevo/core/registry.h"
#include "metaevo/mlo/optimizer.h"

namespace metaevo::mlo {

class Problem;

struct HypergradientOptions {
  std::string hypergradient = "darts";  // itd | darts | neumann | cg | es
  double darts_alpha = 0.01;            // finite-difference step, divided by |v|
  int64_t neumann_iterations = 1;
  double neumann_alpha = 1.0;
  int64_t cg_iterations = 1;
  double cg_alpha = 1.0;
  int64_t es_pairs = 16;
  double es_sigma = 0.01;
  std::string es_shaping = "raw";
  template <class V>
  void visit(V& v) {
    v("hypergradient", hypergradient,
      "how this problem's best response is differentiated for its upper problems: itd | darts | neumann | cg | es");
    v("darts_alpha", darts_alpha, "darts: finite-difference step is darts_alpha / |v|");
    v("neumann_iterations", neumann_iterations, "neumann: terms of the series for the inverse Hessian");
    v("neumann_alpha", neumann_alpha, "neumann: step of the series (below 2 / largest Hessian eigenvalue)");
    v("cg_iterations", cg_iterations, "cg: conjugate-gradient iterations on H x = v");
    v("cg_alpha", cg_alpha, "cg: scale of the solution");
    v("es_pairs", es_pairs, "es: antithetic pairs of upper-parameter perturbations");
    v("es_sigma", es_sigma, "es: perturbation scale");
    v("es_shaping", es_shaping,
      "es: fitness shaping of the 2 x pairs losses, as in the ES engine (raw keeps the estimate a gradient; "
      "centered_rank makes it invariant to the losses' scale)");
  }
  void validate() const;
};

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

using HypergradientRegistry = Registry<Hypergradient, const HypergradientOptions&>;

/// grad of sum(outputs * grad_outputs) with respect to `inputs`, zeros where unused.
Params vector_grad(const std::vector<torch::Tensor>& outputs, const Params& inputs, const Params& grad_outputs,
                   bool create_graph = false, bool retain_graph = true);
/// sum_i <a_i, b_i>.
torch::Tensor dot(const Params& a, const Params& b);

}  // namespace metaevo::mlo
