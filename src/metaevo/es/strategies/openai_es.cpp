// OpenAI-ES (Salimans et al. 2017, "Evolution Strategies as a Scalable Alternative to Reinforcement
// Learning"): fixed sigma, mirrored sampling, centered-rank shaping, gradient estimate
//   g = 1/(n sigma) sum_i w_i s_i z_i - l2 * theta,
// followed by Adam/SGD/ClipUp.
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
  template <class V>
  void visit(V& v) {
    v("population", population, "members per generation (even when mirrored)");
    v("sigma", sigma, "fixed perturbation scale");
    v("mirrored", mirrored, "antithetic pairs +z/-z");
    v("shaping", shaping, "centered_rank | nes | zscore | raw");
    v("l2", l2, "L2 decay coefficient on the center (as in the OpenAI starter)");
  }
  void validate() const {
    require(population >= 2, "population", "must be >= 2, got {}", population);
    require(!mirrored || population % 2 == 0, "population", "must be even with mirrored sampling, got {}",
            population);
    require(sigma > 0, "sigma", "must be > 0, got {}", sigma);
    require_shaping(shaping);
    require(l2 >= 0, "l2", "must be >= 0, got {}", l2);
  }
};

class OpenAIES : public GaussianSearch {
 public:
  OpenAIES(const OpenAIESOptions& o, const OptimizerOptions& opt, const StrategyContext& c)
      : GaussianSearch(c, o.population, o.mirrored, torch::tensor(float(o.sigma)), o.shaping),
        o_(o) {
    optimizer_ = make_optimizer(opt, c.layout.dim());
  }

  std::string name() const override { return "openai_es"; }

  void tell(const Population& pop, const torch::Tensor& fitness) override {
    auto w = weights(fitness);
    auto grad = noise_sum(pop, w) / float(double(pop.size) * o_.sigma);
    if (o_.l2 > 0) grad.sub_(center_, o_.l2);
    center_.add_(optimizer_->step(grad));
    ++generation_;
  }

 private:
  OpenAIESOptions o_;
};

Registrar<StrategyRegistry> openai_es_registration("openai_es", [](const Config& cfg, const StrategyContext& c) {
  auto o = read_options<OpenAIESOptions>(cfg);
  auto opt = read_options<OptimizerOptions>(cfg.section("optimizer"));
  return std::make_unique<OpenAIES>(o, opt, c);
});

}  // namespace
}  // namespace metaevo::es
