#pragma once
// The ES estimate of a function's gradient at a list of tensors, for code that needs a gradient
// without keeping a graph (mlo's `es` hypergradient, meta's inner-loop meta-gradient): mirrored
// pairs theta +- sigma z_k, z_k the es::Noise perturbation (seed; step, k) regenerated one at a
// time and never stored, the 2 x pairs values shaped as utilities -f by a registered shaping, and
//   g = -sum_k (w(+z_k) - w(-z_k)) z_k / (2 sigma pairs),
// which under "raw" shaping is the plain sum_k (f(+z_k) - f(-z_k)) z_k / (2 sigma pairs).
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/dist/communicator.h"

namespace metaevo::es {

struct GradientEstimateOptions {
  int64_t pairs = 8;
  double sigma = 0.01;
  std::string shaping = "raw";
  template <class V>
  void visit(V& v) {
    v("pairs", pairs, "antithetic pairs of perturbations");
    v("sigma", sigma, "perturbation scale");
    v("shaping", shaping,
      "fitness shaping of the 2 x pairs values, as in the ES engine (raw keeps the estimate a gradient; "
      "centered_rank makes it invariant to their scale)");
  }
  void validate() const;
};

/// The estimate at `theta` of the gradient of `f`, shaped like `theta` (same dtypes and devices);
/// `f` receives perturbed copies of `theta`. With `comm`, its processes share out the pairs and
/// gather the values, so each gets the one-process estimate bitwise.
std::vector<torch::Tensor> estimate_gradient(const std::vector<torch::Tensor>& theta,
                                             const std::function<double(const std::vector<torch::Tensor>&)>& f,
                                             uint64_t seed, int64_t step, const GradientEstimateOptions& o,
                                             dist::Communicator* comm = nullptr);

}  // namespace metaevo::es
