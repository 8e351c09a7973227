// Separable NES (Schaul, Glasmachers & Schmidhuber 2011, "High dimensions and heavy tails for
// natural evolution strategies"): with NES utilities u_i summing to zero,
//   mu    <- mu + lr_mu * sigma * sum_i u_i z_i
//   sigma <- sigma * exp(lr_sigma / 2 * sum_i u_i (z_i^2 - 1))
// Defaults: population 4 + floor(3 ln d), lr_mu = 1, lr_sigma = (3 + ln d) / (5 sqrt d).
#include <cmath>

#include "metaevo/core/options.h"
#include "metaevo/es/gaussian_search.h"

namespace metaevo::es {
namespace {

struct SNESOptions {
  int64_t population = 0;  // 0: 4 + floor(3 ln d)
  double sigma = 1.0;
  bool mirrored = false;
  std::string shaping = "nes";
  double lr_mu = 1.0;
  double lr_sigma = 0.0;  // 0: (3 + ln d) / (5 sqrt d)
  template <class V>
  void visit(V& v) {
    v("population", population, "members per generation; 0 = 4 + floor(3 ln d)");
    v("sigma", sigma, "initial perturbation scale (all coordinates)");
    v("mirrored", mirrored, "antithetic pairs +z/-z");
    v("shaping", shaping, "centered_rank | nes | zscore | raw");
    v("lr_mu", lr_mu, "center learning rate");
    v("lr_sigma", lr_sigma, "sigma learning rate; 0 = (3 + ln d) / (5 sqrt d)");
  }
  void validate() const {
    require(population == 0 || population >= 2, "population", "must be 0 (auto) or >= 2, got {}", population);
    require(!mirrored || population % 2 == 0, "population", "must be even with mirrored sampling, got {}", population);
    require(sigma > 0, "sigma", "must be > 0, got {}", sigma);
    require_shaping(shaping);
    require(lr_mu > 0, "lr_mu", "must be > 0, got {}", lr_mu);
    require(lr_sigma >= 0, "lr_sigma", "must be >= 0, got {}", lr_sigma);
  }
};

class SNES : public GaussianSearch {
 public:
  SNES(const SNESOptions& o, const StrategyContext& c)
      : GaussianSearch(c, resolved_population(o, c.layout.dim()), o.mirrored,
                       torch::full({c.layout.dim()}, float(o.sigma)), o.shaping),
        lr_mu_(o.lr_mu),
        lr_sigma_(o.lr_sigma > 0 ? o.lr_sigma
                                 : (3 + std::log(double(c.layout.dim()))) / (5 * std::sqrt(double(c.layout.dim())))) {}

  std::string name() const override { return "snes"; }

  void update(const Population& pop, const torch::Tensor& fitness) override {
    auto w = weights(fitness);
    auto sigma = mine(sigma_);
    auto grad_mu = noise_sum(pop, w);
    auto grad_sigma = noise_sq_sum(pop, w);
    mine(center_).add_(sigma * grad_mu * float(lr_mu_));
    sigma.mul_(torch::exp(grad_sigma * float(lr_sigma_ / 2)));
  }

 private:
  static int64_t resolved_population(const SNESOptions& o, int64_t dim) {
    if (o.population > 0) return o.population;
    int64_t p = 4 + int64_t(std::floor(3 * std::log(double(dim))));
    return o.mirrored ? p + p % 2 : p;
  }
  double lr_mu_, lr_sigma_;
};

Registrar<StrategyRegistry> snes_registration(
    "snes",
    [](const Config& cfg, const StrategyContext& c) {
      return std::make_unique<SNES>(read_options<SNESOptions>(cfg), c);
    },
    variant_doc<SNESOptions>("separable NES (Schaul et al. 2011)"));

}  // namespace
}  // namespace metaevo::es
