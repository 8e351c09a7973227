// Conjugate gradient (iMAML, Rajeswaran et al. 2019): K iterations on H x = v from x = 0, each one
// Hessian-vector product, then -(d^2 L / dlambda dw) x. Exact after dim(w) iterations on a
// quadratic lower problem.
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/implicit.h"
#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {
namespace {

struct CgOptions {
  int64_t iterations = 1;
  double alpha = 1.0;
  template <class V>
  void visit(V& v) {
    v("iterations", iterations, "conjugate-gradient iterations on H x = v");
    v("alpha", alpha, "scale of the solution");
  }
  void validate() const {
    require(iterations >= 1, "iterations", "must be >= 1, got {}", iterations);
    require(alpha > 0, "alpha", "must be > 0, got {}", alpha);
  }
};

class ConjugateGradient : public Hypergradient {
 public:
  explicit ConjugateGradient(const CgOptions& o) : iterations_(o.iterations), alpha_(o.alpha) {}
  Params vjp(Problem& lower, Problem& upper, const Params& v, const EdgeContext&) override {
    return implicit_vjp(lower, upper, [&](const Hvp& hvp) {
      Params x, r = v, d = v;
      for (const auto& t : v) x.push_back(torch::zeros_like(t));
      double rr = dot(r, r).item<double>();
      for (int64_t k = 0; k < iterations_ && rr > 0; ++k) {
        const auto hd = hvp(d);
        const double curvature = dot(d, hd).item<double>();
        if (curvature <= 0) break;  // not positive definite along d: keep what we have
        const double a = rr / curvature;
        for (size_t i = 0; i < x.size(); ++i) {
          x[i] = x[i] + a * d[i];
          r[i] = r[i] - a * hd[i];
        }
        const double rr_next = dot(r, r).item<double>();
        for (size_t i = 0; i < d.size(); ++i) d[i] = r[i] + (rr_next / rr) * d[i];
        rr = rr_next;
      }
      for (auto& t : x) t = alpha_ * t;
      return x;
    });
  }

 private:
  int64_t iterations_;
  double alpha_;
};

const Registrar<HypergradientRegistry> cg_registration(
    "cg", [](const Choice& c) { return std::make_unique<ConjugateGradient>(read_choice<CgOptions>(c)); },
    variant_doc<CgOptions>("H^-1 v by conjugate gradient (iMAML)"));

}  // namespace
}  // namespace metaevo::mlo
