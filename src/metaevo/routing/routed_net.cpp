#include "metaevo/routing/routed_net.h"

#include <algorithm>

#include "metaevo/core/error.h"
#include "metaevo/core/options.h"
#include "metaevo/models/init.h"

namespace metaevo::routing {

void RoutedNetOptions::validate() const {
  require(filters >= 1, "filters", "must be >= 1, got {}", filters);
  require(groups >= 1 && filters % groups == 0, "groups", "must divide filters ({}), got {}", filters, groups);
  require(layers >= 1, "layers", "must be >= 1, got {}", layers);
  for (size_t i = 0; i < downsample.size(); ++i)
    require(downsample[i] >= 0 && downsample[i] < layers && (i == 0 || downsample[i] > downsample[i - 1]), "downsample",
            "must be increasing layer numbers within 0..{}, got {} at position {}", layers - 1, downsample[i], i);
  require(!components.empty(), "components", "must name at least one component type");
  for (const auto& c : components)
    require(ComponentRegistry::instance().contains(c), "components", "unknown type '{}' (choose among: {})", c,
            ComponentRegistry::instance().names());
  require(dropout >= 0 && dropout < 1, "dropout", "must be within [0, 1), got {}", dropout);
}

RoutedNetImpl::RoutedNetImpl(const RoutedNetOptions& options, int64_t channels, int64_t image_size,
                             const std::vector<int64_t>& classes, uint64_t seed)
    : options_(options) {
  options_.validate();
  stem_ = register_module("stem", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, options_.filters, 1)));
  stem_norm_ = register_module("stem_norm", torch::nn::GroupNorm(options_.groups, options_.filters));
  for (int64_t l = 0; l < options_.layers; ++l) {
    const bool strided =
        std::find(options_.downsample.begin(), options_.downsample.end(), l) != options_.downsample.end();
    const ComponentShape shape{options_.filters, options_.groups, strided ? 2 : 1};
    auto& layer = layers_.emplace_back();
    for (size_t c = 0; c < options_.components.size(); ++c) {
      std::shared_ptr<Component> component =
          ComponentRegistry::instance().create(options_.components[c], "components", shape);
      layer.push_back(register_module(fmt::format("layer{}_{}_{}", l, c, options_.components[c]), component));
    }
  }
  // The flattened size: one image through the layers, every component on.
  int64_t flat = 0;
  {
    torch::NoGradGuard no_grad;
    const std::vector<torch::Tensor> all(layers_.size(), torch::ones({int64_t(layers_.front().size())}));
    flat = features(torch::zeros({1, channels, image_size, image_size}), all).size(1);
  }
  for (size_t t = 0; t < classes.size(); ++t)
    heads_.push_back(register_module(fmt::format("head{}", t), torch::nn::Linear(flat, classes[t])));
  models::init_parameters(*this, seed);
}

torch::Tensor RoutedNetImpl::features(const torch::Tensor& x, const std::vector<torch::Tensor>& allocation) {
  METAEVO_CHECK(allocation.size() == layers_.size(), "RoutedNet: {} allocations for {} routed layers",
                allocation.size(), layers_.size());
  auto h = torch::relu(stem_norm_(stem_(x)));
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto& w = allocation[l];
    torch::Tensor sum;
    for (size_t c = 0; c < layers_[l].size(); ++c) {
      const auto out = layers_[l][c]->forward(h) * w[int64_t(c)];
      sum = sum.defined() ? sum + out : out;
    }
    h = sum / w.sum().clamp_min(1);
  }
  return h.flatten(1);
}

torch::Tensor RoutedNetImpl::forward(const torch::Tensor& x, const std::vector<torch::Tensor>& allocation, int64_t head,
                                     const at::Generator* dropout) {
  METAEVO_CHECK(head >= 0 && head < int64_t(heads_.size()), "RoutedNet: no head {} (it has {})", head, heads_.size());
  auto h = features(x, allocation);
  if (dropout && options_.dropout > 0) {
    const double keep = 1 - options_.dropout;
    h = h * torch::empty(h.sizes(), torch::kFloat32).bernoulli_(keep, *dropout).to(h.options()) / keep;
  }
  return heads_[size_t(head)](h);
}

std::vector<torch::Tensor> RoutedNetImpl::component_parameters(int64_t layer, int64_t component) const {
  return layers_.at(size_t(layer)).at(size_t(component))->parameters();
}

std::vector<torch::Tensor> RoutedNetImpl::weights() const {
  std::vector<torch::Tensor> out;
  for (const auto& item : named_parameters()) {
    const auto& name = item.key();
    if (name.size() < 4 || name.compare(name.size() - 4, 4, "bias") != 0) out.push_back(item.value());
  }
  return out;
}

int64_t RoutedNetImpl::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace metaevo::routing
