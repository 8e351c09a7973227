// Evolution strategies: perturb the upper parameters, re-run the lower problem's inner loop from
// where it started, and estimate from antithetic pairs
//   g = sum_i (f(lambda + sigma e_i) - f(lambda - sigma e_i)) e_i / (2 sigma pairs).
// On a bilevel path f is the upper problem's loss at the re-run lower weights (a zero-order
// estimate needing no derivative of the upper loss in lambda); deeper in a longer path, where the
// incoming vector v stands for everything above, f = <v, w_T>. Perturbations come from the ES
// engine's counter-based noise, numbered by the upper step, so they are regenerated, never stored;
// no graph survives a lower step, so memory does not grow with the unroll. The 2 x pairs values may
// be shaped by any of the ES engine's fitness shapings (utility = -f); "raw" is the estimate above.
#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"
#include "metaevo/core/serialize.h"
#include "metaevo/es/noise.h"
#include "metaevo/es/shaping.h"
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {
namespace {

class EvolutionStrategies : public Hypergradient {
 public:
  EvolutionStrategies(int64_t pairs, double sigma, const std::string& shaping)
      : pairs_(pairs), sigma_(sigma), shaping_(es::make_shaping(shaping, "hypergradient.es_shaping")) {}

  Params vjp(Problem& lower, Problem& upper, const Params& v, const EdgeContext& context) override {
    METAEVO_CHECK(lower.loop_start().has_value(), "{}: es needs the start of the inner loop", lower.name());
    const auto start = *lower.loop_start();
    const auto current = lower.snapshot();
    const int64_t until = lower.count();
    const Params lambda = upper.params();
    es::Layout layout;
    for (size_t i = 0; i < lambda.size(); ++i) layout.add(std::to_string(i), lambda[i].sizes().vec());
    const es::Noise noise(mix64(context.seed, hash64(lower.name() + "->" + upper.name())), layout);

    auto f = [&](const torch::Tensor& delta) {
      Params shifted;
      for (size_t i = 0; i < lambda.size(); ++i) {
        const auto& s = layout.segments()[i];
        shifted.push_back(lambda[i].detach() +
                          delta.narrow(0, s.offset, s.numel).view(lambda[i].sizes()).to(lambda[i].device()));
      }
      upper.set_params(shifted);
      lower.replay(start, until);
      upper.set_params(lambda);
      torch::NoGradGuard no_grad;
      return context.upper_loss ? context.upper_loss() : dot(v, lower.params()).item<double>();
    };
    auto perturbation = [&](int64_t k) { return noise.flat(context.upper_step, k, k + 1)[0]; };
    auto utility = torch::empty({2 * pairs_}, torch::kFloat64);  // rows 2k, 2k+1: +e_k, -e_k
    for (int64_t k = 0; k < pairs_; ++k) {
      const auto e = perturbation(k).to(lambda.front().scalar_type());
      utility[2 * k] = -f(sigma_ * e);
      utility[2 * k + 1] = -f(-sigma_ * e);
    }
    const auto w = (*shaping_)(utility);
    auto g = torch::zeros({layout.dim()}, torch::kFloat64);
    for (int64_t k = 0; k < pairs_; ++k)
      g -= (w[2 * k] - w[2 * k + 1]).item<double>() * perturbation(k).to(torch::kFloat64);
    g /= 2 * sigma_ * double(pairs_);
    lower.restore(current);

    Params out;
    for (size_t i = 0; i < lambda.size(); ++i) {
      const auto& s = layout.segments()[i];
      out.push_back(g.narrow(0, s.offset, s.numel).view(lambda[i].sizes()).to(lambda[i].options()));
    }
    return out;
  }
  bool needs_snapshot() const override { return true; }

 private:
  int64_t pairs_;
  double sigma_;
  std::unique_ptr<es::Shaping> shaping_;
};

const Registrar<HypergradientRegistry> es_registration("es", [](const HypergradientOptions& o) {
  return std::make_unique<EvolutionStrategies>(o.es_pairs, o.es_sigma, o.es_shaping);
});

}  // namespace
}  // namespace metaevo::mlo
