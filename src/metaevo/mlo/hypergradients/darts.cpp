// Finite differences (DARTS; Betty's "darts", which follows SAMA): the inverse Hessian is taken as
// the identity and -(d^2 L / dlambda dw) v is a central difference of the upper gradient of the
// lower loss at w +- eps v, eps = darts_alpha / |v|. Two extra backward passes, no second-order
// graph. Evaluated at the current (unrolled) weights.
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {
namespace {

class Darts : public Hypergradient {
 public:
  explicit Darts(double alpha) : alpha_(alpha) {}
  Params vjp(Problem& lower, Problem& upper, const Params& v, const EdgeContext&) override {
    const double norm = std::sqrt(dot(v, v).item<double>());
    if (norm == 0) return vector_grad({}, upper.params(), {});  // zeros
    const double eps = alpha_ / norm;
    const Params w = lower.params();
    auto upper_grad_at = [&](double sign) {
      Params shifted;
      for (size_t i = 0; i < w.size(); ++i) shifted.push_back((w[i].detach() + sign * eps * v[i]).requires_grad_());
      lower.set_params(shifted);
      return vector_grad({lower.training_step(lower.count() - 1)}, upper.params(), {}, false, false);
    };
    const auto plus = upper_grad_at(1), minus = upper_grad_at(-1);
    lower.set_params(w);
    Params out;
    for (size_t i = 0; i < plus.size(); ++i) out.push_back((minus[i] - plus[i]) / (2 * eps));
    return out;
  }

 private:
  double alpha_;
};

const Registrar<HypergradientRegistry> darts_registration("darts", [](const HypergradientOptions& o) {
  return std::make_unique<Darts>(o.darts_alpha);
});

}  // namespace
}  // namespace metaevo::mlo
