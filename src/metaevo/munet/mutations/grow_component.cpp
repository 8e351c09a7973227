// "grow:<size>:<component>" and "grow:layers": function-preserving expansions of what a child
// trains (Gesmundo & Maile 2023; munet/expansions.h has all six on models::Transformer). A block the
// child owns (cloned or fresh) gains MLP width or heads, or the child gains identity blocks on top
// of its layers; each size steps up to the next value of its list in mutation.grow. The child
// computes what its parent did, so growth only adds capacity, and the score's size term counts the
// added parameters like any others. (With evolution.mutate_num_layers, a later hp:num_layers step,
// whose values end at vit.depth, may remove grown layers again.)
#include <fmt/format.h>

#include <algorithm>

#include "metaevo/munet/component_kind.h"
#include "metaevo/munet/mutation.h"

namespace metaevo::munet {
namespace {

class GrowComponent : public Mutation {
  Stage stage() const override { return Stage::growth; }
  void apply(ChildDraft& d, Mutator& m) const override {
    const auto& grow = m.options().grow;
    // The next listed value above `now`, or 0 where the size has no list or is at its end.
    const auto next = [&](const std::string& size, int64_t now) -> int64_t {
      const auto it = grow.find(size);
      if (it == grow.end()) return 0;
      const auto up = std::upper_bound(it->second.begin(), it->second.end(), now);
      return up == it->second.end() ? 0 : *up;
    };
    for (auto& [name, component] : d.child.components) {
      if (!component->trainable()) continue;  // shared frozen: another task's function
      const auto& kind = component_kind(ComponentName::parse(name).kind);
      for (const auto& size : kind.growable()) {
        const int64_t now = kind.size(component->tensors(), size, d.vit), to = next(size, now);
        if (to == 0 || !m.fires("grow:" + size + ":" + name)) continue;
        TensorInit init(m.rng().seed());
        component->tensors() = kind.grow(component->tensors(), size, to, d.vit, init);
        d.grown.push_back(fmt::format("{}:{}:{}->{}", size, name, now, to));
      }
    }
    // Identity blocks go on top of the parent's layers, not where a layer removal left a gap.
    const int64_t layers = d.child.layers(), to = next("layers", layers);
    if (to == 0 || layers != d.parent.layers() || !m.fires("grow:layers")) return;
    const ComponentShape shape{d.vit, 1, d.child.hparams.at("adapter_dim").get<int64_t>()};
    for (const auto& kind : component_kinds()) {
      const auto& k = component_kind(kind);
      if (k.optional() || k.stage() != ComponentKind::Stage::layer) continue;
      for (int64_t layer = layers; layer < to; ++layer) {
        const auto name = ComponentName{kind, layer}.str();
        TensorInit init(m.rng().seed());
        auto tensors = k.identity(shape, init);
        for (auto& t : tensors) t = t.to(d.device);
        d.child.components[name] = std::make_shared<Component>(d.new_id(), name, std::move(tensors));
      }
    }
    d.child.hparams["num_layers"] = to;
    d.grown.push_back(fmt::format("layers:{}->{}", layers, to));
  }
};

const Registrar<MutationRegistry> grow_component_registration("grow", [] { return std::make_unique<GrowComponent>(); });

}  // namespace
}  // namespace metaevo::munet
