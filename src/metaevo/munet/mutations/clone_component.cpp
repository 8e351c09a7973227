// "clone:<name>": a component the child would share frozen becomes its own trainable copy.
#include "metaevo/munet/mutation.h"

namespace metaevo::munet {
namespace {

class CloneComponent : public Mutation {
  Stage stage() const override { return Stage::components; }
  void apply(ChildDraft& d, Mutator& m) const override {
    for (auto& [name, component] : d.child.components)
      if (!component->trainable() && m.fires("clone:" + name)) component = component->clone(d.new_id());
  }
};

const Registrar<MutationRegistry> clone_component_registration("clone",
                                                               [] { return std::make_unique<CloneComponent>(); });

}  // namespace
}  // namespace metaevo::munet
