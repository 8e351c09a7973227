#include "metaevo/es/shaping.h"

#include <cmath>

#include "metaevo/core/options.h"

namespace metaevo::es {

torch::Tensor ranks(const torch::Tensor& utility) {
  auto order = std::get<1>(utility.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  auto r = torch::empty_like(order);
  r.index_put_({order}, torch::arange(utility.size(0), order.options()));
  return r;
}

namespace {

/// Ranks mapped linearly onto [-0.5, 0.5] (Salimans et al. 2017).
struct CenteredRank : Shaping {
  torch::Tensor operator()(const torch::Tensor& u) const override {
    const int64_t n = u.size(0);
    if (n < 2) return torch::zeros_like(u);
    return ranks(u).to(torch::kFloat64) / double(n - 1) - 0.5;
  }
};

/// NES utilities: max(0, log(n/2 + 1) - log(i)) for the i-th best (1-based), normalised to sum 1,
/// minus 1/n so that they sum to zero.
struct NesUtilities : Shaping {
  torch::Tensor operator()(const torch::Tensor& u) const override {
    const int64_t n = u.size(0);
    auto best_first = (double(n) - ranks(u).to(torch::kFloat64));  // 1 for the best
    auto w = (std::log(n / 2.0 + 1.0) - best_first.log()).clamp_min(0.0);
    return w / w.sum() - 1.0 / double(n);
  }
};

/// (u - mean) / std; constant utilities give zeros rather than NaN.
struct ZScore : Shaping {
  torch::Tensor operator()(const torch::Tensor& u) const override {
    auto centered = u - u.mean();
    const double sd = u.size(0) > 1 ? u.std().item<double>() : 0.0;
    return sd > 0 ? centered / sd : torch::zeros_like(u);
  }
};

struct Raw : Shaping {
  torch::Tensor operator()(const torch::Tensor& u) const override { return u.clone(); }
};

Registrar<ShapingRegistry> centered_rank_registration("centered_rank", [] { return std::make_unique<CenteredRank>(); });
Registrar<ShapingRegistry> nes_registration("nes", [] { return std::make_unique<NesUtilities>(); });
Registrar<ShapingRegistry> zscore_registration("zscore", [] { return std::make_unique<ZScore>(); });
Registrar<ShapingRegistry> raw_registration("raw", [] { return std::make_unique<Raw>(); });

}  // namespace

void require_shaping(const std::string& shaping) {
  require(ShapingRegistry::instance().contains(shaping), "shaping", "unknown '{}' (choose one of: {})", shaping,
          ShapingRegistry::instance().names());
}

std::unique_ptr<Shaping> make_shaping(const std::string& name, const std::string& what) {
  return ShapingRegistry::instance().create(name, what);
}

}  // namespace metaevo::es
