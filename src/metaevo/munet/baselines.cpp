#include "metaevo/munet/baselines.h"

#include "metaevo/core/philox.h"
#include "metaevo/munet/component_kind.h"

namespace metaevo::munet {

void BaselineOptions::validate() const {
  require(kind.empty() || kind == "finetune" || kind == "freeze_bottom" || kind == "adapters", "kind",
          "must be '', finetune, freeze_bottom or adapters, got '{}'", kind);
  require(frozen_layers >= 0, "frozen_layers", "must be >= 0, got {}", frozen_layers);
  require(adapter_dim >= 1, "adapter_dim", "must be >= 1, got {}", adapter_dim);
}

PathPtr baseline_path(Population& population, const BaselineOptions& o, const std::string& task, int64_t classes,
                      const PathPtr& from) {
  o.validate();
  METAEVO_CHECK(!o.kind.empty(), "baseline_path: no baseline kind given");
  const auto& vit = population.vit();
  METAEVO_CHECK(o.kind != "freeze_bottom" || o.frozen_layers <= vit.depth,
                "baseline.frozen_layers: {} exceeds the root's {} encoder blocks", o.frozen_layers, vit.depth);
  const auto root = from ? from : population.root();
  // A model of the same task goes on with its head and its hyperparameters (its layers, adapters).
  const bool same_task = root->task == task;
  auto path = std::make_shared<Path>();
  path->id = population.next_id();
  path->task = task;
  path->parent = root;
  path->generation = root->generation + 1;
  path->hparams = same_task ? root->hparams : population.space().defaults;
  path->hparams["num_classes"] = classes;
  if (!same_task) path->hparams["adapter_dim"] = o.adapter_dim;
  const uint64_t seed = mix64(0x62617365, uint64_t(path->id));
  const auto fresh = [&](const std::string& name) {
    return std::make_shared<Component>(population.next_id(), name,
                                       init_component(name, vit, classes, o.adapter_dim, seed, population.device()));
  };
  for (const auto& [name, component] : root->components) {
    if (name == "head" && !same_task) continue;
    bool frozen = o.kind == "adapters" && name != "encoder_norm";
    if (o.kind == "freeze_bottom") {
      const auto n = ComponentName::parse(name);
      frozen = n.kind != "encoderblock" ? name != "encoder_norm" : n.layer < o.frozen_layers;
    }
    path->components[name] = frozen ? component : component->clone(population.next_id());
  }
  if (!same_task) path->components["head"] = fresh("head");
  if (o.kind == "adapters")
    for (int64_t i = 0; i < vit.depth; ++i) {
      const auto name = ComponentName{"residual_adapter", i}.str();
      path->components[name] = fresh(name);
    }
  return path;
}

}  // namespace metaevo::munet
