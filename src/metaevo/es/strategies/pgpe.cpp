// PGPE (Sehnke et al. 2010, "Parameter-exploring policy gradients") with symmetric sampling and
// adaptive per-coordinate sigma, as in EvoTorch/EvoJAX. With eps = sigma*z and pair weights
// d_k = (w+ - w-)/2, a_k = (w+ + w-)/2 - mean(w):
//   grad_mu    = sum_k d_k eps_k / n_pairs
//   grad_sigma = sum_k a_k (eps_k^2 - sigma^2) / sigma / n_pairs
// The center follows an optimizer (ClipUp, Toklu et al. 2020, by default); sigma moves by
// sigma_lr * grad_sigma, limited to a relative change of sigma_max_change per generation.
#include "metaevo/core/options.h"
#include "metaevo/es/gaussian_search.h"

namespace metaevo::es {
namespace {

struct PGPEOptions {
  int64_t population = 256;
  double sigma = 0.1;
  bool mirrored = true;
  std::string shaping = "centered_rank";
  double sigma_lr = 0.1;
  double sigma_max_change = 0.2;
  Choice optimizer{"clipup", {{"lr", 0.15}, {"max_speed", 0.3}}};
  template <class V>
  void visit(V& v) {
    v("population", population, "members per generation (even when mirrored)");
    v("sigma", sigma, "initial perturbation scale (all coordinates)");
    v("mirrored", mirrored, "symmetric sampling +z/-z");
    v("shaping", shaping, "centered_rank | nes | zscore | raw");
    v("sigma_lr", sigma_lr, "learning rate of sigma");
    v("sigma_max_change", sigma_max_change, "largest relative change of sigma per generation");
    v("optimizer", optimizer, "update rule of the center and its settings: clipup | adam | sgd");
  }
  void validate() const {
    make_optimizer(optimizer, 1);  // checks its settings now, before any run
    require(population >= 2, "population", "must be >= 2, got {}", population);
    require(!mirrored || population % 2 == 0, "population", "must be even with mirrored sampling, got {}", population);
    require(sigma > 0, "sigma", "must be > 0, got {}", sigma);
    require_shaping(shaping);
    require(sigma_lr >= 0, "sigma_lr", "must be >= 0, got {}", sigma_lr);
    require(sigma_max_change > 0 && sigma_max_change < 1, "sigma_max_change", "must be in (0, 1), got {}",
            sigma_max_change);
  }
};

class PGPE : public GaussianSearch {
 public:
  PGPE(const PGPEOptions& o, const StrategyContext& c)
      : GaussianSearch(c, o.population, o.mirrored, torch::full({c.layout.dim()}, float(o.sigma)), o.shaping), o_(o) {
    optimizer_ = make_optimizer(o.optimizer, c.layout.dim());
  }

  std::string name() const override { return "pgpe"; }

  void update(const Population& pop, const torch::Tensor& fitness) override {
    auto w = weights(fitness);
    const double n = double(pop.noise_count());
    auto sigma = mine(sigma_);
    // Signed fold gives w+ - w- per pair (plain w without mirroring); halve it for pairs.
    const double pair_scale = pop.mirrored ? 0.5 : 1.0;
    auto grad_mu = noise_sum(pop, w) * sigma * float(pair_scale / n);
    // a_k = (w+ + w-)/2 - mean(w) for pairs (the fold sums the pair, hence the halving).
    auto grad_sigma = noise_sq_sum(pop, (w - w.mean()) * pair_scale) * sigma / float(n);
    mine(center_).add_(optimizer_->step(grad_mu, share()));
    auto next = sigma + grad_sigma * float(o_.sigma_lr);
    sigma.copy_(
        torch::min(torch::max(next, sigma * float(1 - o_.sigma_max_change)), sigma * float(1 + o_.sigma_max_change)));
  }

 private:
  PGPEOptions o_;
};

Registrar<StrategyRegistry> pgpe_registration(
    "pgpe",
    [](const Config& cfg, const StrategyContext& c) {
      return std::make_unique<PGPE>(read_options<PGPEOptions>(cfg), c);
    },
    variant_doc<PGPEOptions>("PGPE (Sehnke et al. 2010): symmetric sampling, adaptive per-coordinate sigma"));

}  // namespace
}  // namespace metaevo::es
