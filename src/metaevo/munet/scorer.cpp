#include "metaevo/munet/scorer.h"

#include <cmath>
#include <set>

#include "metaevo/munet/component_kind.h"

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
  double flops = 0;
  for (const auto& [name, c] : path.components) {
    const auto n = ComponentName::parse(name);
    const auto& kind = component_kind(n.kind);
    if (kind.stage() != ComponentKind::Stage::layer || n.layer < path.layers()) flops += kind.flops(c->tensors(), o);
  }
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
