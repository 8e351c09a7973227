#include "metaevo/munet/vit.h"

#include <algorithm>
#include <tuple>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"
#include "metaevo/munet/component_kind.h"

namespace metaevo::munet {

void VitOptions::validate() const {
  require(channels >= 1, "channels", "must be >= 1, got {}", channels);
  require(patch >= 1 && image_size >= patch && image_size % patch == 0, "image_size",
          "must be a positive multiple of patch ({}), got {}", patch, image_size);
  require(width >= 1 && heads >= 1 && width % heads == 0, "heads", "must divide width ({}), got {}", width, heads);
  require(depth >= 1, "depth", "must be >= 1, got {}", depth);
  require(mlp_dim >= 1, "mlp_dim", "must be >= 1, got {}", mlp_dim);
}

Params init_component(const std::string& name, const VitOptions& o, int64_t classes, int64_t adapter_dim, uint64_t seed,
                      torch::Device device) {
  TensorInit init(mix64(seed, hash64(name)));
  auto tensors = component_kind(ComponentName::parse(name).kind).init({o, classes, adapter_dim}, init);
  for (auto& t : tensors) t = t.to(device);
  return tensors;
}

namespace {

/// The forward pass, without the task-specific kinds (the head) when `headless`.
torch::Tensor vit_pass(const torch::Tensor& images, const std::map<std::string, ComponentPtr>& parts, int64_t layers,
                       const VitOptions& o, bool headless) {
  using Stage = ComponentKind::Stage;
  struct Step {
    Stage stage;
    int64_t layer;
    int order;
    const ComponentKind* kind;
    const Params* tensors;
  };
  std::vector<Step> steps;
  for (const auto& [name, c] : parts) {
    const auto n = ComponentName::parse(name);
    const auto& kind = component_kind(n.kind);
    if (kind.stage() == Stage::layer && n.layer >= layers) continue;
    if (headless && kind.task_specific()) continue;
    steps.push_back({kind.stage(), n.layer, kind.order(), &kind, &c->tensors()});
  }
  // A required kind missing from the path is a broken system, not a smaller model.
  for (const auto& kind : component_kinds())
    if (!component_kind(kind).optional() && !(headless && component_kind(kind).task_specific()))
      for (const auto& name : component_names(kind, layers))
        METAEVO_CHECK(parts.count(name), "vit_forward: no component '{}'", name);
  std::sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
    return std::tie(a.stage, a.layer, a.order) < std::tie(b.stage, b.layer, b.order);
  });
  torch::Tensor x = images;
  for (const auto& step : steps) x = step.kind->forward(x, *step.tensors, o);
  return x;
}

}  // namespace

torch::Tensor vit_forward(const torch::Tensor& images, const std::map<std::string, ComponentPtr>& parts, int64_t layers,
                          const VitOptions& o) {
  return vit_pass(images, parts, layers, o, false);
}

torch::Tensor vit_features(const torch::Tensor& images, const std::map<std::string, ComponentPtr>& parts,
                           int64_t layers, const VitOptions& o) {
  return vit_pass(images, parts, layers, o, true);
}

}  // namespace metaevo::munet
