// Evolution strategies: perturb the upper parameters, re-run the lower problem's inner loop from
// where it started, and estimate from antithetic pairs
//   g = sum_i (f(lambda + sigma e_i) - f(lambda - sigma e_i)) e_i / (2 sigma pairs).
// On a bilevel path f is the upper problem's loss at the re-run lower weights (a zero-order
// estimate needing no derivative of the upper loss in lambda); deeper in a longer path, where the
// incoming vector v stands for everything above, f = <v, w_T>. Perturbations come from the ES
// engine's counter-based noise, numbered by the upper step, so they are regenerated, never stored;
// no graph survives a lower step, so memory does not grow with the unroll. Under mpirun the pairs
// are split over the processes (each re-runs whole batches), so the estimate is bitwise the same. The estimate is es/'s
// (gradient_estimate.h), so any of its fitness shapings applies (utility = -f); "raw" is the above.
#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"
#include "metaevo/core/serialize.h"
#include "metaevo/es/gradient_estimate.h"
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {
namespace {

class EvolutionStrategies : public Hypergradient {
 public:
  explicit EvolutionStrategies(es::GradientEstimateOptions o) : o_(std::move(o)) {}

  Params vjp(Problem& lower, Problem& upper, const Params& v, const EdgeContext& context) override {
    METAEVO_CHECK(lower.loop_start().has_value(), "{}: es needs the start of the inner loop", lower.name());
    const auto start = *lower.loop_start();
    const auto current = lower.snapshot();
    const int64_t until = lower.count();
    const Params lambda = upper.params();
    const auto f = [&](const Params& shifted) {
      upper.set_params(shifted);
      lower.replay(start, until);
      upper.set_params(lambda);
      torch::NoGradGuard no_grad;
      return context.upper_loss ? context.upper_loss() : dot(v, lower.params()).item<double>();
    };
    auto g = es::estimate_gradient(lambda, f, mix64(context.seed, hash64(lower.name() + "->" + upper.name())),
                                   context.upper_step, o_, lower.parallel().communicator());
    lower.restore(current);
    return g;
  }
  bool needs_snapshot() const override { return true; }

 private:
  es::GradientEstimateOptions o_;
};

const es::GradientEstimateOptions kEsDefaults{16, 0.01, "raw"};

const Registrar<HypergradientRegistry> es_registration(
    "es", [](const Choice& c) { return std::make_unique<EvolutionStrategies>(read_choice(c, kEsDefaults)); },
    variant_doc("perturb the upper parameters with the ES engine's noise, re-run the inner loop from its start "
                "once per perturbation, estimate from the upper losses",
                kEsDefaults));

}  // namespace
}  // namespace metaevo::mlo
