#include "metaevo/models/init.h"

#include <cmath>

#include "metaevo/core/philox.h"

namespace metaevo::models {

void init_parameters(torch::nn::Module& module, uint64_t seed) {
  torch::NoGradGuard no_grad;
  const auto params = module.named_parameters();
  const auto uniform = [&](const std::string& name, const torch::Tensor& t, double bound) {
    const auto u = philox_uniform({mix64(seed, hash64(name)), 0, 0, 0}, t.numel()).view(t.sizes());
    t.copy_((u * 2 - 1) * bound);
  };
  for (const auto& item : params) {
    const auto& name = item.key();
    const auto& weight = item.value();
    if (weight.dim() < 2) continue;
    const double bound = 1.0 / std::sqrt(double(weight.numel() / weight.size(0)));
    uniform(name, weight, bound);
    const std::string suffix = "weight";
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const auto bias = name.substr(0, name.size() - suffix.size()) + "bias";  // the same layer's bias
    if (const auto* b = params.find(bias)) uniform(bias, *b, bound);
  }
}

torch::Tensor DropoutImpl::forward(const torch::Tensor& x) {
  if (!is_training() || p_ == 0) return x;
  const auto keep = torch::empty(x.sizes(), torch::kFloat32).bernoulli_(1 - p_, generator_).to(x.options());
  return x * keep / (1 - p_);
}

}  // namespace metaevo::models
