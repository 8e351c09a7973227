// OpenAI-ES (Salimans et al. 2017, "Evolution Strategies as a Scalable Alternative to Reinforcement
// Learning"): mirrored sampling, centered-rank shaping, gradient estimate
//   g = 1/(n sigma) sum_i w_i s_i z_i - l2 * theta,
// followed by Adam/SGD/ClipUp. Sigma is fixed unless sigma_decay < 1 (as evosax's OpenES
// sigma_decay / sigma_limit): the estimate is the gradient of the loss smoothed at scale sigma, and
// shrinking sigma trades that smoothing for a sharper objective late in a run. On MNIST it did not
// pay (bench/RESULTS.md), so the configs keep sigma fixed.
#include <algorithm>
#include <cmath>

#include "metaevo/core/options.h"
#include "metaevo/es/gaussian_search.h"
#include "metaevo/es/optimizer.h"

namespace metaevo::es {
namespace {

struct OpenAIESOptions {
  int64_t population = 256;
  double sigma = 0.02;
  bool mirrored = true;
  std::string shaping = "centered_rank";
  double l2 = 0.005;
  double sigma_decay = 1.0;
  double min_sigma = 0.0;
  Choice optimizer{"adam"};
  template <class V>
  void visit(V& v) {
    v("population", population, "members per generation (even when mirrored)");
    v("sigma", sigma, "perturbation scale (at the start, when it decays)");
    v("sigma_decay", sigma_decay, "multiplicative sigma decay per generation (1 = fixed sigma)");
    v("min_sigma", min_sigma, "lower bound of the decayed sigma");
    v("mirrored", mirrored, "antithetic pairs +z/-z");
    v("shaping", shaping, "centered_rank | nes | zscore | raw");
    v("l2", l2, "L2 decay coefficient on the center (as in the OpenAI starter)");
    v("optimizer", optimizer, "update rule and its settings: adam | sgd | clipup, or {name: ..., lr: ...}");
  }
  void validate() const {
    make_optimizer(optimizer, 1);  // checks its settings now, before any run
    require(population >= 2, "population", "must be >= 2, got {}", population);
    require(!mirrored || population % 2 == 0, "population", "must be even with mirrored sampling, got {}", population);
    require(sigma > 0, "sigma", "must be > 0, got {}", sigma);
    require(sigma_decay > 0 && sigma_decay <= 1, "sigma_decay", "must be in (0, 1], got {}", sigma_decay);
    require(min_sigma >= 0 && min_sigma <= sigma, "min_sigma", "must be in [0, sigma], got {}", min_sigma);
    require(sigma_decay == 1 || min_sigma > 0, "min_sigma", "must be > 0 when sigma decays (sigma_decay {})",
            sigma_decay);
    require_shaping(shaping);
    require(l2 >= 0, "l2", "must be >= 0, got {}", l2);
  }
};

class OpenAIES : public GaussianSearch {
 public:
  OpenAIES(const OpenAIESOptions& o, const StrategyContext& c)
      : GaussianSearch(c, o.population, o.mirrored, torch::tensor(float(o.sigma)), o.shaping), o_(o) {
    optimizer_ = make_optimizer(o.optimizer, c.layout.dim());
  }

  std::string name() const override { return "openai_es"; }

  void update(const Population& pop, const torch::Tensor& fitness) override {
    auto w = weights(fitness);
    auto grad = noise_sum(pop, w) / float(double(pop.size) * sigma_at(pop.generation));
    auto center = mine(center_);
    if (o_.l2 > 0) grad.sub_(center, o_.l2);
    center.add_(optimizer_->step(grad, share()));
    sigma_ = torch::tensor(float(sigma_at(generation_ + 1)));
  }

 private:
  /// Sigma of generation g, from g alone (not by repeated multiplication) so a resumed run agrees.
  double sigma_at(int64_t g) const { return std::max(o_.min_sigma, o_.sigma * std::pow(o_.sigma_decay, double(g))); }

  OpenAIESOptions o_;
};

Registrar<StrategyRegistry> openai_es_registration(
    "openai_es",
    [](const Config& cfg, const StrategyContext& c) {
      return std::make_unique<OpenAIES>(read_options<OpenAIESOptions>(cfg), c);
    },
    variant_doc<OpenAIESOptions>("OpenAI-ES (Salimans et al. 2017): mirrored sampling, weight decay, optional "
                                 "low-rank noise"));

}  // namespace
}  // namespace metaevo::es
