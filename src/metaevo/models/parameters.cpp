#include "metaevo/models/parameters.h"

#include "metaevo/core/error.h"

namespace metaevo::models {

Layout parameter_layout(const torch::nn::Module& module) {
  Layout layout;
  for (const auto& p : module.named_parameters()) layout.add(p.key(), p.value().sizes().vec());
  return layout;
}

torch::Tensor flatten_parameters(const torch::nn::Module& module) {
  std::vector<torch::Tensor> parts;
  for (const auto& p : module.parameters()) parts.push_back(p.detach().reshape({-1}));
  return torch::cat(parts);
}

void load_flat_parameters(torch::nn::Module& module, const torch::Tensor& flat) {
  const int64_t expected = parameter_count(module);
  METAEVO_CHECK(flat.dim() == 1 && flat.numel() == expected,
                "model: parameter vector has {} values but the model has {}", flat.numel(), expected);
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto& p : module.parameters()) {
    p.copy_(flat.narrow(0, offset, p.numel()).view_as(p));
    offset += p.numel();
  }
}

std::shared_ptr<torch::nn::Module> with_flat_parameters(const torch::nn::Module& module, const torch::Tensor& flat) {
  auto copy = module.clone();
  load_flat_parameters(*copy, flat.to(torch::kFloat32));
  return copy;
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace metaevo::models
