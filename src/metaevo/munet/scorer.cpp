#include "metaevo/munet/scorer.h"

#include <cmath>
#include <set>

namespace metaevo::munet {

void ScoreOptions::validate() const {
  require(scale > 0 && scale <= 1, "scale", "must be in (0, 1], got {}", scale);
  require(flops_scale > 0 && flops_scale <= 1, "flops_scale", "must be in (0, 1], got {}", flops_scale);
  require(reference_params >= 0, "reference_params", "must be >= 0 (0 = the root's), got {}", reference_params);
  require(reference_flops >= 0, "reference_flops", "must be >= 0 (0 = the root's), got {}", reference_flops);
}

Params Path::trainable() const {
  Params out;
  for (const auto& [name, c] : components)
    if (c->trainable())
      for (const auto& t : c->tensors()) out.push_back(t);
  return out;
}

double accounted_params(const Path& path) {
  double total = 0;
  for (const auto& [name, c] : path.components) {
    std::set<std::string> holders = c->locks();
    holders.insert(path.task);
    holders.erase(kRootTask);
    total += double(c->numel()) / double(std::max<size_t>(1, holders.size()));
  }
  return total;
}

int64_t total_params(const Path& path) {
  int64_t total = 0;
  for (const auto& [name, c] : path.components) total += c->numel();
  return total;
}

double path_flops(const Path& path, const VitOptions& o) {
  const double n = double(o.tokens()), w = double(o.width);
  double flops = 2.0 * (n - 1) * w * double(o.channels * o.patch * o.patch);
  for (int64_t i = 0; i < path.layers(); ++i) {
    flops += 2.0 * n * w * (3 * w) + 2.0 * n * n * w * 2 + 2.0 * n * w * w + 2.0 * n * w * double(o.mlp_dim) * 2;
    auto a = path.components.find("residual_adapter_" + std::to_string(i));
    if (a != path.components.end()) flops += 2.0 * n * w * double(a->second->tensors()[2].size(0)) * 2;
  }
  auto head = path.components.find("head");
  if (head != path.components.end()) flops += 2.0 * w * double(head->second->tensors()[0].size(0));
  return flops;
}

Scorer::Scorer(ScoreOptions o, const Path& root, const VitOptions& vit) : o_(o), vit_(vit) {
  o_.validate();
  if (o_.reference_params == 0) o_.reference_params = double(total_params(root));
  if (o_.reference_flops == 0) o_.reference_flops = path_flops(root, vit);
}

double Scorer::operator()(const Path& path) const {
  return path.quality * std::pow(o_.scale, accounted_params(path) / o_.reference_params) *
         std::pow(o_.flops_scale, path_flops(path, vit_) / o_.reference_flops);
}

}  // namespace metaevo::munet
