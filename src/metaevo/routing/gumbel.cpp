#include "metaevo/routing/gumbel.h"

#include <algorithm>
#include <cmath>

namespace metaevo::routing {

torch::Tensor gumbel_noise(at::IntArrayRef sizes, at::Generator generator) {
  // Uniform in [tiny, 1): -log(-log(u)) stays finite at both ends.
  const double tiny = 1e-10;
  const auto u = torch::empty(sizes, torch::kFloat32).uniform_(0, 1, generator).clamp_min(tiny);
  return -torch::log(-torch::log(u));
}

torch::Tensor straight_through(const torch::Tensor& logits, const torch::Tensor& noise, double temperature) {
  const auto soft = torch::softmax((logits + noise) / temperature, -1).select(-1, 0);
  const auto hard = (logits + noise).argmax(-1).eq(0).to(soft.scalar_type());
  return (hard - soft).detach() + soft;
}

torch::Tensor greedy(const torch::Tensor& logits) { return logits.detach().argmax(-1).eq(0).to(logits.scalar_type()); }

double temperature(double initial, double minimum, int64_t update) {
  return std::max(minimum, initial / std::sqrt(double(update) + 1));
}

}  // namespace metaevo::routing
