// Neumann series (Lorraine et al. 2020): H^-1 v ~ alpha sum_{j=0..K} (I - alpha H)^j v by
// Hessian-vector products, then -(d^2 L / dlambda dw) of that. Converges when alpha is below
// 2 / (largest eigenvalue of H).
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/implicit.h"
#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {
namespace {

struct NeumannOptions {
  int64_t iterations = 1;
  double alpha = 1.0;
  template <class V>
  void visit(V& v) {
    v("iterations", iterations, "terms of the series for the inverse Hessian");
    v("alpha", alpha, "step of the series (below 2 / largest Hessian eigenvalue)");
  }
  void validate() const {
    require(iterations >= 0, "iterations", "must be >= 0, got {}", iterations);
    require(alpha > 0, "alpha", "must be > 0, got {}", alpha);
  }
};

class Neumann : public Hypergradient {
 public:
  explicit Neumann(const NeumannOptions& o) : iterations_(o.iterations), alpha_(o.alpha) {}
  Params vjp(Problem& lower, Problem& upper, const Params& v, const EdgeContext&) override {
    return implicit_vjp(lower, upper, [&](const Hvp& hvp) {
      Params term = v, sum = v;
      for (int64_t j = 0; j < iterations_; ++j) {
        const auto h = hvp(term);
        for (size_t i = 0; i < term.size(); ++i) {
          term[i] = term[i] - alpha_ * h[i];
          sum[i] = sum[i] + term[i];
        }
      }
      for (auto& s : sum) s = alpha_ * s;
      return sum;
    });
  }

 private:
  int64_t iterations_;
  double alpha_;
};

const Registrar<HypergradientRegistry> neumann_registration(
    "neumann", [](const Choice& c) { return std::make_unique<Neumann>(read_choice<NeumannOptions>(c)); },
    variant_doc<NeumannOptions>("H^-1 v by a Neumann series of Hessian-vector products"));

}  // namespace
}  // namespace metaevo::mlo
