#include "metaevo/es/gradient_estimate.h"

#include "metaevo/core/error.h"
#include "metaevo/es/noise.h"
#include "metaevo/es/shaping.h"
#include "metaevo/es/sharding.h"

namespace metaevo::es {

void GradientEstimateOptions::validate() const {
  require(pairs >= 1, "pairs", "must be >= 1, got {}", pairs);
  require(sigma > 0, "sigma", "must be > 0, got {}", sigma);
  require(ShapingRegistry::instance().contains(shaping), "shaping", "unknown '{}' (choose one of: {})", shaping,
          ShapingRegistry::instance().names());
}

std::vector<torch::Tensor> estimate_gradient(const std::vector<torch::Tensor>& theta,
                                             const std::function<double(const std::vector<torch::Tensor>&)>& f,
                                             uint64_t seed, int64_t step, const GradientEstimateOptions& o,
                                             dist::Communicator* comm) {
  METAEVO_CHECK(o.pairs >= 1 && o.sigma > 0, "estimate_gradient: needs pairs >= 1 and sigma > 0, got {} and {}",
                o.pairs, o.sigma);
  const auto shaping = make_shaping(o.shaping);
  Layout layout;
  for (size_t i = 0; i < theta.size(); ++i) layout.add(std::to_string(i), theta[i].sizes().vec());
  const Noise noise(seed, layout);
  const auto shifted = [&](const torch::Tensor& z, double scale) {
    std::vector<torch::Tensor> point;
    for (size_t i = 0; i < theta.size(); ++i) {
      const auto& s = layout.segments()[i];
      point.push_back(theta[i].detach() +
                      (scale * z.narrow(0, s.offset, s.numel).view(theta[i].sizes())).to(theta[i].options()));
    }
    return point;
  };
  const auto [begin, end] =
      comm ? shard(o.pairs, 1, comm->rank(), comm->size()) : std::pair<int64_t, int64_t>{0, o.pairs};
  std::vector<double> values;  // 2k, 2k+1: +z_k, -z_k
  for (int64_t k = begin; k < end; ++k) {
    const auto z = noise.flat(step, k, k + 1)[0];
    values.push_back(-f(shifted(z, o.sigma)));
    values.push_back(-f(shifted(z, -o.sigma)));
  }
  const auto utility = torch::tensor(comm ? comm->all_gather(values) : values, torch::kFloat64);
  const auto w = (*shaping)(utility).view({o.pairs, 2});
  const auto difference = (w.select(1, 1) - w.select(1, 0)).to(torch::kFloat32);
  const auto g = noise.weighted_sum(step, difference) / float(2 * o.sigma * double(o.pairs));
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < theta.size(); ++i) {
    const auto& s = layout.segments()[i];
    out.push_back(g.narrow(0, s.offset, s.numel).view(theta[i].sizes()).to(theta[i].options()));
  }
  return out;
}

}  // namespace metaevo::es
