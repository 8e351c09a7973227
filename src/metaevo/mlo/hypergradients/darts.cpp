// Finite differences (DARTS; Betty's "darts", which follows SAMA): the inverse Hessian is taken as
// the identity and -(d^2 L / dlambda dw) v is a central difference of the upper gradient of the
// lower loss at w +- eps v, eps = alpha / |v|. Two extra backward passes, no second-order
// graph. Evaluated at the current (unrolled) weights, in float32 whatever the lower's precision:
// the shift eps v is far below bfloat16's resolution of the weights.
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {
namespace {

struct DartsOptions {
  double alpha = 0.01;
  template <class V>
  void visit(V& v) {
    v("alpha", alpha, "finite-difference step, divided by |v|");
  }
  void validate() const { require(alpha > 0, "alpha", "must be > 0, got {}", alpha); }
};

class Darts : public Hypergradient {
 public:
  explicit Darts(const DartsOptions& o) : alpha_(o.alpha) {}
  Params vjp(Problem& lower, Problem& upper, const Params& v, const EdgeContext&) override {
    const double norm = std::sqrt(dot(v, v).item<double>());
    if (norm == 0) return vector_grad({}, upper.params(), {});  // zeros
    const double eps = alpha_ / norm;
    const Params w = lower.params();
    auto upper_grad_at = [&](double sign) {
      Params shifted;
      // Constants: only the upper gradient is wanted, so no graph (nor its activations) is kept
      // through the lower's weights.
      for (size_t i = 0; i < w.size(); ++i) shifted.push_back(w[i].detach() + sign * eps * v[i].detach());
      lower.set_params(shifted);
      return vector_grad({lower.loss(lower.count() - 1, /*float32=*/true)}, upper.params(), {}, false, false);
    };
    const auto plus = upper_grad_at(1), minus = upper_grad_at(-1);
    lower.set_params(w);
    Params out;
    for (size_t i = 0; i < plus.size(); ++i) out.push_back((minus[i] - plus[i]) / (2 * eps));
    return lower.parallel().all_reduce(out);
  }

 private:
  double alpha_;
};

const Registrar<HypergradientRegistry> darts_registration(
    "darts", [](const Choice& c) { return std::make_unique<Darts>(read_choice<DartsOptions>(c)); },
    variant_doc<DartsOptions>("finite differences with H^-1 ~ I (Betty's darts, after SAMA)"));

}  // namespace
}  // namespace metaevo::mlo
